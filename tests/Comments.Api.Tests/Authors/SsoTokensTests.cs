using System.Text;
using System.Text.Json;
using Comments.Api.Authors;

namespace Comments.Api.Tests.Authors;

/// <summary><see cref="SsoTokens.Verify"/> on its own: no servers, a fixed clock.</summary>
public sealed class SsoTokensTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("csso_abc");

    // Printed by the README's Node example (commentsToken({ id: "u-1", displayName: "Zoë" }, "csso_abc")).
    private const string NodeToken =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTEiLCJuYW1lIjoiWm_DqyIsImF1ZCI6Im5ld3MiLCJleHAiOjE3OTU4NTE3OTF9.UWqLxyQxEvb0IRcU1E5BWecaVuZRAL0pa61kQk3gYS8";

    private static readonly DateTimeOffset NodeTokenExpiry = DateTimeOffset.FromUnixTimeSeconds(1795851791);

    [Fact]
    public void AcceptsATokenSignedLikeTheReadmesNodeExample()
    {
        var (author, error) = SsoTokens.Verify(NodeToken, Secret, "news", NodeTokenExpiry.AddMinutes(-5));

        Assert.Null(error);
        Assert.Equal(new VouchedAuthor("u-1", "Zoë", null), author);
        Assert.Equal("user:u-1", author!.AuthorKey);
    }

    [Fact]
    public void ToleratesAMinuteOfClockSkewAndNoMore()
    {
        Assert.NotNull(SsoTokens.Verify(NodeToken, Secret, "news", NodeTokenExpiry.AddSeconds(59)).Author);
        Assert.Equal("The user token has expired.", SsoTokens.Verify(NodeToken, Secret, "news", NodeTokenExpiry.AddSeconds(61)).Error);
    }

    [Fact]
    public void RefusesTheTokenForAnotherAudience()
    {
        Assert.Equal("The user token is for another site.", SsoTokens.Verify(NodeToken, Secret, "other", NodeTokenExpiry.AddMinutes(-5)).Error);
    }

    [Fact]
    public void RefusesATokenNotValidYet()
    {
        var token = UserTokens.Sign("csso_abc", new { sub = "u-1", name = "Bo", exp = UserTokens.In(TimeSpan.FromHours(2)), nbf = UserTokens.In(TimeSpan.FromHours(1)) });

        Assert.Equal("The user token is not valid yet.", SsoTokens.Verify(token, Secret, "news", DateTimeOffset.UtcNow).Error);
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static (VouchedAuthor? Author, string? Error) VerifyClaims(string claimsJson, string site = "news") =>
        SsoTokens.Verify(UserTokens.Sign("csso_abc", JsonDocument.Parse(claimsJson).RootElement), Secret, site, Now);

    [Fact]
    public void AcceptsAnExpiryWithAFractionOfASecond()
    {
        var (author, error) = VerifyClaims("""{"sub":"u-1","name":"Bo","exp":1800000600.5}""");

        Assert.Null(error);
        Assert.NotNull(author);
    }

    [Fact]
    public void AcceptsANotBeforeWithAFractionOfASecondOnceItHasPassed()
    {
        Assert.NotNull(VerifyClaims("""{"sub":"u-1","name":"Bo","exp":1800000600,"nbf":1799999990.25}""").Author);
    }

    [Theory]
    [InlineData("\"1799999990\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("[1799999990]")]
    public void RefusesAMalformedNotBefore(string nbf)
    {
        Assert.Equal("The user token's nbf is not a NumericDate.",
            VerifyClaims($$"""{"sub":"u-1","name":"Bo","exp":1800000600,"nbf":{{nbf}}}""").Error);
    }

    [Fact]
    public void AcceptsAnAudienceArrayThatHoldsTheSite()
    {
        Assert.NotNull(VerifyClaims("""{"sub":"u-1","name":"Bo","exp":1800000600,"aud":["other","news"]}""").Author);
    }

    [Theory]
    [InlineData("[\"other\"]")]
    [InlineData("[]")]
    [InlineData("42")]
    public void RefusesAnAudienceThatDoesNotNameTheSite(string aud)
    {
        Assert.Equal("The user token is for another site.",
            VerifyClaims($$"""{"sub":"u-1","name":"Bo","exp":1800000600,"aud":{{aud}}}""").Error);
    }

    [Theory]
    [InlineData("1800090000")]
    [InlineData("1e300")]
    public void RefusesAnExpiryMoreThanADayAway(string exp)
    {
        Assert.Equal("The user token's expiry (exp) is more than 24 hours away.",
            VerifyClaims($$"""{"sub":"u-1","name":"Bo","exp":{{exp}}}""").Error);
    }

    [Fact]
    public void AcceptsAnExpiryADayAway()
    {
        Assert.NotNull(VerifyClaims("""{"sub":"u-1","name":"Bo","exp":1800086400}""").Author);
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!.??.**")]
    [InlineData("..")]
    public void RefusesWhatIsNotACompactJwt(string token)
    {
        Assert.Equal("The user token is not a compact JWT.", SsoTokens.Verify(token, Secret, "news", DateTimeOffset.UtcNow).Error);
    }
}
