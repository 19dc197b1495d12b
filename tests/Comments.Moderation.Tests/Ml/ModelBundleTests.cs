using Comments.Moderation.Ml;
using Comments.Moderation.Moderation;
using Microsoft.Extensions.Configuration;
using Comments.Moderation.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Comments.Moderation.Tests.Ml;

public sealed class ModelBundleTests : IDisposable
{
    private readonly string copy = Path.Combine(Path.GetTempPath(), "models-" + Guid.NewGuid().ToString("N"));

    public ModelBundleTests()
    {
        ShippedModels.CopyTo(copy);
    }

    public void Dispose() => Directory.Delete(copy, recursive: true);

    /// <summary>Every file the shipped card names, read from the card, so a file added later is covered too.</summary>
    public static TheoryData<string> ShippedFiles()
    {
        var card = ShippedModels.Bundle.Card;
        string?[] files =
        [
            card.Toxicity.ModelFile, card.Toxicity.IdfFile, card.Toxicity.Trees?.ModelFile,
            card.Spam.ModelFile, card.Spam.IdfFile, card.WordVectors?.File,
        ];
        return [.. files.OfType<string>()];
    }

    [Fact]
    public void LoadsTheShippedModelsWithTheCardsVersion()
    {
        var bundle = ModelBundle.Load(copy);

        Assert.Equal(ModelCard.Read(Path.Combine(copy, ModelCard.FileName)).Version, bundle.Version);
        Assert.Equal(bundle.Card.Hashing.FeatureCount, bundle.Toxicity.Weights.Length);
    }

    [Fact]
    public void TheShippedSpamModelGivesTheLexiconFeaturesNoWeight()
    {
        var bundle = ShippedModels.Bundle;
        var hashing = bundle.Card.Hashing;
        var lexicon = Enumerable.Range(hashing.Buckets + TextFeatures.SignalCount, hashing.Lexicon ? TextFeatures.LexiconCount : 0).ToArray();

        Assert.Equal(bundle.Card.Plan.SpamLexicon, lexicon.Any(i => bundle.Spam.Weights[i] != 0));
        Assert.Equal(hashing.Lexicon, lexicon.Any(i => bundle.Toxicity.Weights[i] != 0));
    }

