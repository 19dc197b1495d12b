using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Ml;

/// <summary>Smoke tests on sentences we wrote: sides of the thresholds and ordering, never exact floats.</summary>
public sealed class MlScorerTests
{
    private static readonly string[] Toxic =
    [
        "You are a stupid worthless idiot, shut up and go away.",
        "Fuck off, you pathetic piece of shit.",
        "What a moron. Nobody wants your garbage edits, you ignorant loser.",
    ];

    private static readonly string[] Clean =
    [
        "Thanks for the clear reporting.",
        "Could you add a source for the population figure in the second paragraph?",
        "I agree with the proposed merge of these two articles.",
        "The council meeting has been moved to Thursday evening.",
    ];

    private static readonly string[] Spam =
    [
        "Check out my new channel and subscribe please!!! http://www.youtube.com/user/bestvideos",
        "Make money fast from home, visit http://cash-now.example and earn $500 a day",
    ];

    // Attacks on a group and mentions of one. Ml/written-examples.txt has "they" versions of the attacks
    // ("They should be wiped out."), never with a group named: this checks that what the model learnt about
    // "them" carries to a named group while the names alone stay below the hold threshold.
    private static readonly string[] GroupAttacks =
    [
        "All Armenians should be wiped out.",
        "Muslims are animals and should be deported.",
    ];

    private static readonly string[] GroupMentions =
    [
        "I am a Muslim and I live in Baku; the situation is more complicated than this article says.",
        "Armenians and Azerbaijanis both lost family in this war.",
        "Many immigrants work at the hospital where I am a nurse.",
        "Muslims",
    ];

    // Harsh words about a thing and the same kind of words about a person. Ml/written-examples.txt has such
    // sentences for other things and people ("What a stupid policy.", "The mayor is an idiot."), none of these.
    private static readonly string[] CriticismOfThings =
    [
        "The new parking scheme is idiotic.",
        "Stupid idea. It will cost taxpayers millions.",
        "The stadium plan is the stupidest thing this city has done.",
        "The school closures were a moronic mistake.",
    ];

    private static readonly string[] InsultsToPeople =
    [
        "You are an idiot.",
        "The coach is an idiot and should be fired.",
        "Whoever wrote this is a moron.",
        "Our idiot mayor strikes again.",
    ];

    private static MlScorer Scorer => new(ShippedModels.Bundle);

    private static SitePolicy Policy(ScoreThresholds? thresholds = null) => new(ModerationMode.Auto, [], [], 2, thresholds);

    [Fact]
    public void ClearlyToxicSentencesReachTheHoldThreshold()
    {
        foreach (var text in Toxic)
        {
            Assert.True(Scorer.Probabilities(text).Toxicity >= ScoreThresholds.Default.ToxicityHold, text);
        }
    }

    [Fact]
    public void ClearlyCleanSentencesStayBelowBothHoldThresholds()
    {
        foreach (var text in Clean)
        {
            var (toxicity, spam) = Scorer.Probabilities(text);
            Assert.True(toxicity < ScoreThresholds.Default.ToxicityHold, $"{text}: toxicity {toxicity}");
            Assert.True(spam < ScoreThresholds.Default.SpamHold, $"{text}: spam {spam}");
        }
    }

    [Fact]
    public void EveryToxicSentenceOutranksEveryCleanOne()
    {
        var lowestToxic = Toxic.Min(t => Scorer.Probabilities(t).Toxicity);
        var highestClean = Clean.Max(t => Scorer.Probabilities(t).Toxicity);

        Assert.True(lowestToxic > highestClean, $"{lowestToxic} <= {highestClean}");
    }

    [Fact]
    public void AnAttackOnAGroupIsHeldAndOutranksEveryMereMentionOfAGroupWhichIsNot()
    {
        var written = WrittenExamples.Load(1, 1, 1).Rows.Select(r => r.Text).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(GroupAttacks.Concat(GroupMentions), written.Contains);

        foreach (var text in GroupAttacks)
        {
            Assert.True(Scorer.Probabilities(text).Toxicity >= ScoreThresholds.Default.ToxicityHold, text);
        }
        foreach (var text in GroupMentions)
        {
            var toxicity = Scorer.Probabilities(text).Toxicity;
            Assert.True(toxicity < ScoreThresholds.Default.ToxicityHold, $"{text}: toxicity {toxicity}");
        }
        Assert.True(GroupAttacks.Min(t => Scorer.Probabilities(t).Toxicity) > GroupMentions.Max(t => Scorer.Probabilities(t).Toxicity));
    }

