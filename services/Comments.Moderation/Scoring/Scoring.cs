namespace Comments.Moderation.Scoring;

public enum ModerationMode { Auto, Premoderate, Postmoderate }

// Ordered by severity: PolicyDecision compares verdicts numerically.
public enum Verdict { Approve = 0, Hold = 1, Reject = 2 }

// Thresholds null means ScoreThresholds.Default.
public sealed record SitePolicy(
    ModerationMode Mode, IReadOnlyList<string> BannedWords, IReadOnlyList<string> SuspectWords, int MaxLinks, ScoreThresholds? Thresholds = null);

/// <summary>
/// Hold and reject thresholds on the model probabilities: a score at or above a threshold triggers it.
/// Default is the operating point chosen at training time (the model card's "thresholds"; a test keeps them equal).
/// </summary>
public sealed record ScoreThresholds(double ToxicityHold, double ToxicityReject, double SpamHold, double SpamReject)
{
    public static readonly ScoreThresholds Default = new(0.18, 0.54, 0.42, 0.67);
}

// Reason is shown to moderators as written.
public sealed record Finding(Verdict Severity, string Reason);

// Scores are in 0..1, keyed "<scorer>.<signal>" so keys never collide across scorers.
public sealed record ScoreCard(IReadOnlyDictionary<string, double> Scores, IReadOnlyList<Finding> Findings);

public interface ICommentScorer
{
    ScoreCard Score(string body, SitePolicy policy);
}

public sealed record Decision(Verdict Verdict, IReadOnlyDictionary<string, double> Scores, IReadOnlyList<string> Reasons);
