using System.Net;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Reader.Tests.Http;

/// <summary>CORS follows each site's configured origins.</summary>
public sealed class SiteCorsTests : IAsyncLifetime
{
    private const string Allowed = "https://news.example.org";
    private ServiceFactory<ReaderEntryPoint> _reader = null!;
    private HttpClient _client = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _reader = new ServiceFactory<ReaderEntryPoint>(servers);
        _client = _reader.CreateClient();
        _site = await TestSites.CreateAsync(servers);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await using var command = db.CreateCommand("UPDATE sites SET allowed_origins = @origins WHERE id = @site");
        command.Parameters.AddWithValue("origins", new[] { Allowed });
        command.Parameters.AddWithValue("site", _site);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _reader.DisposeAsync();
    }

    private Task<HttpResponseMessage> Get(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/sites/{_site}/articles/story/comments");
        request.Headers.Add("Origin", origin);
        return _client.SendAsync(request);
    }

    [Fact]
    public async Task AllowsTheSitesConfiguredOrigin()
    {
        var response = await Get(Allowed);

        Assert.Equal(Allowed, Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task GivesNoCorsHeadersToAnotherOrigin()
    {
        var response = await Get("https://evil.example.com");

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AnswersAPreflightFromTheSitesOriginAndRefusesOthers()
    {
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/v1/sites/{_site}/articles/story/comments");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "content-type");
            return await _client.SendAsync(request);
        }

        var allowed = await Preflight(Allowed);
        var refused = await Preflight("https://evil.example.com");

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Contains("POST", allowed.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
}
