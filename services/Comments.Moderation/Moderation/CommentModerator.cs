using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Moderation;

/// <summary>Runs every scorer over a comment and decides under the site's policy. Pure: no I/O, safe to share.</summary>
public sealed class CommentModerator(IEnumerable<ICommentScorer> scorers)
{
    private readonly ICommentScorer[] _scorers = scorers.ToArray();

    /// <summary>Identifies the scorers and their models; stored and logged with every decision.</summary>
    public string ModelVersion { get; } = string.Join('+', scorers.Select(VersionOf));

    public Decision Decide(string body, SitePolicy policy)
    {
        var cards = new ScoreCard[_scorers.Length];
        for (var i = 0; i < _scorers.Length; i++)
        {
            cards[i] = _scorers[i].Score(body, policy);
        }

        return PolicyDecision.Decide(cards, policy);
    }

    private static string VersionOf(ICommentScorer scorer) => scorer switch
    {
        RuleScorer => "rules-1",
        MlScorer ml => "ml-" + ml.Version,
        _ => scorer.GetType().Name,
    };
}
