namespace Comments.Moderation.Scoring;

public enum ModerationMode { Auto, Premoderate, Postmoderate }

// Ordered by severity: PolicyDecision compares verdicts numerically.
public enum Verdict { Approve = 0, Hold = 1, Reject = 2 }

public sealed record SitePolicy(ModerationMode Mode, IReadOnlyList<string> BannedWords, IReadOnlyList<string> SuspectWords, int MaxLinks);

// Reason is shown to moderators as written.
public sealed record Finding(Verdict Severity, string Reason);

// Scores are in 0..1, keyed "<scorer>.<signal>" so keys never collide across scorers.
public sealed record ScoreCard(IReadOnlyDictionary<string, double> Scores, IReadOnlyList<Finding> Findings);

public interface ICommentScorer
{
    ScoreCard Score(string body, SitePolicy policy);
}

public sealed record Decision(Verdict Verdict, IReadOnlyDictionary<string, double> Scores, IReadOnlyList<string> Reasons);
