using Comments.Moderation.Ml;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Comments.Moderation.Tests.Ml;

public sealed class TreeEnsembleTests
{
    private const int Width = 12;

    private sealed class Row
    {
        public bool Label { get; set; }

        [VectorType(Width)]
        public float[] Features { get; set; } = [];
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }

    private static Row[] Synthetic(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var features = Enumerable.Range(0, Width).Select(_ => (float)random.NextDouble()).ToArray();
            // A non-linear rule with noise, so the trees need depth and several features.
            var label = (features[0] > 0.5f) ^ (features[3] * features[7] > 0.3f) ^ (random.NextDouble() < 0.1);
            return new Row { Label = label, Features = features };
        })];
    }

    [Fact]
    public void ScoresTheReadTreesExactlyAsMlNetDoes()
    {
        var ml = new MLContext(1);
        var model = ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 8, numberOfTrees: 40, minimumExampleCountPerLeaf: 5)
            .Fit(ml.Data.LoadFromEnumerable(Synthetic(2000, 1)));
        var ensemble = TreeEnsemble.From(model, Width);
        using var engine = ml.Model.CreatePredictionEngine<Row, Scored>(model);

        foreach (var row in Synthetic(500, 2))
        {
            var expected = engine.Predict(row).Score;

            var actual = ensemble.Score(row.Features);

            Assert.True(Math.Abs(expected - actual) < 1e-4, $"ML.NET {expected} vs read trees {actual}");
        }
        Assert.Equal(40, ensemble.TreeCount);
    }

    [Fact]
    public void ALinearModelIsNotATreeModel()
    {
        var ml = new MLContext(1);
        var model = ml.BinaryClassification.Trainers.LbfgsLogisticRegression().Fit(ml.Data.LoadFromEnumerable(Synthetic(200, 3)));

        Assert.Throws<InvalidDataException>(() => TreeEnsemble.From(model, Width));
    }

    [Fact]
    public void AVectorOfTheWrongLengthIsRefused()
    {
        var ml = new MLContext(1);
        var model = ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 3, minimumExampleCountPerLeaf: 5)
            .Fit(ml.Data.LoadFromEnumerable(Synthetic(300, 4)));

        Assert.Throws<ArgumentException>(() => TreeEnsemble.From(model, Width).Score(new float[Width - 1]));
    }
}
