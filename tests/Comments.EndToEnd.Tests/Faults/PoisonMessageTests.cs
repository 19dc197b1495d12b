using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Moderation;
using Comments.Tests.Fixtures;
using Npgsql;
using RabbitMQ.Client;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>A message that always fails is retried, parked in the error queue, and re-driven by the admin command once fixed.</summary>
[Collection(RunsAlone.Name)]
public sealed class PoisonMessageTests
{
    [Fact]
    public async Task AFailingMessageLandsInTheErrorQueueAndIsDecidedAfterTheCauseIsFixedAndItIsRedriven()
    {
        var shared = await Servers.GetAsync();
        await using var own = await OwnServers.StartAsync(rabbitMq: true);
        var servers = shared with { RabbitMq = own.RabbitMq };
        var site = await TestSites.CreateAsync(servers);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        async Task SetPolicy(string policy)
        {
            await using var command = db.CreateCommand("UPDATE sites SET policy = @policy::jsonb WHERE id = @site");
            command.Parameters.AddWithValue("policy", policy);
            command.Parameters.AddWithValue("site", site);
            await command.ExecuteNonQueryAsync();
        }

        await SetPolicy("""{"bannedWords": 5}"""); // a broken policy: every comment of this site fails in the worker
        await using var api = new ServiceFactory<ApiEntryPoint>(servers);
        await using var worker = new ServiceFactory<ModerationEntryPoint>(servers,
            new Dictionary<string, string?> { ["Messaging:RetryIntervalsMs"] = "50,50,50" }).Started();
        using var client = api.CreateClient();

        var response = await client.PostAsJsonAsync($"/api/v1/sites/{site}/articles/poison/comments", new { authorName = "P", body = "A calm remark." });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var factory = new ConnectionFactory { Uri = new Uri(own.RabbitMq) };
        await using (var connection = await factory.CreateConnectionAsync())
        {
            await Eventually.Within(TimeSpan.FromSeconds(20), async () =>
            {
                // A passive declare of a missing queue closes its channel: a fresh one per look.
                await using var channel = await connection.CreateChannelAsync();
                try
                {
                    return (await channel.QueueDeclarePassiveAsync("comment-submitted_error")).MessageCount == 1 ? "" : null;
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    return null; // not declared yet
                }
            }, "the message parked in comment-submitted_error");
        }

        Assert.Equal("pending", await StatusOf(db, id));

        await SetPolicy(TestSites.DefaultPolicy);
        var (exitCode, output) = await RunAdminAsync(servers, "admin", "redrive", "--queue", "comment-submitted");

        Assert.Equal(0, exitCode);
        Assert.Contains("Moved 1 message(s)", output, StringComparison.Ordinal);
        await Eventually.Within(TimeSpan.FromSeconds(10), async () => await StatusOf(db, id) == "approved" ? "" : null, "the re-driven comment decided");
    }

    private static async Task<string?> StatusOf(NpgsqlDataSource db, Guid id)
    {
        await using var command = db.CreateCommand("SELECT status FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (string?)await command.ExecuteScalarAsync();
    }

    private static async Task<(int ExitCode, string Output)> RunAdminAsync(ServerAddresses servers, params string[] args)
    {
        var dll = ServiceProcess.DllOf("Comments.Api");
        var info = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["ConnectionStrings__postgres"] = servers.Postgres;
        info.Environment["ConnectionStrings__rabbitmq"] = servers.RabbitMq;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + error);
    }
}
