using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Scoring;

public sealed class TextNormalizerTests
{
    [Fact]
    public void LowerCasesText()
    {
        Assert.Equal("idiot here", TextNormalizer.Normalize("IdIoT HERE"));
    }

    [Fact]
    public void FoldsFullWidthLetters()
    {
        Assert.Equal("idiot", TextNormalizer.Normalize("ＩＤＩＯＴ"));
    }

    [Theory]
    [InlineData("id\u200Biot")]
    [InlineData("id\u200Ciot")]
    [InlineData("id\u200Diot")]
    [InlineData("id\u2060iot")]
    [InlineData("id\uFEFFiot")]
    [InlineData("id\u00ADiot")]
    [InlineData("id\u202Eiot")]
    public void StripsInvisibleFormatCharactersInsideWords(string text)
    {
        Assert.Equal("idiot", TextNormalizer.Normalize(text));
    }

    [Fact]
    public void StripsControlCharacters()
    {
        Assert.Equal("idiot", TextNormalizer.Normalize("id\u0007io\u0000t"));
    }

    [Theory]
    [InlineData("hello\r\n\tworld")]
    [InlineData("héllo\r\n\twörld")]
    public void KeepsLineBreaksAsWordBoundaries(string text)
    {
        Assert.Equal("hello world", TextNormalizer.Normalize(text));
    }

    [Theory]
    [InlineData("ìdìöt", "idiot")]
    [InlineData("IDÌÖT", "idiot")]
    [InlineData("\u0130D\u0130OT", "idiot")]
    [InlineData("crème brûlée", "creme brulee")]
    [InlineData("id\u20DDiot", "idiot")]
    public void StripsDiacritics(string text, string expected)
    {
        Assert.Equal(expected, TextNormalizer.Normalize(text));
    }

    [Theory]
    [InlineData("\u0430", "a")]
    [InlineData("\u0435", "e")]
    [InlineData("\u043E", "o")]
    [InlineData("\u0440", "p")]
    [InlineData("\u0441", "c")]
    [InlineData("\u0443", "y")]
    [InlineData("\u0445", "x")]
    [InlineData("\u0456", "i")]
    [InlineData("\u0458", "j")]
    [InlineData("\u0455", "s")]
    [InlineData("\u043A", "k")]
    [InlineData("\u043C", "m")]
    [InlineData("\u0442", "t")]
    [InlineData("\u043D", "h")]
    [InlineData("\u0432", "b")]
    [InlineData("\u0410", "a")]
    public void FoldsCyrillicHomoglyphsToLatin(string cyrillic, string latin)
    {
        Assert.Equal("z" + latin + "z", TextNormalizer.Normalize("z" + cyrillic + "z"));
    }

    [Theory]
    [InlineData("\u03BF", "o")]
    [InlineData("\u03B1", "a")]
    [InlineData("\u03B5", "e")]
    [InlineData("\u03B9", "i")]
    [InlineData("\u03BA", "k")]
    [InlineData("\u03BD", "v")]
    [InlineData("\u03C1", "p")]
    [InlineData("\u03C4", "t")]
    [InlineData("\u03C5", "u")]
    [InlineData("\u03C7", "x")]
    public void FoldsGreekHomoglyphsToLatin(string greek, string latin)
    {
        Assert.Equal("z" + latin + "z", TextNormalizer.Normalize("z" + greek + "z"));
    }

    [Fact]
    public void FoldsWholeWordWrittenInCyrillicLookAlikes()
    {
        Assert.Equal("idiot", TextNormalizer.Normalize("\u0456d\u0456\u043Et"));
    }

    [Theory]
    [InlineData("1d10t", "idiot")]
    [InlineData("h3ll0", "hello")]
    [InlineData("b4d", "bad")]
    [InlineData("5tup1d", "stupid")]
    [InlineData("7r4sh", "trash")]
    [InlineData("8ad", "bad")]
    [InlineData("@ss", "ass")]
    [InlineData("a$$", "ass")]
    [InlineData("sh!t", "shit")]
    [InlineData("|d|ot", "idiot")]
    public void ReadsLeetspeakInsideWords(string text, string expected)
    {
        Assert.Equal(expected, TextNormalizer.Normalize(text));
    }

    [Theory]
    [InlineData("5,000 people")]
    [InlineData("only $20 today")]
    [InlineData("call 555 0134")]
    [InlineData("wow !!!")]
    [InlineData("3 4 5")]
    public void LeavesNumbersAndSymbolsAwayFromLettersAlone(string text)
    {
        Assert.Equal(text, TextNormalizer.Normalize(text));
    }

    [Fact]
    public void TreatsTrailingExclamationMarksAsPunctuation()
    {
        Assert.Equal("idiot!!", TextNormalizer.Normalize("idiot!!"));
    }

    [Theory]
    [InlineData("f u c k")]
    [InlineData("f.u.c.k")]
    [InlineData("f-u-c-k")]
    [InlineData("f_u_c_k")]
    [InlineData("F . U . C . K")]
    public void JoinsSpacedOutLetters(string text)
    {
        Assert.Equal("fuck", TextNormalizer.Normalize(text));
    }