    [Fact]
    public void AMissingFolderIsAClearError()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(Path.Combine(copy, "nowhere")));

        Assert.Contains("model-card.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void AMissingModelFileIsAClearError(string file)
    {
        File.Delete(Path.Combine(copy, file));

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void ACorruptModelFileIsAClearError(string file)
    {
        var path = Path.Combine(copy, file);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedIdfFileIsAClearError()
    {
        var path = Path.Combine(copy, ModelBundle.ToxicityIdfFile);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains(ModelBundle.ToxicityIdfFile, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShippedModelsReadTheWordVectorsTheCardNames()
    {
        var bundle = ShippedModels.Bundle;
        var hashing = bundle.Card.Hashing;
        var block = Enumerable.Range(hashing.Buckets + hashing.VectorOffset, hashing.VectorDimensions).ToArray();

        Assert.True(hashing.VectorDimensions > 0);
        Assert.Equal(bundle.Card.WordVectors?.Sha256, bundle.Toxicity.Vectors?.Sha256);
        Assert.Contains(block, i => bundle.Toxicity.Weights[i] != 0);
        Assert.Equal(bundle.Card.Plan.SpamVectors, block.Any(i => bundle.Spam.Weights[i] != 0));
    }

    [Fact]
    public void AWordVectorFileTheCardVouchesForButThatIsNoTableIsAClearError()
    {
        var path = Path.Combine(copy, WordVectors.FileName);
        File.WriteAllText(path, "not a word-vector table");
        var cardPath = Path.Combine(copy, ModelCard.FileName);
        var card = ModelCard.Read(cardPath);
        (card with { WordVectors = card.WordVectors! with { Sha256 = TrainingData.Sha256(path) } }).Write(cardPath);

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains(WordVectors.FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShippedToxicityModelBlendsInTheTreesTheCardNames()
    {
        var bundle = ShippedModels.Bundle;
        var plan = Assert.IsType<TreeBlendPlan>(bundle.Card.Plan.ToxicityTrees);
        var entry = Assert.IsType<TreeBlendCard>(bundle.Card.Toxicity.Trees);
        var trees = Assert.IsType<TreeBlend>(bundle.ToxicityTrees);

        Assert.Equal(plan.Trees, trees.Trees.TreeCount);
        Assert.Equal(bundle.Card.Hashing.DenseCount, trees.Trees.FeatureCount);
        Assert.Equal((entry.LinearCoefficient, entry.TreeCoefficient), (trees.LinearCoefficient, trees.TreeCoefficient));
        Assert.True(trees.TreeCoefficient > 0 && trees.LinearCoefficient > 0);
    }

    [Fact]
    public void ACardWhosePlanBlendsTreesButNamesNoTreeFileIsAClearError()
    {
        var cardPath = Path.Combine(copy, ModelCard.FileName);
        var card = ModelCard.Read(cardPath);
        (card with { Toxicity = card.Toxicity with { Trees = null } }).Write(cardPath);

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains("tree", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATreeFileTheCardVouchesForButThatIsNoTreeModelIsAClearError(bool anotherMlNetModel)
    {
        var path = Path.Combine(copy, ModelBundle.ToxicityTreesFile);
        if (anotherMlNetModel)
        {
            File.Copy(Path.Combine(copy, ModelBundle.SpamModelFile), path, overwrite: true);
        }
        else
        {
            File.WriteAllText(path, "not a tree model");
        }
        var cardPath = Path.Combine(copy, ModelCard.FileName);
        var card = ModelCard.Read(cardPath);
        (card with { Toxicity = card.Toxicity with { Trees = card.Toxicity.Trees! with { ModelSha256 = TrainingData.Sha256(path) } } }).Write(cardPath);

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains(ModelBundle.ToxicityTreesFile, error.Message, StringComparison.Ordinal);
        Assert.Contains(anotherMlNetModel ? "no FastTree" : "could not be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreadableCardIsAClearError()
    {
        File.WriteAllText(Path.Combine(copy, ModelCard.FileName), "{ not json");

        var error = Assert.Throws<ModelLoadException>(() => ModelBundle.Load(copy));

        Assert.Contains("model-card.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWorkerWithoutItsModelsFailsAtStartUp()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Moderation:ModelDirectory"] = Path.Combine(copy, "nowhere") });

        var error = Assert.Throws<ModelLoadException>(() => builder.AddModeration());

        Assert.Contains("nowhere", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 0.21)]
    [InlineData("0.3", 0.3)]
    public void AWorkersDefaultThresholdsAreItsModelCardsUnlessConfigured(string? configuredHold, double expectedHold)
    {
        var cardPath = Path.Combine(copy, ModelCard.FileName);
        var card = ModelCard.Read(cardPath);
        (card with { Thresholds = card.Thresholds with { ToxicityHold = 0.21, ToxicityReject = 0.71, SpamHold = 0.51, SpamReject = 0.81 } }).Write(cardPath);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Moderation:ModelDirectory"] = copy,
            ["Moderation:DefaultThresholds:ToxicityHold"] = configuredHold,
        });
        builder.AddModeration();
        using var host = builder.Build();

        var thresholds = host.Services.GetRequiredService<IOptions<ModerationOptions>>().Value.Resolve(null).Thresholds;

        Assert.Equal(new ScoreThresholds(expectedHold, 0.71, 0.51, 0.81), thresholds);
    }

    [Fact]
    public void EveryShippedModelFileIsUnder20Megabytes()
    {
        foreach (var file in Directory.GetFiles(ShippedModels.Directory))
        {
            Assert.True(new FileInfo(file).Length < 20 * 1024 * 1024, file);
        }
    }
}
