namespace Comments.Moderation.Scoring;

/// <summary>
/// Turns the score cards of every scorer into one verdict under the site's moderation mode.
/// It only looks at finding severities, so a new scorer plugs in without changes here.
/// </summary>
public static class PolicyDecision
{
    public const string PremoderationReason = "site premoderates all comments";

    public static Decision Decide(IReadOnlyList<ScoreCard> cards, SitePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(cards);
        ArgumentNullException.ThrowIfNull(policy);

        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var findings = new List<Finding>();
        foreach (var card in cards)
        {
            foreach (var (key, score) in card.Scores)
            {
                // Keys are meant to be distinct per scorer; if two ever collide, keep the
                // higher score so a collision can never soften the picture.
                scores[key] = scores.TryGetValue(key, out var existing) ? Math.Max(existing, score) : score;
            }
            findings.AddRange(card.Findings);
        }

        var worst = findings.Count == 0 ? Verdict.Approve : findings.Max(f => f.Severity);
        var verdict = policy.Mode switch
        {
            ModerationMode.Auto => worst,
            ModerationMode.Premoderate => worst == Verdict.Reject ? Verdict.Reject : Verdict.Hold,
            ModerationMode.Postmoderate => worst == Verdict.Reject ? Verdict.Reject : Verdict.Approve,
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy.Mode, "Unknown moderation mode."),
        };

        var reasons = new List<string>();
        if (policy.Mode == ModerationMode.Premoderate && verdict == Verdict.Hold)
        {
            reasons.Add(PremoderationReason);
        }
        // OrderByDescending is stable: equal severities keep the scorers' own order.
        foreach (var finding in findings.OrderByDescending(f => f.Severity))
        {
            if (!reasons.Contains(finding.Reason, StringComparer.Ordinal))
            {
                reasons.Add(finding.Reason);
            }
        }
        return new Decision(verdict, scores, reasons);
    }
}
