using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Comments.Tests.Fixtures;

namespace Comments.Api.Tests.Moderation;

/// <summary>With PostgreSQL unreachable, moderation and reports answer 503 problems, never 500 or a hang.</summary>
public sealed class ModerationDatabaseDownTests : IAsyncLifetime
{
    private ServiceFactory<ApiEntryPoint> _api = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new ServiceFactory<ApiEntryPoint>(servers with { Postgres = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2" });
        _client = _api.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task AModeratorRequestAnswers503WhileTheTokenCannotBeChecked()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sites/demo/moderation/queue");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "cmod_any");

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
