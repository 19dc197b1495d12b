using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Scoring;

public sealed class RuleScorerTests
{
    private readonly RuleScorer scorer = new();

    private static SitePolicy Policy(string[]? banned = null, string[]? suspect = null, int maxLinks = 2) =>
        new(ModerationMode.Auto, banned ?? [], suspect ?? [], maxLinks);

    private static string[] Reasons(ScoreCard card) => [.. card.Findings.Select(f => f.Reason)];

    [Fact]
    public void RejectsBannedWord()
    {
        var card = scorer.Score("you idiot", Policy(banned: ["idiot"]));

        Assert.Equal([new Finding(Verdict.Reject, "banned word: idiot")], card.Findings);
    }

    [Theory]
    [InlineData("you 1d10t")]
    [InlineData("you id!ot")]
    [InlineData("you |d|0t")]
    public void RejectsBannedWordSpelledWithLeetspeak(string body)
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score(body, Policy(banned: ["idiot"]))));
    }

    [Fact]
    public void RejectsBannedWordWrittenWithAccents()
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score("you ìdìöt", Policy(banned: ["idiot"]))));
    }

    [Theory]
    [InlineData("\u0456d\u0456\u043Et")]
    [InlineData("\u03B9d\u03B9\u03BFt")]
    public void RejectsBannedWordWrittenWithHomoglyphs(string body)
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score(body, Policy(banned: ["idiot"]))));
    }

    [Fact]
    public void RejectsBannedWordWithZeroWidthCharactersInside()
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score("i\u200Bd\u200Di\uFEFFot", Policy(banned: ["idiot"]))));
    }

    [Theory]
    [InlineData("f u c k off")]
    [InlineData("f.u.c.k off")]
    [InlineData("f-u-c-k off")]
    public void RejectsBannedWordSpelledOutLetterByLetter(string body)
    {
        Assert.Equal(["banned word: fuck"], Reasons(scorer.Score(body, Policy(banned: ["fuck"]))));
    }

    [Theory]
    [InlineData("so stuuupid")]
    [InlineData("so stupiiiiid")]
    [InlineData("so sssstuuupiiid")]
    public void RejectsBannedWordWithStretchedLetters(string body)
    {
        Assert.Equal(["banned word: stupid"], Reasons(scorer.Score(body, Policy(banned: ["stupid"]))));
    }

    [Fact]
    public void RejectsBannedWordInMixedCase()
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score("IdIoT", Policy(banned: ["idiot"]))));
    }

    [Fact]
    public void RejectsEntryWithDoubleLetterWhenStretched()
    {
        Assert.Equal(["banned word: ass"], Reasons(scorer.Score("what an assss", Policy(banned: ["ass"]))));
    }

    [Fact]
    public void IgnoresTokenMissingALetterOfTheEntry()
    {
        Assert.Empty(scorer.Score("as good as it gets", Policy(banned: ["ass"])).Findings);
    }

    [Fact]
    public void IgnoresOrdinaryDoubleLetterAsStretch()
    {
        Assert.Empty(scorer.Score("a good day", Policy(banned: ["god"])).Findings);
    }

    [Theory]
    [InlineData("a class act", "ass")]
    [InlineData("a trip to Scunthorpe", "cunt")]
    [InlineData("a classic assassin story", "ass")]
    [InlineData("hello there", "hell")]
    public void MatchesWholeWordsOnly(string body, string banned)
    {
        Assert.Empty(scorer.Score(body, Policy(banned: [banned])).Findings);
    }

    [Fact]
    public void LeavesNumbersUnmatched()
    {
        Assert.Empty(scorer.Score("5,000 people paid $20", Policy(banned: ["ooo", "so"])).Findings);
    }

    [Fact]
    public void MatchesPhraseOnConsecutiveWords()
    {
        Assert.Equal(["banned word: kill yourself"], Reasons(scorer.Score("just KILL   y0urself!", Policy(banned: ["kill yourself"]))));
    }

    [Fact]
    public void IgnoresPhraseWordsThatAreApart()
    {
        Assert.Empty(scorer.Score("kill the bug yourself", Policy(banned: ["kill yourself"])).Findings);
    }

    [Fact]
    public void IgnoresPhraseWhoseLastWordOnlyStartsLikeTheEntry()
    {
        Assert.Empty(scorer.Score("bad dogs", Policy(banned: ["bad dog"])).Findings);
    }

    [Fact]
    public void IgnoresPhraseCutOffAtTheEndOfTheComment()
    {
        Assert.Empty(scorer.Score("I will kill", Policy(banned: ["kill yourself"])).Findings);
    }

    [Fact]
    public void MatchesPhraseSpelledOutAsOneRun()
    {
        Assert.Equal(["banned word: kill yourself"], Reasons(scorer.Score("k i l l y o u r s e l f", Policy(banned: ["kill yourself"]))));
    }

    [Fact]
    public void MatchesBesideVeryLongWords()
    {
        var body = new string('x', 5_000) + " idiot " + string.Concat(Enumerable.Repeat("ab", 100));

        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score(body, Policy(banned: ["idiot"]))));
    }

    [Fact]
    public void NormalisesListEntriesAndReportsThemAsWritten()
    {
        Assert.Equal(["banned word: 1D1ÖT"], Reasons(scorer.Score("idiot", Policy(banned: ["1D1ÖT"]))));
    }

    [Fact]
    public void HoldsSuspectWord()
    {
        var card = scorer.Score("buy cheap crypto", Policy(suspect: ["crypto"]));

        Assert.Equal([new Finding(Verdict.Hold, "suspect word: crypto")], card.Findings);
    }

    [Fact]
    public void ReportsEachEntryOnceWhenRepeated()
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score("idiot, 1d10t, IDIOT", Policy(banned: ["idiot"]))));
    }

    [Fact]
    public void ReportsEntriesThatNormaliseAlikeOnce()
    {
        Assert.Equal(["banned word: idiot"], Reasons(scorer.Score("idiot", Policy(banned: ["idiot", "IDIOT", "1d10t"]))));
    }

    [Fact]
    public void ReportsEveryDistinctEntryInListOrder()
    {
        var card = scorer.Score("moron and idiot, buy crypto", Policy(banned: ["idiot", "moron"], suspect: ["crypto"]));

        Assert.Equal(["banned word: idiot", "banned word: moron", "suspect word: crypto"], Reasons(card));
    }

    [Fact]
    public void AllowsLinksExactlyAtMaxLinks()
    {
        Assert.Empty(scorer.Score("http://a.com and www.b.com", Policy(maxLinks: 2)).Findings);
    }

    [Fact]
    public void HoldsOneLinkOverMaxLinks()
    {
        var card = scorer.Score("http://a.com www.b.com https://c.com/x", Policy(maxLinks: 2));

        Assert.Equal([new Finding(Verdict.Hold, "3 links")], card.Findings);
    }

    [Fact]
    public void TreatsNegativeMaxLinksAsNoLinksAllowed()
    {
        Assert.Equal(["1 links"], Reasons(scorer.Score("see www.a.com", Policy(maxLinks: -1))));
    }

    [Fact]
    public void ScoresNoLinksAsZeroEvenWithNegativeMaxLinks()
    {
        Assert.Equal(0.0, scorer.Score("no links", Policy(maxLinks: -1)).Scores[RuleScorer.LinksScore]);
    }

    [Theory]
    [InlineData("no links", 0.0)]
    [InlineData("www.a.com", 1.0 / 3)]
    [InlineData("www.a.com www.b.com", 2.0 / 3)]
    [InlineData("www.a.com www.b.com www.c.com", 1.0)]
    [InlineData("www.a.com www.b.com www.c.com www.d.com www.e.com", 1.0)]
    public void ScoresLinksAgainstMaxLinks(string body, double expected)
    {
        Assert.Equal(expected, scorer.Score(body, Policy(maxLinks: 2)).Scores[RuleScorer.LinksScore], 9);
    }

    [Fact]
    public void ScoresZeroForCleanComment()
    {
        var scores = scorer.Score("a perfectly nice comment", Policy(banned: ["idiot"], suspect: ["crypto"])).Scores;

        Assert.Equal(0.0, scores[RuleScorer.BannedScore]);
        Assert.Equal(0.0, scores[RuleScorer.SuspectScore]);
        Assert.Equal(0.0, scores[RuleScorer.LinksScore]);
    }

    [Fact]
    public void ScoresOneForBannedMatch()
    {
        Assert.Equal(1.0, scorer.Score("idiot", Policy(banned: ["idiot"])).Scores[RuleScorer.BannedScore]);
    }

    [Fact]
    public void ScoresOneForSuspectMatch()
    {
        Assert.Equal(1.0, scorer.Score("crypto", Policy(suspect: ["crypto"])).Scores[RuleScorer.SuspectScore]);
    }

    [Fact]
    public void UsesTheListsCurrentContentsAfterItChanges()
    {
        var banned = new List<string> { "idiot" };
        var policy = new SitePolicy(ModerationMode.Auto, banned, [], 2);
        scorer.Score("idiot", policy);

        // Same length and end letters as "idiot", so only a full comparison tells the lists apart.
        banned[0] = "inert";

        Assert.Empty(scorer.Score("idiot", policy).Findings);
    }

    [Fact]
    public void KeepsMatchingCorrectlyAcrossManyDistinctLists()
    {
        for (var i = 0; i < 600; i++)
        {
            var filler = "filler" + new string('z', i);
            Assert.Equal(["banned word: idiot"], Reasons(scorer.Score("you idiot", Policy(banned: [filler, "idiot"]))));
        }
    }

    [Fact]
    public void ScoresConsistentlyFromManyThreads()
    {
        var policies = Enumerable.Range(0, 8)
            .Select(i => Policy(banned: ["idiot", "word" + new string('q', i)], suspect: ["crypto"]))
            .ToArray();

        Parallel.For(0, 2_000, i =>
        {
            var card = scorer.Score("1d10t with crypto", policies[i % policies.Length]);
            Assert.Equal(["banned word: idiot", "suspect word: crypto"], Reasons(card));
        });
    }
}
