using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class MetricsTests
{
    [Fact]
    public void RocAucIsOneForAPerfectRankingAndZeroForAReversedOne()
    {
        bool[] labels = [false, false, true, true];

        Assert.Equal(1, Metrics.RocAuc([0.1, 0.2, 0.8, 0.9], labels));
        Assert.Equal(0, Metrics.RocAuc([0.9, 0.8, 0.2, 0.1], labels));
    }

    [Fact]
    public void RocAucCountsTiesAsHalf()
    {
        Assert.Equal(0.5, Metrics.RocAuc([0.5, 0.5], [false, true]));
    }

    [Fact]
    public void AveragePrecisionAveragesPrecisionAtEachPositive()
    {
        // Ranked: positive (precision 1), negative, positive (precision 2/3).
        Assert.Equal((1 + 2 / 3.0) / 2, Metrics.AveragePrecision([0.9, 0.8, 0.7], [true, false, true]), 10);
    }

    [Fact]
    public void ThresholdStatsCountScoresAtTheThresholdAsFlagged()
    {
        var stats = Metrics.At([0.5, 0.4, 0.5, 0.9], [true, true, false, false], 0.5);

        Assert.Equal((1, 2, 1, 0), (stats.TruePositives, stats.FalsePositives, stats.FalseNegatives, stats.TrueNegatives));
        Assert.Equal(1 / 3.0, stats.Precision, 10);
        Assert.Equal(0.5, stats.Recall, 10);
    }
}
