using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Contracts;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.EndToEnd.Tests.Faults;

[Collection(RunsAlone.Name)]
public sealed class WorkerCrashTests
{
    private const int Comments = 5000;

    [Fact]
    public async Task EveryAcceptedCommentEndsWithExactlyOneDecisionThoughTheWorkerIsKilledThreeTimes()
    {
        var servers = await Servers.GetAsync();
        var site = await TestSites.CreateAsync(servers);
        await using var api = new ServiceFactory<ApiEntryPoint>(servers);
        using var client = api.CreateClient();
        await using var worker = new ServiceProcess("Comments.Moderation", servers);
        await worker.StartAsync();

        var accepted = new ConcurrentBag<Guid>();
        var next = -1;
        async Task Submitter()
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Comments)
            {
                var response = await client.PostAsJsonAsync($"/api/v1/sites/{site}/articles/crash/comments",
                    new { authorName = "Load", body = n % 10 == 0 ? $"an idiot remark {n}" : $"calm remark {n}" });
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
            }
        }

        async Task Killer()
        {
            foreach (var at in new[] { 1000, 2500, 4000 })
            {
                while (Volatile.Read(ref next) < at)
                {
                    await Task.Delay(20);
                }

                await worker.KillAsync();
                await worker.StartAsync();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Submitter()).Append(Killer()));
        Assert.Equal(4, worker.Starts);
        Assert.Equal(Comments, accepted.Count);

        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await Eventually.Within(TimeSpan.FromSeconds(120), async () =>
        {
            await using var pending = db.CreateCommand("SELECT count(*) FROM comments WHERE site_id = @site AND status = 'pending'");
            pending.Parameters.AddWithValue("site", site);
            return (long)(await pending.ExecuteScalarAsync())! == 0 ? "" : null;
        }, "every accepted comment decided");

        await using var command = db.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM comments WHERE site_id = @site),
                   (SELECT count(*) FROM comments WHERE site_id = @site AND id = ANY(@ids) AND status IN ('approved', 'rejected')),
                   (SELECT count(*) FROM comments WHERE site_id = @site AND status = 'rejected'),
                   (SELECT count(*) FROM (SELECT item->>'commentId' FROM {OutboxItems.Relation}
                        WHERE message_type = @type AND item->>'siteId' = @site GROUP BY 1 HAVING count(*) = 1) AS once),
                   (SELECT count(*) FROM {OutboxItems.Relation} WHERE message_type = @type AND item->>'siteId' = @site)
            """);
        command.Parameters.AddWithValue("site", site);
        command.Parameters.AddWithValue("ids", accepted.ToArray());
        command.Parameters.AddWithValue("type", typeof(CommentsModerated).FullName!);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(Comments, reader.GetInt64(0));      // no duplicate rows
        Assert.Equal(Comments, reader.GetInt64(1));      // every accepted id decided
        Assert.Equal(Comments / 10, reader.GetInt64(2)); // and decided right
        Assert.Equal(Comments, reader.GetInt64(3));      // one decision event per comment
        Assert.Equal(Comments, reader.GetInt64(4));      // and no second one for any
    }
}
