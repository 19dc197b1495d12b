namespace Comments.Moderation.Ml;

/// <summary>Ranking and threshold metrics over scores with binary labels.</summary>
public static class Metrics
{
    /// <summary>ROC-AUC as the Mann-Whitney statistic, ties counted half.</summary>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        long positives = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }
            var averageRank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
            {
                if (labels[order[k]])
                {
                    rankSum += averageRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = order.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>PR-AUC as average precision (the step-wise area, as scikit-learn computes it).</summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var positives = labels.Count(l => l);
        if (positives == 0)
        {
            return double.NaN;
        }
        double sum = 0;
        var truePositives = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            var newPositives = 0;
            while (j < order.Length && scores[order[j]] == scores[order[i]])
            {
                newPositives += labels[order[j]] ? 1 : 0;
                j++;
            }
            truePositives += newPositives;
            sum += newPositives / (double)positives * (truePositives / (double)j);
            i = j;
        }
        return sum;
    }

    public static ThresholdStats At(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, double threshold)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        int tp = 0, fp = 0, fn = 0, tn = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var flagged = scores[i] >= threshold;
            if (labels[i])
            {
                if (flagged) { tp++; } else { fn++; }
            }
            else
            {
                if (flagged) { fp++; } else { tn++; }
            }
        }
        return new ThresholdStats(threshold, tp, fp, fn, tn);
    }
}

public sealed record ThresholdStats(double Threshold, int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : TruePositives / (double)(TruePositives + FalsePositives);

    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : TruePositives / (double)(TruePositives + FalseNegatives);

    /// <summary>Share of negatives at or above the threshold.</summary>
    public double FalsePositiveRate => FalsePositives + TrueNegatives == 0 ? 0 : FalsePositives / (double)(FalsePositives + TrueNegatives);

    public double Accuracy => (TruePositives + TrueNegatives) / (double)Math.Max(1, TruePositives + FalsePositives + FalseNegatives + TrueNegatives);
}
