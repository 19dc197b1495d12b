using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api.Authors;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Authors;

/// <summary>POST comments from a site's backend: <c>Authorization: Bearer &lt;site key&gt;</c> and an <c>author</c> of the site's users.</summary>
public sealed class SiteKeySubmissionTests : IAsyncLifetime
{
    private ServiceFactory<ApiEntryPoint> _api = null!;
    private HttpClient _client = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;
    private string _otherSite = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new ServiceFactory<ApiEntryPoint>(servers);
        _client = _api.CreateClient();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
        _otherSite = await TestSites.CreateAsync(servers);
        _key = (await SiteKeys.CreateAsync(_db, _site, "backend", DateTimeOffset.UtcNow, CancellationToken.None))!.Key;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _db.DisposeAsync();
    }

    private string Url => $"/api/v1/sites/{_site}/articles/a1/comments";

    private Task<HttpResponseMessage> Post(object body, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = JsonContent.Create(body) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return _client.SendAsync(request);
    }

    private static object UserComment(string id = "u-42", string name = "Ann Example", string? email = null) =>
        new { body = "Well written.", author = new { id, name, email } };

    private async Task<long> Written()
    {
        await using var command = _db.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM comments WHERE site_id = @site)
                 + (SELECT count(*) FROM {OutboxItems.Relation} WHERE item->>'siteId' = @site AND message_type = 'Comments.Contracts.CommentsSubmitted')
            """);
        command.Parameters.AddWithValue("site", _site);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<(string Key, string? UserId, string Name, string? ClientKey)> Row(HttpResponseMessage response)
    {
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using var command = _db.CreateCommand("SELECT author_key, author_user_id, author_name, client_key FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task AcceptsASiteUsersCommentUnderTheNamespacedUserKey()
    {
        var response = await Post(UserComment(email: "ann@example.org"), "Bearer " + _key);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var row = await Row(response);
        Assert.Equal("user:u-42", row.Key);
        Assert.Equal("u-42", row.UserId);
        Assert.Equal("Ann Example", row.Name);
    }

    [Fact]
    public async Task DoesNotLimitTheBackendsAddressAsIfItWereOneReader()
    {
        var response = await Post(UserComment(), "Bearer " + _key);

        Assert.Null((await Row(response)).ClientKey);
    }

    [Fact]
    public async Task TheUserKeyDiffersFromTheEmailHashOfTheSameEmail()
    {
        var asUser = await Row(await Post(UserComment(email: "ann@example.org"), "Bearer " + _key));
        var anonymous = await Row(await Post(new { authorName = "Ann", authorEmail = "ann@example.org", body = "Hello." }, null));

        Assert.NotEqual(asUser.Key, anonymous.Key);
        Assert.Equal(64, anonymous.Key.Length);
    }

    [Fact]
    public async Task RefusesAUserIdWithoutASiteKeyWithAValidationProblemAndWritesNothing()
    {
        var response = await Post(UserComment(), null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty("author", out _));
        Assert.Equal(0, await Written());
    }

    [Fact]
    public async Task RefusesASiteKeySubmissionWithoutAnAuthorWithAValidationProblemAndWritesNothing()
    {
        var response = await Post(new { authorName = "Ann", authorEmail = "ann@example.org", body = "Well written." }, "Bearer " + _key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty("author", out _));
        Assert.Equal(0, await Written());
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("revoked")]
    [InlineData("not bearer")]
    [InlineData("empty")]
    public async Task RefusesAnUnknownOrRevokedSiteKeyWith401AndWritesNothing(string kind)
    {
        var authorization = kind switch
        {
            "wrong" => "Bearer " + SiteKeys.NewKey(),
            "revoked" => "Bearer " + await RevokedKey(),
            "not bearer" => "Basic " + Convert.ToBase64String("user:password"u8.ToArray()),
            _ => "Bearer ",
        };

        var response = await Post(UserComment(), authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(401, (await Problem(response)).GetProperty("status").GetInt32());
        Assert.Equal(0, await Written());
    }

    [Fact]
    public async Task RefusesAnotherSitesKeyWith403AndWritesNothing()
    {
        var otherKey = (await SiteKeys.CreateAsync(_db, _otherSite, "other", DateTimeOffset.UtcNow, CancellationToken.None))!.Key;

        var response = await Post(UserComment(), "Bearer " + otherKey);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(403, (await Problem(response)).GetProperty("status").GetInt32());
        Assert.Equal(0, await Written());
    }

    [Fact]
    public async Task AModeratorTokenIsNotASiteKey()
    {
        var moderatorToken = await Moderation.ModerationTestData.TokenAsync(_db, _site);

        var response = await Post(UserComment(), "Bearer " + moderatorToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await Written());
    }

    public static TheoryData<string> InvalidUserIds => new()
    {
        "",
        new string('x', 129),
        "a\u0000b",
        "line\nbreak",
        " padded",
        "zero\u200bwidth",
    };

    [Theory]
    [MemberData(nameof(InvalidUserIds))]
    public async Task RefusesAnInvalidUserIdWithAValidationProblemAndWritesNothing(string id)
    {
        var response = await Post(UserComment(id: id), "Bearer " + _key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty("author.id", out _));
        Assert.Equal(0, await Written());
    }

    [Fact]
    public async Task AcceptsAUserIdOfExactly128PrintableCharacters()
    {
        var response = await Post(UserComment(id: "ü" + new string('x', 127)), "Bearer " + _key);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task RefusesASiteUserWithoutANameAndNamesTheField()
    {
        var response = await Post(UserComment(name: ""), "Bearer " + _key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty("author.name", out _));
        Assert.Equal(0, await Written());
    }

    [Fact]
    public async Task LimitsEachSiteUserByTheirUserKeyNotTheBackendByItsAddress()
    {
        var servers = await Servers.GetAsync();
        _site = await TestSites.CreateAsync(servers, TestSites.DefaultPolicy.Replace(
            "\"perClientSeconds\":0,\"perAuthorSeconds\":0", "\"perClientSeconds\":60,\"perAuthorSeconds\":60", StringComparison.Ordinal));
        _key = (await SiteKeys.CreateAsync(_db, _site, "backend", DateTimeOffset.UtcNow, CancellationToken.None))!.Key;

        var first = await Post(UserComment(id: "u-1"), "Bearer " + _key);
        var otherUser = await Post(UserComment(id: "u-2"), "Bearer " + _key);
        var sameUserAgain = await Post(UserComment(id: "u-1"), "Bearer " + _key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, otherUser.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameUserAgain.StatusCode);
    }

    private async Task<string> RevokedKey()
    {
        var created = (await SiteKeys.CreateAsync(_db, _site, "old", DateTimeOffset.UtcNow, CancellationToken.None))!;
        Assert.True(await SiteKeys.RevokeAsync(_db, _site, created.Id, DateTimeOffset.UtcNow, CancellationToken.None));
        return created.Key;
    }
}
