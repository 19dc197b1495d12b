using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Scoring;

public sealed class QuotedTextTests
{
    [Theory]
    [InlineData("Calling editors \"terrorists\" breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors “terrorists” breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors «terrorists» breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors „terrorists“ breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors ”terrorists” breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors »terrorists« breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors ＂terrorists＂ breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("Calling editors 「terrorists」 breaks the rules.", "Calling editors   breaks the rules.")]
    [InlineData("> you are all idiots\nNo, we are not, and please stop.", " \nNo, we are not, and please stop.")]
    [InlineData("He wrote \"go home\" and then \"never come back\" twice.", "He wrote   and then   twice.")]
    public void BlanksOutEveryQuotedSpanAndQuotedLine(string body, string outside)
    {
        Assert.Equal(outside, QuotedText.Outside(body));
    }

    [Theory]
    [InlineData("It's the author's view, isn't it?")]
    [InlineData("They said 'enough' and left the room.")]
    [InlineData("An unclosed \"quote runs to the end of the comment")]
    [InlineData("Nothing quoted at all here.")]
    public void LeavesCommentsThatQuoteNothingAlone(string body)
    {
        Assert.Null(QuotedText.Outside(body));
    }

    [Theory]
    [InlineData("\"You are an idiot\"")]
    [InlineData("\"You are an idiot\" lol")]
    [InlineData("\"You are an idiot\" he said")]
    [InlineData("\"You are an idiot\" isn't it")]
    [InlineData("\"You are an idiot\" don't you")]
    public void AQuoteWithFewerThanThreeWordsOfTheCommentersOwnIsNotCounterSpeech(string body)
    {
        Assert.Null(QuotedText.Outside(body));
    }

    [Fact]
    public void ThreeWordsOfTheCommentersOwnAreEnough()
    {
        Assert.Equal("  he said that", QuotedText.Outside("\"You are an idiot\" he said that"));
    }

    [Fact]
    public void AnUnclosedQuoteStopsAtTheEndOfItsLine()
    {
        Assert.Equal("First line says \"open\nsecond line has   of its own.", QuotedText.Outside("First line says \"open\nsecond line has \"words\" of its own."));
    }
}
