using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Moderation;
using Comments.Reader;
using Comments.Tests.Fixtures;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>Redis frozen for 20 s under reads: no 5xx, threads from PostgreSQL, and no stale thread once it is back.</summary>
[Collection(RunsAlone.Name)]
public sealed class RedisOutageTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ServesEveryReadDuringTheOutageAndNothingStaleAfterIt()
    {
        var shared = await Servers.GetAsync();
        // Its own RabbitMQ too: a Reader of another test (on the shared Redis) must not take this test's invalidations.
        await using var own = await OwnServers.StartAsync(redis: true, rabbitMq: true);
        var servers = shared with { Redis = own.Redis, RabbitMq = own.RabbitMq };
        var site = await TestSites.CreateAsync(servers);
        await using var api = new ServiceFactory<ApiEntryPoint>(servers);
        await using var worker = new ServiceFactory<ModerationEntryPoint>(servers).Started();
        await using var reader = new ServiceFactory<ReaderEntryPoint>(servers).Started();
        using var apiClient = api.CreateClient();
        using var readerClient = reader.CreateClient();
        var thread = $"/api/v1/sites/{site}/articles/outage/comments";

        async Task<Guid> Submit(string body) =>
            (await (await apiClient.PostAsJsonAsync($"/api/v1/sites/{site}/articles/outage/comments", new { authorName = "R", body }))
                .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        async Task<(HttpStatusCode Status, string Body)> Read()
        {
            using var response = await readerClient.GetAsync(thread);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var before = await Submit("written before the outage");
        await Eventually.Within(TimeSpan.FromSeconds(10), async () => (await Read()).Body.Contains(before.ToString(), StringComparison.Ordinal) ? "" : null,
            "first comment visible (and cached)");

        await own.SignalRedisAsync("STOP");
        var during = await Submit("approved while Redis is away");
        var statuses = new List<HttpStatusCode>();
        var seenDuring = false;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Outage)
        {
            var (status, body) = await Read();
            statuses.Add(status);
            seenDuring |= body.Contains(during.ToString(), StringComparison.Ordinal);
            await Task.Delay(100);
        }

        await own.SignalRedisAsync("CONT");
        var after = await Read();

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(statuses.Count > 50, $"only {statuses.Count} reads");
        Assert.True(seenDuring, "the comment approved during the outage was served from PostgreSQL");
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Contains(during.ToString(), after.Body, StringComparison.Ordinal);
    }
}
