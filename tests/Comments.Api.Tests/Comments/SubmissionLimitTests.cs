using System.Net;
using System.Net.Http.Json;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Comments;

/// <summary>One comment per window per client and per author, on a real socket so the client has an address.</summary>
public sealed class SubmissionLimitTests : IAsyncLifetime
{
    private const string Limited = """{"rateLimit":{"perClientSeconds":3,"perAuthorSeconds":3}}""";
    private ServerAddresses _servers = null!;

    public async Task InitializeAsync() => _servers = await Servers.GetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<HttpResponseMessage> Post(HttpClient client, string site, string? email = null, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sites/{site}/articles/a1/comments")
        {
            Content = JsonContent.Create(new { authorName = "Ann", authorEmail = email, body = "Hello " + Guid.NewGuid() }),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await client.SendAsync(request);
    }

    private async Task<long> Comments(string site)
    {
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        await using var command = db.CreateCommand("SELECT count(*) FROM comments WHERE site_id = @site");
        command.Parameters.AddWithValue("site", site);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task RefusesASecondCommentFromTheSameClientWithinTheWindowWith429AndRetryAfter()
    {
        var site = await TestSites.CreateAsync(_servers, Limited);
        await using var api = new KestrelService<ApiEntryPoint>(_servers);
        using var client = new HttpClient { BaseAddress = api.Start() };

        var first = await Post(client, site);
        var second = await Post(client, site);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(second.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 3);
        Assert.Equal(1, await Comments(site));
    }

    [Fact]
    public async Task AcceptsTheNextCommentOnceTheWindowHasPassed()
    {
        var site = await TestSites.CreateAsync(_servers, """{"rateLimit":{"perClientSeconds":1,"perAuthorSeconds":1}}""");
        await using var api = new KestrelService<ApiEntryPoint>(_servers);
        using var client = new HttpClient { BaseAddress = api.Start() };

        Assert.Equal(HttpStatusCode.Accepted, (await Post(client, site)).StatusCode);
        await Task.Delay(1100);

        Assert.Equal(HttpStatusCode.Accepted, (await Post(client, site)).StatusCode);
    }

    [Fact]
    public async Task CutsAFloodFromOneClientToTheConfiguredRate()
    {
        var site = await TestSites.CreateAsync(_servers, Limited);
        await using var api = new KestrelService<ApiEntryPoint>(_servers);
        using var client = new HttpClient { BaseAddress = api.Start() };

        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Post(client, site)));

        Assert.Equal(1, statuses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(19, statuses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Equal(1, await Comments(site));
    }

    [Fact]
    public async Task IgnoresForwardedHeadersWithoutATrustedProxy()
    {
        var site = await TestSites.CreateAsync(_servers, Limited);
        await using var api = new KestrelService<ApiEntryPoint>(_servers);
        using var client = new HttpClient { BaseAddress = api.Start() };

        await Post(client, site, forwardedFor: "203.0.113.1");
        var forged = await Post(client, site, forwardedFor: "203.0.113.2");

        Assert.Equal(HttpStatusCode.TooManyRequests, forged.StatusCode);
    }

    [Fact]
    public async Task TellsClientsApartBehindATrustedProxyButLimitsTheSameAuthor()
    {
        var site = await TestSites.CreateAsync(_servers, Limited);
        await using var api = new KestrelService<ApiEntryPoint>(_servers, new Dictionary<string, string?>
        {
            ["Http:TrustedProxies:0"] = "127.0.0.1",
        });
        using var client = new HttpClient { BaseAddress = api.Start() };

        var one = await Post(client, site, forwardedFor: "203.0.113.1");
        var other = await Post(client, site, forwardedFor: "203.0.113.2");
        var sameAuthorA = await Post(client, site, email: "ann@example.org", forwardedFor: "203.0.113.3");
        var sameAuthorB = await Post(client, site, email: "ann@example.org", forwardedFor: "203.0.113.4");

        Assert.Equal(HttpStatusCode.Accepted, one.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, sameAuthorA.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameAuthorB.StatusCode);
    }

    [Fact]
    public async Task AppliesNoLimitWhereTheSiteTurnsItOff()
    {
        var site = await TestSites.CreateAsync(_servers);
        await using var api = new KestrelService<ApiEntryPoint>(_servers);
        using var client = new HttpClient { BaseAddress = api.Start() };

        var statuses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Post(client, site)));

        Assert.All(statuses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
    }
}