    [Fact]
    public void CriticismOfAThingIsNotAutoRejectedWhileAnInsultToAPersonIsAndOutranksIt()
    {
        var written = WrittenExamples.Load(1, 1, 1).Rows.Select(r => r.Text).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(CriticismOfThings.Concat(InsultsToPeople), written.Contains);

        foreach (var text in CriticismOfThings)
        {
            var toxicity = Scorer.Probabilities(text).Toxicity;
            Assert.True(toxicity < ScoreThresholds.Default.ToxicityReject, $"{text}: toxicity {toxicity}");
        }
        foreach (var text in InsultsToPeople)
        {
            var toxicity = Scorer.Probabilities(text).Toxicity;
            Assert.True(toxicity >= ScoreThresholds.Default.ToxicityReject, $"{text}: toxicity {toxicity}");
        }
        Assert.True(InsultsToPeople.Min(t => Scorer.Probabilities(t).Toxicity) > CriticismOfThings.Max(t => Scorer.Probabilities(t).Toxicity));
    }

    private const string QuotedInsult = "Somebody wrote \"you are a worthless idiot\" under my last comment, which is not how we talk here.";

    [Fact]
    public void ACommentThatQuotesAnInsultToCallItOutIsHeldWithAReasonInsteadOfRejected()
    {
        Assert.Equal(Verdict.Reject, Assert.Single(Scorer.Score("You are a worthless idiot.", Policy()).Findings).Severity);

        var card = Scorer.Score(QuotedInsult, Policy());

        var finding = Assert.Single(card.Findings);
        Assert.Equal(Verdict.Hold, finding.Severity);
        Assert.Contains("≥ reject threshold", finding.Reason, StringComparison.Ordinal);
        Assert.Contains("only with the quoted words", finding.Reason, StringComparison.Ordinal);
        Assert.True(card.Scores[MlScorer.ToxicityScore] >= ScoreThresholds.Default.ToxicityReject);
        Assert.True(card.Scores[MlScorer.ToxicityOutsideQuotesScore] < ScoreThresholds.Default.ToxicityReject);
    }

    [Fact]
    public void UnderPreModerationAQuotedInsultIsHeldToo()
    {
        var card = Scorer.Score(QuotedInsult, new SitePolicy(ModerationMode.Premoderate, [], [], 2));

        Assert.Equal(Verdict.Hold, Assert.Single(card.Findings).Severity);
    }

    [Fact]
    public void UnderPostModerationWhereAHoldPublishesAQuotedInsultIsStillRejected()
    {
        var card = Scorer.Score(QuotedInsult, new SitePolicy(ModerationMode.Postmoderate, [], [], 2));

        Assert.Equal(Verdict.Reject, Assert.Single(card.Findings).Severity);
        Assert.DoesNotContain(MlScorer.ToxicityOutsideQuotesScore, card.Scores.Keys);
    }

    [Theory]
    [InlineData("You are a pathetic idiot, and I said \"good morning\" to nobody.")]
    [InlineData("\"You are a worthless idiot\" is what I think of you, pathetic loser.")]
    public void AnInsultOfTheCommentersOwnBesideAQuoteIsStillRejected(string body)
    {
        Assert.Equal(Verdict.Reject, Assert.Single(Scorer.Score(body, Policy()).Findings).Severity);
    }

    [Theory]
    [InlineData("\"You are a worthless idiot\" lol")]
    [InlineData("\"You are a worthless idiot\" isn't it")]
    public void AQuotedInsultWithFewerThanThreeWordsOfTheCommentersOwnIsStillRejected(string body)
    {
        Assert.Equal(Verdict.Reject, Assert.Single(Scorer.Score(body, Policy()).Findings).Severity);
    }

    [Fact]
    public void SpamSentencesReachTheSpamHoldThresholdAndOutrankCleanOnes()
    {
        var highestClean = Clean.Max(t => Scorer.Probabilities(t).Spam);
        foreach (var text in Spam)
        {
            var spam = Scorer.Probabilities(text).Spam;
            Assert.True(spam >= ScoreThresholds.Default.SpamHold, $"{text}: spam {spam}");
            Assert.True(spam > highestClean, text);
        }
    }

