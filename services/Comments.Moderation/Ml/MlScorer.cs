using System.Globalization;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Ml;

/// <summary>
/// Scores a comment with the shipped toxicity and spam models and turns the probabilities into
/// findings under the site's thresholds. Thread-safe: the models are read-only and each thread
/// featurises into its own buffers.
/// </summary>
public sealed class MlScorer : ICommentScorer
{
    public const string ToxicityScore = "ml.toxicity";
    public const string SpamScore = "ml.spam";

    private readonly ModelBundle bundle;
    private readonly ModelPair models;
    // Per-thread featurisation buffers, reused across comments.
    [ThreadStatic]
    private static TextFeatures? scratch;

    public MlScorer(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.Toxicity.Hashing != bundle.Spam.Hashing)
        {
            throw new ModelLoadException("The toxicity and spam models must share their hashing settings.");
        }
        this.bundle = bundle;
        models = new ModelPair(bundle.Toxicity, bundle.Spam, bundle.ToxicityTrees);
    }

    public string Version => bundle.Version;

    public ScoreCard Score(string body, SitePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(policy);
        var (toxicity, spam) = Probabilities(body);
        var thresholds = policy.Thresholds ?? ScoreThresholds.Default;
        var findings = new List<Finding>(2);
        AddFinding(findings, "toxicity", toxicity, thresholds.ToxicityHold, thresholds.ToxicityReject);
        AddFinding(findings, "spam", spam, thresholds.SpamHold, thresholds.SpamReject);
        var scores = new Dictionary<string, double>(2, StringComparer.Ordinal)
        {
            [ToxicityScore] = toxicity,
            [SpamScore] = spam,
        };
        return new ScoreCard(scores, findings);
    }

    /// <summary>Calibrated toxicity and spam probabilities, 0..1.</summary>
    public (double Toxicity, double Spam) Probabilities(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var model = bundle.Toxicity;
        var extracted = scratch is { } existing && existing.Settings == model.Hashing && existing.Vectors == model.Vectors
            ? existing
            : scratch = model.NewFeatures();
        extracted.Extract(body);
        return models.Probabilities(extracted);
    }

    private static void AddFinding(List<Finding> findings, string name, double score, double hold, double reject)
    {
        if (score >= reject)
        {
            findings.Add(new Finding(Verdict.Reject, Reason(name, score, "reject", reject)));
        }
        else if (score >= hold)
        {
            findings.Add(new Finding(Verdict.Hold, Reason(name, score, "hold", hold)));
        }
    }

    // "toxicity 0.94 ≥ reject threshold 0.90". The score is cut (not rounded) to the threshold's
    // precision, so a reason never shows a score that looks below the threshold it reached.
    internal static string Reason(string name, double score, string kind, double threshold)
    {
        var decimals = 2;
        while (decimals < 4 && Math.Round(threshold, decimals) != threshold)
        {
            decimals++;
        }
        var scale = Math.Pow(10, decimals);
        var format = "F" + decimals.ToString(CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"{name} {(Math.Floor(score * scale) / scale).ToString(format, CultureInfo.InvariantCulture)} ≥ {kind} threshold {threshold.ToString(format, CultureInfo.InvariantCulture)}");
    }
}
