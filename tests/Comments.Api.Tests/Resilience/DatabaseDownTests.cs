using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Comments.Tests.Fixtures;

namespace Comments.Api.Tests.Resilience;

/// <summary>With PostgreSQL unreachable the Api (submissions, moderation, reports) answers quickly with 503 problem details, never a hang or a 500.</summary>
public sealed class DatabaseDownTests : IAsyncLifetime
{
    private ServiceFactory<ApiEntryPoint> _api = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        // Nothing listens on port 1: every connection attempt is refused.
        _api = new ServiceFactory<ApiEntryPoint>(servers with { Postgres = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2" });
        _client = _api.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task AnswersServiceUnavailableWithinTwoSeconds()
    {
        var clock = Stopwatch.StartNew();

        var response = await _client.PostAsJsonAsync("/api/v1/sites/any/articles/a1/comments", new { authorName = "Ann", body = "Hello" });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("Retry-After"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task ReportsUnhealthy()
    {
        var response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task AModeratorRequestAnswers503WhileTheTokenCannotBeChecked()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sites/demo/moderation/queue");
        // Shaped like a real token, so it must be looked up (a malformed one is refused without the database).
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "cmod_" + new string('A', 43));

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AReportAnswers503()
    {
        var response = await _client.PostAsync($"/api/v1/sites/demo/comments/{Guid.CreateVersion7()}/reports",
            new StringContent("""{"reason":"spam"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