    [Fact]
    public void ProbabilitiesAreBetweenZeroAndOne()
    {
        foreach (var text in Toxic.Concat(Clean).Concat(Spam).Append(""))
        {
            var (toxicity, spam) = Scorer.Probabilities(text);
            Assert.InRange(toxicity, 0, 1);
            Assert.InRange(spam, 0, 1);
        }
    }

    [Fact]
    public void ScoreAtTheRejectThresholdRejectsWithItsReason()
    {
        var text = Toxic[0];
        var threshold = Math.Floor(Scorer.Probabilities(text).Toxicity * 100) / 100;

        var card = Scorer.Score(text, Policy(new ScoreThresholds(threshold / 2, threshold, 1, 1)));

        var finding = Assert.Single(card.Findings);
        Assert.Equal(Verdict.Reject, finding.Severity);
        Assert.Equal($"toxicity {threshold:F2} ≥ reject threshold {threshold:F2}", finding.Reason);
    }

    [Fact]
    public void ScoreJustBelowTheRejectThresholdIsHeld()
    {
        var text = Toxic[0];
        var hold = Math.Floor(Scorer.Probabilities(text).Toxicity * 100) / 100;

        var card = Scorer.Score(text, Policy(new ScoreThresholds(hold, hold + 0.01, 1, 1)));

        var finding = Assert.Single(card.Findings);
        Assert.Equal(Verdict.Hold, finding.Severity);
        Assert.StartsWith("toxicity ", finding.Reason, StringComparison.Ordinal);
        Assert.EndsWith($"≥ hold threshold {hold:F2}", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreJustBelowTheHoldThresholdHasNoFinding()
    {
        var text = Toxic[0];
        var above = Math.Floor(Scorer.Probabilities(text).Toxicity * 100) / 100 + 0.01;

        var card = Scorer.Score(text, Policy(new ScoreThresholds(above, above, 1, 1)));

        Assert.Empty(card.Findings);
    }

    [Fact]
    public void SpamFindingsNameSpam()
    {
        // A reject threshold no probability reaches: only the hold threshold can trigger.
        var card = Scorer.Score(Spam[0], Policy(new ScoreThresholds(1, 1, 0, double.MaxValue)));

        Assert.Equal(Verdict.Hold, Assert.Single(card.Findings).Severity);
        Assert.StartsWith("spam ", card.Findings[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsBothScores()
    {
        var card = Scorer.Score(Clean[0], Policy());

        Assert.Contains(MlScorer.ToxicityScore, card.Scores.Keys);
        Assert.Contains(MlScorer.SpamScore, card.Scores.Keys);
    }

    [Fact]
    public void ReasonCutsTheScoreToTheThresholdsPrecision()
    {
        Assert.Equal("toxicity 0.94 ≥ reject threshold 0.90", MlScorer.Reason("toxicity", 0.949, "reject", 0.9));
        Assert.Equal("spam 0.905 ≥ hold threshold 0.905", MlScorer.Reason("spam", 0.9059, "hold", 0.905));
    }

    [Fact]
    public void ScoresTheSameFromManyThreads()
    {
        var expected = Clean.Concat(Toxic).Select(t => Scorer.Probabilities(t)).ToArray();
        var scorer = Scorer;

        var results = Enumerable.Range(0, 8).AsParallel().Select(_ => Clean.Concat(Toxic).Select(scorer.Probabilities).ToArray()).ToArray();

        Assert.All(results, r => Assert.Equal(expected, r));

        // The quoted-words rule scores a second text on the same thread's buffers.
        var quoted = scorer.Score(QuotedInsult, Policy());
        var cards = Enumerable.Range(0, 64).AsParallel().Select(i => scorer.Score(i % 2 == 0 ? QuotedInsult : Toxic[i % Toxic.Length], Policy())).ToArray();
        Assert.All(cards.Where((_, i) => i % 2 == 0), c =>
        {
            Assert.Equal(quoted.Scores, c.Scores);
            Assert.Equal(quoted.Findings, c.Findings);
        });
    }
}
