using Comments.Api.Comments;

namespace Comments.Api.Tests.Comments;

public sealed class CommentInputTests
{
    private static SubmitCommentRequest Request(string? body = "Hello", string? name = "Ann", string? email = null) =>
        new(name, email, body, null);

    [Fact]
    public void AcceptsAPlainComment()
    {
        var (comment, errors) = CommentInput.Validate(Request());

        Assert.Empty(errors);
        Assert.Equal(new ValidComment("Ann", null, "Hello", null), comment);
    }

    [Fact]
    public void CountsTheLimitInCodePointsNotUtf16Units()
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", 5000));

        var (comment, _) = CommentInput.Validate(Request(emoji));

        Assert.NotNull(comment);
    }

    [Fact]
    public void RefusesOneCharacterOverTheLimit()
    {
        var (_, errors) = CommentInput.Validate(Request(new string('a', 5001)));

        Assert.Contains("5001", errors["body"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void MeasuresLengthAfterTrimming()
    {
        var (comment, _) = CommentInput.Validate(Request("   " + new string('a', 5000) + "\n\n"));

        Assert.NotNull(comment);
    }

    [Fact]
    public void KeepsLineBreaksAndTabsInTheBody()
    {
        var (comment, _) = CommentInput.Validate(Request("one\r\ntwo\rthree\tfour"));

        Assert.Equal("one\ntwo\nthree\tfour", comment!.Body);
    }

    [Theory]
    [InlineData("nul \0 char")]
    [InlineData("escape \u001b[31m red")]
    [InlineData("c1 \u0085 control")]
    public void RefusesControlCharactersInTheBody(string body)
    {
        var (_, errors) = CommentInput.Validate(Request(body));

        Assert.True(errors.ContainsKey("body"));
    }

    [Fact]
    public void NormalisesToNfc()
    {
        var (comment, _) = CommentInput.Validate(Request("e\u0301", "Zoe\u0308"));

        Assert.Equal("\u00e9", comment!.Body);
        Assert.Equal("Zo\u00eb", comment.AuthorName);
    }

    [Fact]
    public void RefusesANameOfEightyOneCharacters()
    {
        var (_, errors) = CommentInput.Validate(Request(name: new string('n', 81)));

        Assert.True(errors.ContainsKey("authorName"));
    }

    [Fact]
    public void AcceptsANameOfEightyCharacters()
    {
        var (comment, _) = CommentInput.Validate(Request(name: new string('n', 80)));

        Assert.NotNull(comment);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("a@b")]
    [InlineData("two@@example.org")]
    [InlineData("Ann <ann@example.org>")]
    [InlineData("ann@example.")]
    public void RefusesMalformedEmails(string email)
    {
        var (_, errors) = CommentInput.Validate(Request(email: email));

        Assert.True(errors.ContainsKey("authorEmail"));
    }

    [Fact]
    public void TreatsABlankEmailAsNone()
    {
        var (comment, _) = CommentInput.Validate(Request(email: "  "));

        Assert.Null(comment!.AuthorEmail);
    }

    [Fact]
    public void ReportsEveryInvalidFieldAtOnce()
    {
        var (_, errors) = CommentInput.Validate(new SubmitCommentRequest(null, "x", "", null));

        Assert.Equal(["authorEmail", "authorName", "body"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("article-karabakh", true)]
    [InlineData("2026/11/story", false)]
    [InlineData("", false)]
    [InlineData("with space", false)]
    [InlineData("ok_id.v2~x:y", true)]
    public void ValidatesArticleIds(string id, bool valid)
    {
        Assert.Equal(valid, CommentInput.IsValidArticleId(id));
    }
}
