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
    public const string ToxicityOutsideQuotesScore = "ml.toxicityOutsideQuotes";

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
        var scores = new Dictionary<string, double>(3, StringComparer.Ordinal)
        {
            [ToxicityScore] = toxicity,
            [SpamScore] = spam,
        };
        var findings = new List<Finding>(2);
        if (ToxicityFinding(body, toxicity, thresholds, policy.Mode, scores) is { } finding)
        {
            findings.Add(finding);
        }
        if (Against("spam", spam, thresholds.SpamHold, thresholds.SpamReject) is { } spamFinding)
        {
            findings.Add(spamFinding);
        }
        return new ScoreCard(scores, findings);
    }

    /// <summary>
    /// The toxicity finding for <paramref name="body"/>, whose toxicity is <paramref name="toxicity"/>. Toxicity
    /// that the quoted words alone bring (counter-speech, a report of abuse: <see cref="QuotedText"/>) holds for a
    /// moderator instead of rejecting, since auto-rejecting a legitimate comment is the costliest mistake; the
    /// comment is scored a second time only when it reaches the reject threshold and quotes something. Not under
    /// post-moderation, where a hold publishes: there quoting must not be a way round a rejection. When the rule
    /// decides, the score without the quoted words goes into <paramref name="scores"/>.
    /// </summary>
    public Finding? ToxicityFinding(string body, double toxicity, ScoreThresholds thresholds, ModerationMode mode, IDictionary<string, double>? scores = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(thresholds);
        // Named, not "all but postmoderate": a mode added later where a hold publishes must not get the rule by default.
        if (toxicity >= thresholds.ToxicityReject && mode is ModerationMode.Auto or ModerationMode.Premoderate
            && QuotedText.Outside(body) is { } outside && Probabilities(outside).Toxicity is var own && own < thresholds.ToxicityReject)
        {
            scores?.Add(ToxicityOutsideQuotesScore, own);
            return new Finding(Verdict.Hold, string.Create(CultureInfo.InvariantCulture,
                $"{Reason("toxicity", toxicity, "reject", thresholds.ToxicityReject)} only with the quoted words ({Cut(own, thresholds.ToxicityReject)} without them)"));
        }
        return Against("toxicity", toxicity, thresholds.ToxicityHold, thresholds.ToxicityReject);
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

    private static Finding? Against(string name, double score, double hold, double reject) =>
        score >= reject ? new Finding(Verdict.Reject, Reason(name, score, "reject", reject))
        : score >= hold ? new Finding(Verdict.Hold, Reason(name, score, "hold", hold))
        : null;

    // "toxicity 0.94 ≥ reject threshold 0.90". The score is cut (not rounded) to the threshold's
    // precision, so a reason never shows a score that looks below the threshold it reached.
    internal static string Reason(string name, double score, string kind, double threshold) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{name} {Cut(score, threshold)} ≥ {kind} threshold {threshold.ToString(Format(Decimals(threshold)), CultureInfo.InvariantCulture)}");

    // A score cut (not rounded) to the threshold's precision.
    private static string Cut(double score, double threshold)
    {
        var decimals = Decimals(threshold);
        var scale = Math.Pow(10, decimals);
        return (Math.Floor(score * scale) / scale).ToString(Format(decimals), CultureInfo.InvariantCulture);
    }

    // Two decimals, or up to four when the threshold has them.
    private static int Decimals(double threshold)
    {
        var decimals = 2;
        while (decimals < 4 && Math.Round(threshold, decimals) != threshold)
        {
            decimals++;
        }
        return decimals;
    }

    private static string Format(int decimals) => "F" + decimals.ToString(CultureInfo.InvariantCulture);
}
