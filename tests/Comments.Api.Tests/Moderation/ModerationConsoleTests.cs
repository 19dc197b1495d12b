using System.Net;
using System.Text.Json;

namespace Comments.Api.Tests.Moderation;

/// <summary>The console's static files and the OpenAPI document that describes the moderation API.</summary>
public sealed class ModerationConsoleTests : ModerationTestBase
{
    [Fact]
    public async Task ServesTheConsolePageAtSlashModeration()
    {
        using var client = Api.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = true });

        var response = await client.GetAsync("/moderation");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("console.js", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheConsoleRunsOnlyItsOwnScripts()
    {
        var response = await Client.GetAsync("/moderation/index.html");

        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheConsoleScriptIsServed()
    {
        var response = await Client.GetAsync("/moderation/console.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheModerationEndpoints()
    {
        var document = JsonSerializer.Deserialize<JsonElement>(await Client.GetStringAsync("/openapi/v1.json"));

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/sites/{siteId}/moderation/queue", out _));
        Assert.True(paths.TryGetProperty("/api/v1/sites/{siteId}/comments/{id}/reports", out _));
    }
}