    [Fact]
    public void JoinsSpacedOutLettersWrittenWithLeetspeak()
    {
        Assert.Equal("you shit", TextNormalizer.Normalize("you s h 1 t"));
    }

    [Theory]
    [InlineData("a b test")]
    [InlineData("e.g. this")]
    [InlineData("i am a cat")]
    public void LeavesFewerThanThreeSingleLettersApart(string text)
    {
        Assert.Equal(text, TextNormalizer.Normalize(text));
    }

    [Fact]
    public void KeepsRepeatedLetters()
    {
        Assert.Equal("good stuuupid", TextNormalizer.Normalize("good stuuupid"));
    }

    [Fact]
    public void ReducesHttpLinkToDomainToken()
    {
        Assert.Equal("see url:spam.example.com now", TextNormalizer.Normalize("see https://Spam.Example.com:8080/buy?x=1 now"));
    }

    [Fact]
    public void ReducesWwwLinkToDomainTokenWithoutWww()
    {
        Assert.Equal("go url:example.com", TextNormalizer.Normalize("go www.example.com/p4ge"));
    }

    [Fact]
    public void ReducesLinkWithUserInfoToItsRealHost()
    {
        Assert.Equal("url:evil.example", TextNormalizer.Normalize("http://paypal.com@evil.example/login"));
    }

    [Fact]
    public void LeavesSentencePunctuationAfterLinkOutOfDomain()
    {
        Assert.Equal("url:example.com .", TextNormalizer.Normalize("http://example.com."));
    }

    [Fact]
    public void DropsLoneSurrogates()
    {
        // Inline strings: xunit cannot carry invalid UTF-16 through InlineData.
        string[] texts = ["id\uD800iot", "id\uDC00iot", "idiot\uD800"];

        Assert.All(texts, text => Assert.Equal("idiot", TextNormalizer.Normalize(text)));
    }

    [Fact]
    public void KeepsCharactersOutsideTheBasicPlane()
    {
        Assert.Equal("idiot \U0001F600", TextNormalizer.Normalize("idiot \U0001F600"));
    }

    [Fact]
    public void StripsFormatCharactersOutsideTheBasicPlane()
    {
        Assert.Equal("idiot", TextNormalizer.Normalize("id\U000E0041iot"));
    }

    [Fact]
    public void SplitsTokensOnPunctuationAndSpaces()
    {
        Assert.Equal(["you", "are", "an", "idiot", "ok"], TextNormalizer.Tokens("you are, an idiot... ok?"));
    }

    [Fact]
    public void KeepsApostrophesInsideTokens()
    {
        Assert.Equal(["don't", "go"], TextNormalizer.Tokens("don't go"));
    }

    [Fact]
    public void TrimsQuotesAroundTokens()
    {
        Assert.Equal(["idiot"], TextNormalizer.Tokens("'idiot'"));
    }

    [Fact]
    public void TreatsTypographicApostropheAsApostrophe()
    {
        Assert.Equal(["don't"], TextNormalizer.Tokens(TextNormalizer.Normalize("don\u2019t")));
    }

    [Fact]
    public void KeepsSpacingVowelSignsInsideTokens()
    {
        // Hindi "हिंदी भाषा": the vowel signs are spacing marks, the nasal sign is stripped like an accent.
        var tokens = TextNormalizer.Tokens(TextNormalizer.Normalize("\u0939\u093F\u0902\u0926\u0940 \u092D\u093E\u0937\u093E"));

        Assert.Equal(["\u0939\u093F\u0926\u0940", "\u092D\u093E\u0937\u093E"], tokens);
    }

    [Fact]
    public void KeepsUrlTokensWhole()
    {
        Assert.Equal(["see", "url:spam.example.com", "now"], TextNormalizer.Tokens(TextNormalizer.Normalize("see http://spam.example.com/a-b now")));
    }

    [Fact]
    public void DoesNotLetTypedUrlPrefixHideAWord()
    {
        Assert.Equal(["url", "idiot"], TextNormalizer.Tokens(TextNormalizer.Normalize("url:idiot")));
    }

    [Fact]
    public void CountsHttpHttpsAndWwwLinks()
    {
        Assert.Equal(3, TextNormalizer.CountLinks("a http://a.com b https://b.org/x c www.c.net"));
    }

    [Fact]
    public void CountsNoLinksInPlainText()
    {
        Assert.Equal(0, TextNormalizer.CountLinks("example.com is not a link here, nor is awww.so"));
    }

    [Fact]
    public void CountsLinkHiddenByZeroWidthSpace()
    {
        Assert.Equal(1, TextNormalizer.CountLinks("ht\u200Btps://spam.example.com"));
    }

    [Fact]
    public void CountsLinksInUpperCase()
    {
        Assert.Equal(2, TextNormalizer.CountLinks("HTTP://A.COM WWW.B.COM"));
    }
}
