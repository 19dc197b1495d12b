using Comments.Reader.Threads;

namespace Comments.Reader.Tests.Threads;

public sealed class SafeHtmlTests
{
    private const string Attributes = "rel=\"nofollow ugc noopener\" target=\"_blank\"";

    private static string Link(string href, string text) => $"<a href=\"{href}\" {Attributes}>{text}</a>";

    [Fact]
    public void EscapesScriptTags()
    {
        Assert.Equal(
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
            SafeHtml.Render("<script>alert(1)</script>"));
    }

    [Fact]
    public void EscapesImageWithEventHandler()
    {
        Assert.Equal(
            "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
            SafeHtml.Render("<img src=x onerror=alert(1)>"));
    }

    [Fact]
    public void NeverLinksJavascriptScheme()
    {
        Assert.Equal("<p>javascript:alert(1)</p>", SafeHtml.Render("javascript:alert(1)"));
    }

    [Theory]
    [InlineData("data:text/html;base64,PHNjcmlwdD4=")]
    [InlineData("vbscript:msgbox(1)")]
    [InlineData("ftp://example.com/file")]
    [InlineData("mailto:someone@example.com")]
    public void NeverLinksSchemesOtherThanHttp(string body)
    {
        Assert.DoesNotContain("<a", SafeHtml.Render(body), StringComparison.Ordinal);
    }

    [Fact]
    public void EndsUrlBeforeMarkupInjectedIntoIt()
    {
        Assert.Equal(
            "<p>" + Link("https://example.com/", "https://example.com/")
                + "&quot;&gt;&lt;svg onload=alert(1)&gt;</p>",
            SafeHtml.Render("https://example.com/\"><svg onload=alert(1)>"));
    }

    [Fact]
    public void ShowsHtmlEntitiesLiterally()
    {
        Assert.Equal(
            "<p>&amp;lt;b&amp;gt; and &amp;#x3C;i&amp;#x3E;</p>",
            SafeHtml.Render("&lt;b&gt; and &#x3C;i&#x3E;"));
    }

    [Fact]
    public void EscapesQuotesInText()
    {
        Assert.Equal(
            "<p>He said &quot;hi&quot; &amp; &#x27;bye&#x27; with `ticks`</p>",
            SafeHtml.Render("He said \"hi\" & 'bye' with `ticks`"));
    }

    [Fact]
    public void AttributeEncodesQuoteInsideUrl()
    {
        Assert.Equal(
            "<p>" + Link("https://example.com/it&#x27;s?a=1&amp;b=2", "https://example.com/it&#x27;s?a=1&amp;b=2") + "</p>",
            SafeHtml.Render("https://example.com/it's?a=1&b=2"));
    }

    [Fact]
    public void WrapsBlankLineSeparatedBlocksInParagraphs()
    {
        Assert.Equal("<p>one</p><p>two</p>", SafeHtml.Render("one\n\ntwo"));
    }

    [Fact]
    public void TurnsSingleNewlineIntoLineBreak()
    {
        Assert.Equal("<p>one<br>two</p>", SafeHtml.Render("one\ntwo"));
    }

    [Fact]
    public void CountsThreeOrMoreNewlinesAsOneParagraphBreak()
    {
        Assert.Equal("<p>one</p><p>two</p>", SafeHtml.Render("one\n\n\n\n\ntwo"));
    }

    [Fact]
    public void CountsWhitespaceOnlyLineAsBlank()
    {
        Assert.Equal("<p>one</p><p>two</p>", SafeHtml.Render("one\n \u00A0\t\ntwo"));
    }

    [Fact]
    public void LinksHttpAndHttpsUrls()
    {
        Assert.Equal(
            "<p>see " + Link("http://example.com/a", "http://example.com/a") + " and "
                + Link("https://example.com/b?x=1", "https://example.com/b?x=1") + "</p>",
            SafeHtml.Render("see http://example.com/a and https://example.com/b?x=1"));
    }

    [Fact]
    public void LinksWwwAddressWithHttpsHref()
    {
        Assert.Equal(
            "<p>go to " + Link("https://www.example.com/news", "www.example.com/news") + "</p>",
            SafeHtml.Render("go to www.example.com/news"));
    }

