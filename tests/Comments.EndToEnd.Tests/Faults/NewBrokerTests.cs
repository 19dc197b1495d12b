using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Contracts;
using Comments.Moderation;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using Npgsql;
using RabbitMQ.Client;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>
/// A RabbitMQ on which no worker has declared its queue yet, as on a first deploy where the Api starts first: what the
/// Api accepts meanwhile waits for the worker, it is not dropped by the broker for having no queue to go to. Each test
/// has a broker and a database of its own (no other dispatcher may publish its outbox).
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class NewBrokerTests
{
    [Fact]
    public async Task ACommentAcceptedBeforeAnyWorkerEverConnectedWaitsInTheQueueAndIsDecidedOnceAWorkerStarts()
    {
        await using var own = await OwnServers.StartAsync(rabbitMq: true);
        var servers = await IsolatedAsync(own);
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await using var api = new ServiceFactory<ApiEntryPoint>(servers);
        using var client = api.CreateClient();

        var first = await SubmitAsync(client, site, "Posted before the worker ever ran.");
        await Eventually.Within(TimeSpan.FromSeconds(30), async () => await UnsentAsync(db) == 0 ? "" : null, "the submission published");
        Assert.Equal(1u, await QueueDepthAsync(own, ConsumerQueues.Moderation));

        var worker = new ServiceFactory<ModerationEntryPoint>(servers).Started();
        await using (worker)
        {
            await Eventually.Within(TimeSpan.FromSeconds(30), async () => await TestComments.StatusAsync(db, first) != "pending" ? "" : null,
                "the comment decided by the worker started after it was accepted");
        }

        // Now the worker's own bindings exist beside the one the Api declared: a message still reaches the queue once.
        await SubmitAsync(client, site, "Posted while the worker is stopped.");
        await Eventually.Within(TimeSpan.FromSeconds(30), async () => await UnsentAsync(db) == 0 ? "" : null, "the second submission published");
        Assert.Equal(1u, await QueueDepthAsync(own, ConsumerQueues.Moderation));
    }

    [Fact]
    public async Task AMessageNoQueueTakesStaysUnsentWithTheBrokersReasonUntilAQueueIsBound()
    {
        await using var own = await OwnServers.StartAsync(rabbitMq: true);
        var servers = await IsolatedAsync(own);
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await using var api = new ServiceFactory<ApiEntryPoint>(servers, new Dictionary<string, string?> { ["Outbox:MaxBackoff"] = "00:00:01" });
        using var client = api.CreateClient();

        // A contract no service consumes (no queue is declared for it), written to the outbox as a service would.
        var orphan = new CommentModerated(Guid.CreateVersion7(), site, "new-broker", "approved", [], DateTimeOffset.UtcNow);
        await using (var connection = await db.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await OutboxWriter.EnqueueAsync(connection, transaction, orphan, DateTimeOffset.UtcNow, CancellationToken.None);
            await transaction.CommitAsync();
        }

        var error = await Eventually.Within(TimeSpan.FromSeconds(30), async () =>
        {
            await using var command = db.CreateCommand("SELECT attempts, last_error FROM outbox WHERE sent_at IS NULL AND message_type = @type");
            command.Parameters.AddWithValue("type", typeof(CommentModerated).FullName!);
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync() && reader.GetInt32(0) >= 2 ? reader.GetString(1) : null;
        }, "the unroutable message tried twice and still unsent");
        Assert.Contains("returned", error, StringComparison.OrdinalIgnoreCase);

        // A comment submitted after it is published all the same (OutboxDispatcherTests show the failing row's own delay).
        await SubmitAsync(client, site, "Behind an unroutable message.");
        await Eventually.Within(TimeSpan.FromSeconds(30), async () => await UnsentAsync(db) == 0 ? "" : null, "the submission published");

        // Once a queue is bound to the message's exchange, the retried publish reaches it.
        var factory = new ConnectionFactory { Uri = new Uri(own.RabbitMq) };
        await using var broker = await factory.CreateConnectionAsync();
        await using var channel = await broker.CreateChannelAsync();
        await channel.QueueDeclareAsync("orphans", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("orphans", "Comments.Contracts:CommentModerated", routingKey: "");
        await Eventually.Within(TimeSpan.FromSeconds(30), async () => (await channel.QueueDeclarePassiveAsync("orphans")).MessageCount == 1 ? "" : null,
            "the message in the newly bound queue");
        await using var unsent = db.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        Assert.Equal(0L, await unsent.ExecuteScalarAsync());
    }

    private static async Task<ServerAddresses> IsolatedAsync(OwnServers own)
    {
        var servers = (await Servers.GetAsync()) with { RabbitMq = own.RabbitMq };
        return servers with { Postgres = await Servers.CreateIsolatedDatabaseAsync(servers) };
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, string site, string body)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/sites/{site}/articles/new-broker/comments", new { authorName = "N", body });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<long> UnsentAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND message_type = @type");
        command.Parameters.AddWithValue("type", typeof(CommentsSubmitted).FullName!);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<uint> QueueDepthAsync(OwnServers own, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(own.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }
}
