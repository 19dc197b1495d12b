using Comments.Contracts;
using Comments.Moderation;
using Comments.Moderation.Moderation;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>
/// A comment whose message is gone (parked in the error queue by a long outage, or lost with a broker) is sent to
/// moderation again instead of staying pending forever; a backlog is never sent twice. The class has a RabbitMQ of its
/// own (the tests read and purge the worker's queue) and each test a database of its own.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class PendingResendTests(OwnBroker broker) : IClassFixture<OwnBroker>
{
    [Fact]
    public async Task ACommentLeftPendingWithNoMessageAnywhereIsSentAgainAndDecided()
    {
        var servers = await IsolatedAsync();
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        var orphan = await InsertPendingAsync(db, site, TimeSpan.FromHours(1));

        await using var worker = new ServiceFactory<ModerationEntryPoint>(servers, new Dictionary<string, string?>
        {
            ["Moderation:ResendPending:Limit"] = "5",
            ["Moderation:ResendPending:After"] = "00:00:30", // the comment is an hour old: sent at the first sweep, and only once
            ["Moderation:ResendPending:Interval"] = "00:00:00.500",
        }).Started();

        await Eventually.Within(TimeSpan.FromSeconds(30), async () => await TestComments.StatusAsync(db, orphan) != "pending" ? "" : null,
            "the orphaned comment decided");
        await using var command = db.CreateCommand("SELECT resends FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", orphan);
        Assert.Equal((short)1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task NothingIsSentAgainWhileABacklogWaitsAndEachCommentAtMostTheLimitAfterTheWaitEachTimeAndNoneBeyondTheMaximumAge()
    {
        var servers = await IsolatedAsync();
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        var old = await InsertPendingAsync(db, site, TimeSpan.FromMinutes(30));
        var recent = await InsertPendingAsync(db, site, TimeSpan.FromMinutes(1));
        await InsertPendingAsync(db, site, TimeSpan.FromDays(2)); // beyond MaxAge: left to the moderators, never sent
        var clock = ManualClock.StartingNow();
        var resender = new PendingResender(db,
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:rabbitmq"] = broker.Servers.RabbitMq }).Build(),
            new OutboxSignal(), Options.Create(new PendingResendOptions { After = TimeSpan.FromMinutes(10), Limit = 2 }), clock,
            NullLogger<PendingResender>.Instance);

        var factory = new ConnectionFactory { Uri = new Uri(broker.Servers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(ConsumerQueues.Moderation, durable: true, exclusive: false, autoDelete: false);
        await channel.QueuePurgeAsync(ConsumerQueues.Moderation);
        await channel.BasicPublishAsync("", ConsumerQueues.Moderation, "a message of a backlog"u8.ToArray());
        await Eventually.Within(TimeSpan.FromSeconds(10), async () =>
            (await channel.QueueDeclarePassiveAsync(ConsumerQueues.Moderation)).MessageCount == 1 ? "" : null, "the backlog in the queue");

        Assert.Equal(0, await resender.ResendAsync(CancellationToken.None));
        Assert.Equal(0L, await OutboxRowsAsync(db));

        await channel.QueuePurgeAsync(ConsumerQueues.Moderation);
        Assert.Equal(1, await resender.ResendAsync(CancellationToken.None));
        var sent = await OutboxCommentIdsAsync(db);
        Assert.Equal([old], sent);

        // Not again until the wait has passed once more, and never more often than the limit.
        Assert.Equal(0, await resender.ResendAsync(CancellationToken.None)); // the resent message is not yet published: unsent rows block
        await MarkOutboxSentAsync(db);
        Assert.Equal(0, await resender.ResendAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        Assert.Equal(2, await resender.ResendAsync(CancellationToken.None)); // the old one again, and the recent one now due
        await MarkOutboxSentAsync(db);
        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await resender.ResendAsync(CancellationToken.None)); // the recent one's second; the old one is at the limit
        await using var resends = db.CreateCommand("SELECT resends FROM comments WHERE id = @id");
        resends.Parameters.AddWithValue("id", recent);
        Assert.Equal((short)2, await resends.ExecuteScalarAsync());
    }

    private async Task<ServerAddresses> IsolatedAsync()
    {
        var servers = (await Servers.GetAsync()) with { RabbitMq = broker.Servers.RabbitMq };
        return servers with { Postgres = await Servers.CreateIsolatedDatabaseAsync(servers) };
    }

    private static async Task<Guid> InsertPendingAsync(NpgsqlDataSource db, string site, TimeSpan age)
    {
        var id = Guid.CreateVersion7();
        await using var command = db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, 'resend') ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
            VALUES (@id, @site, 'resend', 'Orphan', 'A calm remark whose message was lost.', 'pending', now() - @age);
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", site);
        command.Parameters.AddWithValue("age", age);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private static async Task<long> OutboxRowsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM outbox");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<Guid>> OutboxCommentIdsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT (c->>'commentId')::uuid FROM outbox, jsonb_array_elements(payload->'comments') c WHERE message_type = @type");
        command.Parameters.AddWithValue("type", typeof(CommentsSubmitted).FullName!);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static async Task MarkOutboxSentAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL");
        await command.ExecuteNonQueryAsync();
    }
}
