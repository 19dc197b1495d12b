using System.Globalization;

namespace Comments.Moderation.Ml;

/// <summary>
/// Our out-of-fold toxicity against a hosted model's scores on the same ordinary-traffic rows, joined by id:
/// ranking (ROC-AUC, PR-AUC, and a paired bootstrap interval for the ROC-AUC difference) and the issue's
/// operating point, each scorer at its own best thresholds on these rows: the share of toxic comments let
/// through when at most 2 % of clean ones may be held, and the share caught when at most 0.5 % of clean
/// ones may be rejected.
/// </summary>
public static class HostedComparison
{
    public const double CleanHoldBudget = 0.02;
    public const double CleanRejectBudget = 0.005;

    /// <summary>
    /// A hosted model's scores: any RFC 4180 CSV with an <c>id</c> column and a score column (the CAT-LARGE
    /// files' <c>api</c> holds Perspective API's toxicity). Ids must be unique and scores numbers in 0..1.
    /// </summary>
    public static Dictionary<string, double> ReadScores(string path, string scoreColumn)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The hosted-model scores file {path} does not exist.", path);
        }
        var table = Csv.ReadTable(path);
        var id = table.Column("id");
        var score = table.Column(scoreColumn);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            var line = r + 2;
            if (!double.TryParse(row[score], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value is < 0 or > 1)
            {
                throw new InvalidDataException($"{path}, record {line}: '{row[score]}' in column '{scoreColumn}' is not a score between 0 and 1.");
            }
            if (!scores.TryAdd(row[id], value))
            {
                throw new InvalidDataException($"{path}, record {line}: id '{row[id]}' appears twice.");
            }
        }
        return scores;
    }

    /// <summary>Compares on the rows whose id the hosted file has; the others are counted as unmatched.</summary>
    public static HostedModelFigures Compare(
        string source, IReadOnlyList<string> ids, IReadOnlyList<double> ours, IReadOnlyList<bool> toxic,
        IReadOnlyDictionary<string, double> hosted, int resamples = 2000)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(toxic);
        ArgumentNullException.ThrowIfNull(hosted);
        if (ids.Count != ours.Count || ids.Count != toxic.Count)
        {
            throw new ArgumentException("ids, scores and labels must be the same rows.");
        }
        var matched = Enumerable.Range(0, ids.Count).Where(i => hosted.ContainsKey(ids[i])).ToArray();
        var labels = matched.Select(i => toxic[i]).ToArray();
        if (labels.All(l => l) || labels.All(l => !l))
        {
            throw new InvalidDataException($"The hosted-model scores match {matched.Length} of {ids.Count} rows, too few to hold both toxic and clean comments: is it the file for these rows?");
        }
        var a = matched.Select(i => ours[i]).ToArray();
        var b = matched.Select(i => hosted[ids[i]]).ToArray();
        var (low, high) = DifferenceInterval(a, b, labels, resamples);
        var ourFigures = Figures(a, labels);
        var hostedFigures = Figures(b, labels);
        return new HostedModelFigures(
            source, matched.Length, labels.Count(l => l), ids.Count - matched.Length, ourFigures, hostedFigures,
            Math.Round(ourFigures.RocAuc - hostedFigures.RocAuc, 4), Math.Round(low, 4), Math.Round(high, 4));
    }

    private static ScorerFigures Figures(double[] scores, bool[] labels) => new(
        Math.Round(Metrics.RocAuc(scores, labels), 4),
        Math.Round(Metrics.AveragePrecision(scores, labels), 4),
        Math.Round(1 - CaughtWithin(scores, labels, CleanHoldBudget), 4),
        Math.Round(CaughtWithin(scores, labels, CleanRejectBudget), 4));

    /// <summary>
    /// The share of positives a threshold catches when it may flag at most <paramref name="cleanBudget"/> of
    /// the negatives: the threshold sits just above the negative score that would exceed the budget, so tied
    /// scores never slip over it.
    /// </summary>
    public static double CaughtWithin(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, double cleanBudget)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        var negatives = Enumerable.Range(0, scores.Count).Where(i => !labels[i]).Select(i => scores[i]).OrderDescending().ToArray();
        var positives = Enumerable.Range(0, scores.Count).Where(i => labels[i]).Select(i => scores[i]).ToArray();
        if (negatives.Length == 0 || positives.Length == 0)
        {
            return double.NaN;
        }
        var allowed = (int)Math.Floor(cleanBudget * negatives.Length);
        if (allowed >= negatives.Length)
        {
            return 1;
        }
        // Flagged means strictly above the first negative score past the budget; the negatives above it are
        // at most `allowed` (ties with it are not flagged).
        var bar = negatives[allowed];
        return positives.Count(s => s > bar) / (double)positives.Length;
    }

    // Paired bootstrap over rows (fixed seed): the 2.5 % and 97.5 % points of ROC-AUC(ours) - ROC-AUC(hosted).
    private static (double Low, double High) DifferenceInterval(double[] ours, double[] hosted, bool[] labels, int resamples)
    {
        var random = new Random(ModelTrainer.Seed);
        var differences = new List<double>(resamples);
        var a = new double[labels.Length];
        var b = new double[labels.Length];
        var l = new bool[labels.Length];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < labels.Length; i++)
            {
                var pick = random.Next(labels.Length);
                a[i] = ours[pick];
                b[i] = hosted[pick];
                l[i] = labels[pick];
            }
            var difference = Metrics.RocAuc(a, l) - Metrics.RocAuc(b, l);
            if (!double.IsNaN(difference))
            {
                differences.Add(difference);
            }
        }
        if (differences.Count == 0)
        {
            return (double.NaN, double.NaN);
        }
        differences.Sort();
        return (differences[(int)(0.025 * (differences.Count - 1))], differences[(int)Math.Ceiling(0.975 * (differences.Count - 1))]);
    }
}

/// <summary>Our model against a hosted one on the same ordinary-traffic rows (see <see cref="HostedComparison"/>).</summary>
public sealed record HostedModelFigures(
    string Source, int Rows, int Toxic, int Unmatched, ScorerFigures Ours, ScorerFigures Hosted,
    double RocAucDifference, double RocAucDifferenceLow, double RocAucDifferenceHigh);

/// <summary>
/// One scorer's ranking and its best thresholds on the rows: toxic let through with at most 2 % of clean
/// comments held, toxic caught with at most 0.5 % of clean comments rejected.
/// </summary>
public sealed record ScorerFigures(double RocAuc, double PrAuc, double ToxicPassedAtCleanHoldBudget, double ToxicCaughtAtCleanRejectBudget);
