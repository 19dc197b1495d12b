using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Scoring;

public sealed class PolicyDecisionTests
{
    private static SitePolicy Policy(ModerationMode mode) => new(mode, [], [], 2);

    private static ScoreCard Card(params Finding[] findings) =>
        new(new Dictionary<string, double>(), findings);

    private static Finding Hold(string reason) => new(Verdict.Hold, reason);

    private static Finding Reject(string reason) => new(Verdict.Reject, reason);

    [Fact]
    public void ApprovesCommentWithoutFindingsInAutoMode()
    {
        var decision = PolicyDecision.Decide([Card()], Policy(ModerationMode.Auto));

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Empty(decision.Reasons);
    }

    [Fact]
    public void ApprovesWhenThereAreNoCardsInAutoMode()
    {
        Assert.Equal(Verdict.Approve, PolicyDecision.Decide([], Policy(ModerationMode.Auto)).Verdict);
    }

    [Fact]
    public void HoldsOnHoldFindingInAutoMode()
    {
        var decision = PolicyDecision.Decide([Card(Hold("suspect word: crypto"))], Policy(ModerationMode.Auto));

        Assert.Equal(Verdict.Hold, decision.Verdict);
        Assert.Equal(["suspect word: crypto"], decision.Reasons);
    }

    [Fact]
    public void RejectsOnMostSevereFindingInAutoMode()
    {
        var decision = PolicyDecision.Decide([Card(Hold("3 links"), Reject("banned word: idiot"))], Policy(ModerationMode.Auto));

        Assert.Equal(Verdict.Reject, decision.Verdict);
    }

    [Fact]
    public void KeepsApproveLevelFindingsAsReasonsInAutoMode()
    {
        var decision = PolicyDecision.Decide([Card(new Finding(Verdict.Approve, "toxicity low"))], Policy(ModerationMode.Auto));

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Equal(["toxicity low"], decision.Reasons);
    }

    [Fact]
    public void HoldsCleanCommentWhenSitePremoderates()
    {
        var decision = PolicyDecision.Decide([Card()], Policy(ModerationMode.Premoderate));

        Assert.Equal(Verdict.Hold, decision.Verdict);
        Assert.Equal(["site premoderates all comments"], decision.Reasons);
    }

    [Fact]
    public void ListsFindingReasonsAfterPremoderationReason()
    {
        var decision = PolicyDecision.Decide([Card(Hold("suspect word: crypto"))], Policy(ModerationMode.Premoderate));

        Assert.Equal(Verdict.Hold, decision.Verdict);
        Assert.Equal(["site premoderates all comments", "suspect word: crypto"], decision.Reasons);
    }

    [Fact]
    public void RejectsBannedWordEvenWhenSitePremoderates()
    {
        var decision = PolicyDecision.Decide([Card(Reject("banned word: idiot"), Hold("3 links"))], Policy(ModerationMode.Premoderate));

        Assert.Equal(Verdict.Reject, decision.Verdict);
        Assert.Equal(["banned word: idiot", "3 links"], decision.Reasons);
    }

    [Fact]
    public void ApprovesCleanCommentWhenSitePostmoderates()
    {
        var decision = PolicyDecision.Decide([Card()], Policy(ModerationMode.Postmoderate));

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Empty(decision.Reasons);
    }

    [Fact]
    public void ApprovesHoldFindingsButKeepsTheirReasonsWhenSitePostmoderates()
    {
        var decision = PolicyDecision.Decide([Card(Hold("suspect word: crypto"), Hold("3 links"))], Policy(ModerationMode.Postmoderate));

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Equal(["suspect word: crypto", "3 links"], decision.Reasons);
    }

    [Fact]
    public void RejectsBannedWordWhenSitePostmoderates()
    {
        var decision = PolicyDecision.Decide([Card(Reject("banned word: idiot"))], Policy(ModerationMode.Postmoderate));

        Assert.Equal(Verdict.Reject, decision.Verdict);
        Assert.Equal(["banned word: idiot"], decision.Reasons);
    }

    [Fact]
    public void OrdersReasonsBySeverityKeepingScorerOrderWithinASeverity()
    {
        var decision = PolicyDecision.Decide(
            [Card(Hold("suspect word: crypto"), Reject("banned word: idiot")), Card(Hold("spam likely"), Reject("toxicity high"))],
            Policy(ModerationMode.Auto));

        Assert.Equal(["banned word: idiot", "toxicity high", "suspect word: crypto", "spam likely"], decision.Reasons);
    }

    [Fact]
    public void ListsEachReasonOnce()
    {
        var decision = PolicyDecision.Decide([Card(Hold("3 links")), Card(Hold("3 links"))], Policy(ModerationMode.Auto));

        Assert.Equal(["3 links"], decision.Reasons);
    }

    [Fact]
    public void MergesScoresOfEveryCard()
    {
        var rules = new ScoreCard(new Dictionary<string, double> { ["rules.banned"] = 1 }, []);
        var ml = new ScoreCard(new Dictionary<string, double> { ["ml.toxicity"] = 0.25 }, []);

        var decision = PolicyDecision.Decide([rules, ml], Policy(ModerationMode.Auto));

        Assert.Equal(new Dictionary<string, double> { ["rules.banned"] = 1, ["ml.toxicity"] = 0.25 }, decision.Scores);
    }

    [Fact]
    public void KeepsHigherScoreWhenTwoCardsShareAKey()
    {
        var first = new ScoreCard(new Dictionary<string, double> { ["x"] = 0.75 }, []);
        var second = new ScoreCard(new Dictionary<string, double> { ["x"] = 0.5 }, []);

        Assert.Equal(0.75, PolicyDecision.Decide([first, second], Policy(ModerationMode.Auto)).Scores["x"]);
    }

    [Fact]
    public void LetsAnotherScorersFindingDecideBesideRuleScorer()
    {
        var policy = new SitePolicy(ModerationMode.Auto, ["idiot"], [], 2);
        var rules = new RuleScorer().Score("a perfectly polite comment", policy);
        var ml = new ScoreCard(new Dictionary<string, double> { ["ml.spam"] = 0.97 }, [Hold("spam likely")]);

        var decision = PolicyDecision.Decide([rules, ml], policy);

        Assert.Equal(Verdict.Hold, decision.Verdict);
        Assert.Equal(["spam likely"], decision.Reasons);
        Assert.Equal(0.97, decision.Scores["ml.spam"]);
        Assert.Equal(0.0, decision.Scores[RuleScorer.BannedScore]);
    }

    [Fact]
    public void RejectsHostileCommentScoredByRuleScorer()
    {
        var policy = new SitePolicy(ModerationMode.Postmoderate, ["idiot"], ["crypto"], 0);
        var card = new RuleScorer().Score("Buy CRYPT0 at www.scam.example, you 1d10t", policy);

        var decision = PolicyDecision.Decide([card], policy);

        Assert.Equal(Verdict.Reject, decision.Verdict);
        Assert.Equal(["banned word: idiot", "suspect word: crypto", "1 links"], decision.Reasons);
    }

    [Fact]
    public void RefusesUnknownModerationMode()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyDecision.Decide([Card()], Policy((ModerationMode)42)));
    }
}
