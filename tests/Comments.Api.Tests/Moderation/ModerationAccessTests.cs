using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Comments.Tests.Fixtures;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Comments.Api.Tests.Moderation;

/// <summary>The token matrix: every moderation route refuses a missing, unknown or other site's token.</summary>
public sealed partial class ModerationAccessTests : ModerationTestBase
{
    private const string Prefix = "/api/v1/sites/{siteId}/moderation/";

    /// <summary>Every moderation route; <see cref="TheMatrixCoversEveryModerationRoute"/> fails when a route is added without a row here.</summary>
    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "queue" },
        { "POST", "comments/{id:guid}/approve" },
        { "POST", "comments/{id:guid}/reject" },
        { "POST", "comments/bulk/approve" },
        { "POST", "comments/bulk/reject" },
        { "GET", "bans" },
        { "POST", "bans" },
        { "POST", "bans/{banId:guid}/lift" },
        { "GET", "settings" },
        { "PUT", "settings" },
        { "GET", "audit" },
    };

    private HttpRequestMessage Request(string method, string route, string site, string? token)
    {
        var path = RouteParameter().Replace(route, m => Guid.NewGuid().ToString());
        var request = new HttpRequestMessage(new HttpMethod(method), $"/api/v1/sites/{site}/moderation/{path}");
        if (method != "GET")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAnonymous(HttpRequestMessage request)
    {
        using var client = Api.CreateClient();
        return await client.SendAsync(request);
    }

    [Fact]
    public void TheMatrixCoversEveryModerationRoute()
    {
        var mapped = Api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith(Prefix, StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(m => $"{m} {e.RoutePattern.RawText![Prefix.Length..]}"))
            .Order(StringComparer.Ordinal);

        var listed = Routes.Select(row => $"{row[0]} {row[1]}").Order(StringComparer.Ordinal);

        Assert.Equal(listed, mapped);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task RefusesARequestWithoutATokenWith401(string method, string route)
    {
        var response = await SendAnonymous(Request(method, route, Site, token: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task RefusesAnUnknownTokenWith401(string method, string route)
    {
        var response = await SendAnonymous(Request(method, route, Site, "cmod_not-a-real-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task RefusesATokenOfAnotherSiteWith403(string method, string route)
    {
        var otherSite = await TestSites.CreateAsync(Servers);
        var otherToken = await ModerationTestData.TokenAsync(Db, otherSite);

        var response = await SendAnonymous(Request(method, route, Site, otherToken));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task LetsTheSitesOwnTokenThrough(string method, string route)
    {
        var response = await SendAnonymous(Request(method, route, Site, Token));

        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ATokenForSeveralSitesOpensEachOfThem()
    {
        var secondSite = await TestSites.CreateAsync(Servers);
        var both = await ModerationTestData.TokenAsync(Db, Site, secondSite);

        var first = await SendAnonymous(Request("GET", "queue", Site, both));
        var second = await SendAnonymous(Request("GET", "queue", secondSite, both));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Theory]
    [InlineData("csk_")]
    [InlineData("")]
    public async Task ABearerTokenNotShapedLikeAModeratorTokenIsNotLookedUpOnOtherRoutes(string prefix)
    {
        await using var scope = Api.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Path = $"/api/v1/sites/{Site}/articles/a1/comments";
        context.Request.Headers.Authorization = "Bearer " + prefix + Convert.ToBase64String(Guid.NewGuid().ToByteArray());

        // The default scheme, as UseAuthentication runs it on every request.
        var result = await context.AuthenticateAsync();

        Assert.True(result.None);
    }

    [Fact]
    public async Task ARevokedTokenIsRefusedWith401()
    {
        await using (var revoke = Db.CreateCommand("UPDATE moderators SET revoked_at = now() WHERE token_hash = @hash"))
        {
            revoke.Parameters.AddWithValue("hash", global::Comments.Api.Moderation.ModeratorTokens.Hash(Token));
            await revoke.ExecuteNonQueryAsync();
        }

        var response = await SendAnonymous(Request("GET", "queue", Site, Token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
