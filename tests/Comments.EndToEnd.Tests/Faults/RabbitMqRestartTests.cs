using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Moderation;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>RabbitMQ restarted in the middle of submissions: the outbox keeps the Api answering 202, and nothing is lost.</summary>
[Collection(RunsAlone.Name)]
public sealed class RabbitMqRestartTests
{
    [Fact]
    public async Task KeepsAcceptingThroughTheRestartAndDecidesEveryCommentAfterwards()
    {
        var shared = await Servers.GetAsync();
        await using var own = await OwnServers.StartAsync(rabbitMq: true);
        var servers = shared with { RabbitMq = own.RabbitMq };
        var site = await TestSites.CreateAsync(servers);
        var fastRetry = new Dictionary<string, string?> { ["Outbox:MaxBackoff"] = "00:00:01" };
        await using var api = new ServiceFactory<ApiEntryPoint>(servers, fastRetry);
        await using var worker = new ServiceFactory<ModerationEntryPoint>(servers, fastRetry).Started();
        using var client = api.CreateClient();

        var accepted = new ConcurrentBag<Guid>();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var submitting = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostAsJsonAsync($"/api/v1/sites/{site}/articles/restart/comments",
                    new { authorName = "R", body = $"comment {n++}" });
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
                }

                await Task.Delay(20);
            }
        });

        await Task.Delay(1000);
        await own.StopRabbitMqAsync();
        var acceptedWhileDown = accepted.Count;
        await Task.Delay(2000);
        acceptedWhileDown = accepted.Count - acceptedWhileDown;
        await own.RestartRabbitMqAsync();
        await Task.Delay(1000);
        await stop.CancelAsync();
        await submitting;

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.Accepted, status));
        Assert.True(acceptedWhileDown > 10, $"only {acceptedWhileDown} accepted while RabbitMQ was down");
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        // The bus reconnects with its own backoff after the broker returns; on a loaded 2-core machine that takes a while.
        await Eventually.Within(TimeSpan.FromSeconds(120), async () =>
        {
            await using var command = db.CreateCommand(
                "SELECT count(*) FROM comments WHERE site_id = @site AND status <> 'pending' AND id = ANY(@ids)");
            command.Parameters.AddWithValue("site", site);
            command.Parameters.AddWithValue("ids", accepted.ToArray());
            return (long)(await command.ExecuteScalarAsync())! == accepted.Count ? "" : null;
        }, $"all {accepted.Count} comments published and decided after the restart");
    }
}