    [Theory]
    [InlineData(".")]
    [InlineData(",")]
    [InlineData(";")]
    [InlineData(":")]
    [InlineData("!")]
    [InlineData("?")]
    [InlineData(")")]
    [InlineData("?!")]
    public void LeavesTrailingPunctuationOutOfLink(string punctuation)
    {
        Assert.Equal(
            "<p>read " + Link("https://example.com/a", "https://example.com/a") + punctuation + "</p>",
            SafeHtml.Render("read https://example.com/a" + punctuation));
    }

    [Theory]
    [InlineData("'", "&#x27;")]
    [InlineData("’", "’")]
    [InlineData("”", "”")]
    [InlineData("»", "»")]
    public void LeavesClosingQuoteOutOfLink(string quote, string encodedQuote)
    {
        Assert.Equal(
            "<p>x " + Link("https://example.com/a", "https://example.com/a") + encodedQuote + "</p>",
            SafeHtml.Render("x https://example.com/a" + quote));
    }

    [Fact]
    public void KeepsMatchedParenthesisInWikipediaLink()
    {
        const string Url = "https://en.wikipedia.org/wiki/Mercury_(planet)";
        Assert.Equal("<p>" + Link(Url, Url) + "</p>", SafeHtml.Render(Url));
    }

    [Fact]
    public void LeavesUnmatchedParenthesisAfterWikipediaLinkOutOfLink()
    {
        const string Url = "https://en.wikipedia.org/wiki/Mercury_(planet)";
        Assert.Equal(
            "<p>(see " + Link(Url, Url) + ").</p>",
            SafeHtml.Render("(see " + Url + ")."));
    }

    [Fact]
    public void ShortensLongLinkTextButKeepsFullHref()
    {
        var url = "https://example.com/" + new string('a', 60);

        Assert.Equal(
            "<p>" + Link(url, url[..59] + "…") + "</p>",
            SafeHtml.Render(url));
    }

    [Fact]
    public void KeepsLinkTextOfSixtyCharactersWhole()
    {
        var url = "https://example.com/" + new string('a', 40);

        Assert.Equal("<p>" + Link(url, url) + "</p>", SafeHtml.Render(url));
    }

    [Fact]
    public void DoesNotSplitEmojiWhenShorteningLinkText()
    {
        var url = "https://example.com/" + new string('a', 38) + "😀" + new string('b', 30);

        Assert.Equal(
            "<p>" + Link(url.Replace("😀", "&#x1F600;", StringComparison.Ordinal), url[..58] + "…") + "</p>",
            SafeHtml.Render(url));
    }

    [Fact]
    public void LinksUrlOfTwoThousandCharacters()
    {
        var url = "https://example.com/" + new string('a', 2_000 - 20);

        Assert.StartsWith("<p><a href=\"" + url + "\"", SafeHtml.Render(url), StringComparison.Ordinal);
    }

    [Fact]
    public void LeavesUrlLongerThanTwoThousandCharactersAsText()
    {
        var url = "https://example.com/" + new string('a', 2_001 - 20);

        Assert.Equal("<p>" + url + "</p>", SafeHtml.Render(url));
    }

    [Fact]
    public void AppliesLengthLimitToHrefOfWwwAddress()
    {
        var address = "www.example.com/" + new string('a', 2_000 - 16 - 4);

        Assert.Equal("<p>" + address + "</p>", SafeHtml.Render(address));
    }

    [Fact]
    public void DoesNotLinkSchemeInsideWord()
    {
        Assert.Equal("<p>xhttps://example.com</p>", SafeHtml.Render("xhttps://example.com"));
    }

    [Fact]
    public void DoesNotLinkBareScheme()
    {
        Assert.Equal("<p>https:// and www.</p>", SafeHtml.Render("https:// and www."));
    }

    [Fact]
    public void KeepsNonAsciiTextReadable()
    {
        Assert.Equal(
            "<p>Zoë says привет, 日本語 — naïve</p>",
            SafeHtml.Render("Zoë says привет, 日本語 — naïve"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\n\n")]
    [InlineData("\u00A0")]
    public void RendersEmptyLookingBodyAsNothing(string body)
    {
        Assert.Equal(string.Empty, SafeHtml.Render(body));
    }
}
