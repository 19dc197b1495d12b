using System.Runtime.InteropServices;

namespace Comments.Moderation.Ml;

/// <summary>
/// Both models' parameters interleaved per bucket (IDF and IDF-scaled weight of each), so scoring
/// a comment with both costs one memory access per n-gram instead of four: with a million
/// buckets, cache misses, not arithmetic, are what a comment costs.
/// </summary>
public sealed class ModelPair
{
    private readonly Entry[] table;
    private readonly LinearTextModel first;
    private readonly LinearTextModel second;
    private readonly TreeBlend? firstTrees;

    /// <param name="firstTrees">A tree model blended into the first model's probability (toxicity's), if any.</param>
    public ModelPair(LinearTextModel first, LinearTextModel second, TreeBlend? firstTrees = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Hashing != second.Hashing)
        {
            throw new ArgumentException("Both models must share their hashing settings.", nameof(second));
        }
        if (first.Vectors != second.Vectors)
        {
            throw new ArgumentException("Both models must read the same word-vector table.", nameof(second));
        }
        this.first = first;
        this.second = second;
        this.firstTrees = firstTrees;
        table = new Entry[first.Hashing.Buckets];
        for (var i = 0; i < table.Length; i++)
        {
            var idfFirst = first.Idf?[i] ?? 1;
            var idfSecond = second.Idf?[i] ?? 1;
            table[i] = new Entry(idfFirst, first.Weights[i] * idfFirst, idfSecond, second.Weights[i] * idfSecond);
        }
    }

    public HashingSettings Hashing => first.Hashing;

    /// <summary>Calibrated probabilities of both models for the extracted features.</summary>
    public (double First, double Second) Probabilities(TextFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var words = Block(features.Words);
        var chars = Block(features.Chars);
        var scoreFirst = words.First + chars.First + first.Bias;
        var scoreSecond = words.Second + chars.Second + second.Bias;
        var offset = Hashing.Buckets;
        var dense = features.Dense;
        for (var i = 0; i < dense.Length; i++)
        {
            scoreFirst += dense[i] * first.Weights[offset + i];
            scoreSecond += dense[i] * second.Weights[offset + i];
        }
        var probabilityFirst = firstTrees is null ? first.Calibrate(scoreFirst) : firstTrees.Probability(scoreFirst, dense);
        return (probabilityFirst, second.Calibrate(scoreSecond));
    }

    private (float First, float Second) Block(CountMap block)
    {
        float squaresFirst = 0, dotFirst = 0, squaresSecond = 0, dotSecond = 0;
        for (var i = 0; i < block.Count; i++)
        {
            var count = block.CountAt(i);
            // Most n-grams occur once, and 1 + ln 1 = 1.
            var tf = count == 1 ? 1 : 1 + MathF.Log(count);
            ref readonly var entry = ref table[block.KeyAt(i)];
            var valueFirst = tf * entry.IdfFirst;
            var valueSecond = tf * entry.IdfSecond;
            squaresFirst += valueFirst * valueFirst;
            squaresSecond += valueSecond * valueSecond;
            dotFirst += tf * entry.WeightFirst;
            dotSecond += tf * entry.WeightSecond;
        }
        return (squaresFirst > 0 ? dotFirst / MathF.Sqrt(squaresFirst) : 0, squaresSecond > 0 ? dotSecond / MathF.Sqrt(squaresSecond) : 0);
    }

    [StructLayout(LayoutKind.Sequential, Size = 16)]
    private readonly record struct Entry(float IdfFirst, float WeightFirst, float IdfSecond, float WeightSecond);
}
