using Comments.Api.Seeds;
using Comments.Tests.Fixtures;

namespace Comments.Api.Tests.Seeds;

public sealed class ArticlePageParserTests
{
    private const string Headline = "Putin says Karabakh’s deaths were exacerbated’ by the panic of diplomatic staff";

    private static ArticlePage ParseRealPage() =>
        ArticlePageParser.Parse("article-karabakh", File.ReadAllText(Repository.PathOf("seeds", "articles", "article-karabakh.txt")));

    [Fact]
    public void ParsesHeadlineAsTitleOfRealPage()
    {
        Assert.Equal(Headline, ParseRealPage().Title);
    }

    [Fact]
    public void StartsRealPageWithPutinSentence()
    {
        Assert.Equal(
            "Russian President Vladimir Putin said on Thursday that 5,000 people had been killed’ in weeks of fighting "
                + "in the mountainous province of Nagorno-Karabakh when the world leaders clashed.",
            ParseRealPage().Paragraphs[0]);
    }

    [Fact]
    public void KeepsNoBlankParagraphInRealPage()
    {
        Assert.DoesNotContain(
            ParseRealPage().Paragraphs,
            paragraph => string.IsNullOrWhiteSpace(paragraph) || paragraph.Contains('\u00A0', StringComparison.Ordinal));
    }

    [Fact]
    public void NeverRepeatsTitleAsParagraphOfRealPage()
    {
        Assert.DoesNotContain(Headline, ParseRealPage().Paragraphs);
    }

    [Theory]
    [InlineData("Pages")]
    [InlineData("READ MORE")]
    [InlineData("Post a Comment")]
    [InlineData("0 Comments")]
    public void DropsPageChromeFromRealPage(string chrome)
    {
        Assert.DoesNotContain(chrome, ParseRealPage().Paragraphs);
    }

    [Fact]
    public void EndsRealPageWithLastArticleParagraph()
    {
        Assert.Equal(
            "\"We insist that the parties to the conflict abide by international humanitarian law\" said Gerardo Moloeznik.",
            ParseRealPage().Paragraphs[^1]);
    }

    [Fact]
    public void KeepsEachSubheadingOfRealPageOnceInPlainForm()
    {
        var paragraphs = ParseRealPage().Paragraphs;

        Assert.Single(paragraphs, paragraph => paragraph.Contains("End of Diplomacy", StringComparison.Ordinal));
        Assert.Single(paragraphs, paragraph => paragraph.Contains("'Calm tension'", StringComparison.Ordinal));
        Assert.Contains("End of Diplomacy", paragraphs);
        Assert.Contains("'Calm tension'", paragraphs);
    }

    [Fact]
    public void FindsEveryArticleParagraphOfRealPage()
    {
        Assert.Equal(24, ParseRealPage().Paragraphs.Count);
    }

    [Fact]
    public void KeepsCallerGivenId()
    {
        Assert.Equal("my-article", ArticlePageParser.Parse("my-article", "Headline\nBody.").Id);
    }

    [Fact]
    public void UsesFirstMeaningfulLineAsTitle()
    {
        var page = ArticlePageParser.Parse("a", "\n\u00A0\nPages\nHeadline\nBody.");

        Assert.Equal("Headline", page.Title);
        Assert.Equal(["Body."], page.Paragraphs);
    }

    [Fact]
    public void DropsRepeatedTitleLines()
    {
        var page = ArticlePageParser.Parse("a", "Headline\nBody one.\nHeadline\nBody two.");

        Assert.Equal(["Body one.", "Body two."], page.Paragraphs);
    }

    [Fact]
    public void DropsEmptyAndNonBreakingSpaceOnlyLines()
    {
        var page = ArticlePageParser.Parse("a", "Headline\n\n\u00A0\n \u00A0 \t\n\u200B\nBody.\r\n\r\nMore.");

        Assert.Equal(["Body.", "More."], page.Paragraphs);
    }

    [Fact]
    public void TrimsAndNormalisesInnerWhitespace()
    {
        var page = ArticlePageParser.Parse("a", "  Big\u00A0 headline \nTwo\u00A0words \t here\u00A0");

        Assert.Equal("Big headline", page.Title);
        Assert.Equal(["Two words here"], page.Paragraphs);
    }

    [Theory]
    [InlineData("Pages")]
    [InlineData("pages")]
    [InlineData("Home")]
    [InlineData("Share")]
    [InlineData("Older Post")]
    public void DropsNavigationLines(string navigation)
    {
        var page = ArticlePageParser.Parse("a", $"Headline\nBody.\n{navigation}\nMore.");

        Assert.Equal(["Body.", "More."], page.Paragraphs);
    }

    [Fact]
    public void KeepsRealOneWordParagraphs()
    {
        var page = ArticlePageParser.Parse("a", "Headline\nBody.\nSilence.\nWhy?\nNever\nMore.");

        Assert.Equal(["Body.", "Silence.", "Why?", "Never", "More."], page.Paragraphs);
    }

    [Fact]
    public void DropsReadMoreAndTheTeaserHeadlineAfterIt()
    {
        var page = ArticlePageParser.Parse("a", "Headline\nBody.\nREAD MORE\u00A0\n\nAnother story's headline\nMore.");

        Assert.Equal(["Body.", "More."], page.Paragraphs);
    }

    [Theory]
    [InlineData("Post a Comment")]
    [InlineData("0 Comments")]
    [InlineData("1 Comment")]
    [InlineData("12 Comments")]
    [InlineData("No comments")]
    public void StopsAtTrailingCommentStub(string stub)
    {
        var page = ArticlePageParser.Parse("a", $"Headline\nBody.\n{stub}\nFirst comment text.\nReply");

        Assert.Equal(["Body."], page.Paragraphs);
    }

    [Fact]
    public void SkipsCommentCountBeforeArticleStarts()
    {
        var page = ArticlePageParser.Parse("a", "Headline\n0 Comments\nBody.");

        Assert.Equal(["Body."], page.Paragraphs);
    }

    [Theory]
    [InlineData("- End of Diplomacy -", "End of Diplomacy")]
    [InlineData("- 'Calm tension'.", "'Calm tension'")]
    [InlineData("– Aftermath –", "Aftermath")]
    public void KeepsPlainFormOfSubheadingShownTwice(string dashed, string plain)
    {
        var page = ArticlePageParser.Parse("a", $"Headline\nBody.\n{dashed}\n\u00A0\n{plain}\nMore.");

        Assert.Equal(["Body.", plain, "More."], page.Paragraphs);
    }

    [Fact]
    public void KeepsDashedLineWithoutPlainCopy()
    {
        var page = ArticlePageParser.Parse("a", "Headline\nBody.\n- Sanctions were imposed.\nMore.");

        Assert.Equal(["Body.", "- Sanctions were imposed.", "More."], page.Paragraphs);
    }

    [Fact]
    public void RejectsPageWithoutTitle()
    {
        Assert.Throws<FormatException>(() => ArticlePageParser.Parse("a", "\n\u00A0\nPages\n"));
    }
}
