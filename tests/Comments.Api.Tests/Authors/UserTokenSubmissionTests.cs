using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api.Authors;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Authors;

/// <summary>POST comments from the widget with a signed user token (SSO) in the <c>X-Comments-User</c> header.</summary>
public sealed class UserTokenSubmissionTests : IAsyncLifetime
{
    private ServiceFactory<ApiEntryPoint> _api = null!;
    private HttpClient _client = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;
    private string _secret = null!;
    private string _otherSite = null!;
    private string _otherSecret = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new ServiceFactory<ApiEntryPoint>(servers);
        _client = _api.CreateClient();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
        _secret = (await SsoTokens.SetSecretAsync(_db, _site, DateTimeOffset.UtcNow, CancellationToken.None))!;
        _otherSite = await TestSites.CreateAsync(servers);
        _otherSecret = (await SsoTokens.SetSecretAsync(_db, _otherSite, DateTimeOffset.UtcNow, CancellationToken.None))!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _db.DisposeAsync();
    }

    private Task<HttpResponseMessage> Post(string? token, string? site = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sites/{site ?? _site}/articles/a1/comments")
        {
            Content = JsonContent.Create(new { authorName = "Mallory", body = "Well written." }),
        };
        if (token is not null)
        {
            request.Headers.Add(SsoTokens.Header, token);
        }

        return _client.SendAsync(request);
    }

    private static object Claims(string sub = "reader-7", string name = "Bo Reader", long? exp = null, string? aud = null) =>
        aud is null
            ? new { sub, name, exp = exp ?? UserTokens.In(TimeSpan.FromMinutes(5)) }
            : new { sub, name, exp = exp ?? UserTokens.In(TimeSpan.FromMinutes(5)), aud };

    private async Task<long> Written(string? site = null)
    {
        await using var command = _db.CreateCommand("SELECT count(*) FROM comments WHERE site_id = @site");
        command.Parameters.AddWithValue("site", site ?? _site);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task AcceptsAValidTokenUnderTheUsersKeyAndTheTokensName()
    {
        var response = await Post(UserTokens.Sign(_secret, Claims(aud: _site)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using var command = _db.CreateCommand("SELECT author_key, author_name FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("user:reader-7", reader.GetString(0));
        Assert.Equal("Bo Reader", reader.GetString(1));
    }

    [Fact]
    public async Task AcceptsATokenWithoutAudience()
    {
        var response = await Post(UserTokens.Sign(_secret, Claims()));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("bad signature")]
    [InlineData("alg none")]
    [InlineData("alg HS512")]
    [InlineData("other site's secret")]
    [InlineData("other site's audience")]
    [InlineData("no exp")]
    [InlineData("no sub")]
    [InlineData("not a jwt")]
    public async Task RefusesAnInvalidTokenWith401AndWritesNothing(string kind)
    {
        var token = kind switch
        {
            "expired" => UserTokens.Sign(_secret, Claims(exp: UserTokens.In(TimeSpan.FromMinutes(-10)))),
            "bad signature" => UserTokens.Sign(_secret, Claims())[..^4] + "AAAA",
            "alg none" => UserTokens.WithoutSignature(Claims()),
            "alg HS512" => UserTokens.Sign(_secret, Claims(), alg: "HS512"),
            "other site's secret" => UserTokens.Sign(_otherSecret, Claims()),
            "other site's audience" => UserTokens.Sign(_secret, Claims(aud: _otherSite)),
            "no exp" => UserTokens.Sign(_secret, new { sub = "reader-7", name = "Bo" }),
            "no sub" => UserTokens.Sign(_secret, new { name = "Bo", exp = UserTokens.In(TimeSpan.FromMinutes(5)) }),
            _ => "not-a-token",
        };

        var response = await Post(token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await Written());
    }

    [Fact]
    public async Task RefusesATokenOnASiteWithoutAnSsoSecret()
    {
        var bare = await TestSites.CreateAsync(_api.Servers);

        var response = await Post(UserTokens.Sign(_secret, Claims()), bare);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await Written(bare));
    }

    [Fact]
    public async Task ARotatedSecretInvalidatesTokensSignedWithTheOldOne()
    {
        var site = await TestSites.CreateAsync(_api.Servers);
        var old = (await SsoTokens.SetSecretAsync(_db, site, DateTimeOffset.UtcNow, CancellationToken.None))!;
        var current = (await SsoTokens.SetSecretAsync(_db, site, DateTimeOffset.UtcNow, CancellationToken.None))!;

        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(UserTokens.Sign(old, Claims()), site)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Post(UserTokens.Sign(current, Claims()), site)).StatusCode);
    }

    [Fact]
    public async Task AnAllowedOriginMaySendTheUserTokenHeader()
    {
        await using (var origins = _db.CreateCommand("UPDATE sites SET allowed_origins = '{https://news.example}' WHERE id = @site"))
        {
            origins.Parameters.AddWithValue("site", _site);
            await origins.ExecuteNonQueryAsync();
        }

        var preflight = new HttpRequestMessage(HttpMethod.Options, $"/api/v1/sites/{_site}/articles/a1/comments");
        preflight.Headers.Add("Origin", "https://news.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type, x-comments-user");
        var response = await _client.SendAsync(preflight);

        Assert.Contains(SsoTokens.Header, string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
    }
}
