using System.Collections.Concurrent;
using Comments.Contracts;
using Comments.Moderation.Moderation;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Comments.Moderation.Tests.Moderation;

/// <summary>The consumer on MassTransit's in-memory harness, writing to the real PostgreSQL.</summary>
public sealed class CommentSubmittedConsumerTests : IAsyncLifetime
{
    private readonly Consumptions _consumed = new();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _site = await TestSites.CreateAsync(servers);
        _db = NpgsqlDataSource.Create(servers.Postgres);

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(_db);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutboxSignal>();
        builder.AddModeration();
        // Messages published back to back share a batch; a failing batch is retried quickly and then faulted.
        builder.Services.Configure<MessagingOptions>(o => (o.BatchWait, o.RetryIntervalsMs) = (TimeSpan.FromMilliseconds(50), "20,20"));
        builder.Services.AddMassTransitTestHarness(bus =>
            bus.AddConsumer<CommentSubmittedConsumer, CommentSubmittedConsumerDefinition>());
        _provider = builder.Services.BuildServiceProvider(validateScopes: true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _harness.Bus.ConnectConsumeObserver(_consumed);
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<CommentSubmitted> PendingComment(string body, string? authorKey = null, string? userId = null)
    {
        var message = new CommentSubmitted(Guid.CreateVersion7(), _site, "story", null, "Reader", body, DateTimeOffset.UtcNow);
        await using var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, 'story') ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, author_email_hash, author_user_id, body, status, created_at)
            VALUES (@id, @site, 'story', 'Reader', @key, @user, @body, 'pending', now());
            """);
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("id", message.CommentId);
        command.Parameters.AddWithValue("key", (object?)authorKey ?? DBNull.Value);
        command.Parameters.AddWithValue("user", (object?)userId ?? DBNull.Value);
        command.Parameters.AddWithValue("body", body);
        await command.ExecuteNonQueryAsync();
        return message;
    }

    private Task Deliver(CommentSubmitted message) => DeliverTogether([[message]]);

    /// <summary>
    /// Publishes one message per group, back to back (so they share a batch), and waits until each was consumed without
    /// error (or, with <paramref name="expectFaults"/>, until one failed).
    /// </summary>
    private async Task DeliverTogether(IReadOnlyList<IReadOnlyList<CommentSubmitted>> groups, bool expectFaults = false)
    {
        var ids = groups.SelectMany(g => g).Select(m => m.CommentId).ToHashSet();
        int Consumed(bool faulted) => _consumed.Count(m => m.Comments.Any(c => ids.Contains(c.CommentId)), faulted);
        var before = Consumed(faulted: false);
        await Task.WhenAll(groups.Select(g => _harness.Bus.Publish(new CommentsSubmitted(g))));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (expectFaults ? Consumed(faulted: true) == 0 : Consumed(faulted: false) < before + groups.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, "the consumer did not receive the messages");
            await Task.Delay(20);
        }

        if (!expectFaults)
        {
            Assert.Equal(0, Consumed(faulted: true));
        }
    }

    /// <summary>Each comment in its own message, as when submissions trickle in one at a time.</summary>
    private Task DeliverEachAlone(IEnumerable<CommentSubmitted> messages) => DeliverTogether([.. messages.Select(m => (IReadOnlyList<CommentSubmitted>)[m])]);

    private async Task<(string Status, string Reasons, string? Model, DateTime? DecidedAt)> Row(Guid id)
    {
        await using var command = _db.CreateCommand("SELECT status, reasons::text, model_version, decided_at FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetDateTime(3));
    }

    private async Task<long> ModeratedEvents(Guid id)
    {
        await using var command = _db.CreateCommand(
            """
            SELECT count(*) FROM outbox o, jsonb_array_elements(o.payload->'decisions') d
            WHERE o.message_type = @type AND d->>'commentId' = @id
            """);
        command.Parameters.AddWithValue("type", typeof(CommentsModerated).FullName!);
        command.Parameters.AddWithValue("id", id.ToString());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task ApprovesACleanCommentAndQueuesItsModeratedEvent()
    {
        var message = await PendingComment("Thanks for the clear reporting.");

        await Deliver(message);

        var row = await Row(message.CommentId);
        Assert.Equal("approved", row.Status);
        Assert.Equal("[]", row.Reasons);
        Assert.Equal(_provider.GetRequiredService<CommentModerator>().ModelVersion, row.Model);
        Assert.StartsWith("rules-1+ml-", row.Model, StringComparison.Ordinal);
        Assert.NotNull(row.DecidedAt);
        Assert.Equal(1, await ModeratedEvents(message.CommentId));
    }

    [Fact]
    public async Task RejectsABannedWordWithItsReason()
    {
        var message = await PendingComment("What a M0R0N.");

        await Deliver(message);

        var row = await Row(message.CommentId);
        Assert.Equal("rejected", row.Status);
        Assert.Contains("banned word: moron", row.Reasons, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HoldsACommentWithMoreThanTwoLinks()
    {
        var message = await PendingComment("see http://a.example http://b.example http://c.example");

        await Deliver(message);

        var row = await Row(message.CommentId);
        Assert.Equal("held", row.Status);
        Assert.Contains("3 links", row.Reasons, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARedeliveredMessageChangesNothing()
    {
        var message = await PendingComment("Delivered twice.");
        await Deliver(message);
        var first = await Row(message.CommentId);

        // The same message again, even with a body that would now be rejected.
        await Deliver(message with { Body = "idiot" });

        Assert.Equal(first, await Row(message.CommentId));
        Assert.Equal(1, await ModeratedEvents(message.CommentId));
    }

    [Fact]
    public async Task AppliesThePremoderationModeOfTheSite()
    {
        await using (var command = _db.CreateCommand("UPDATE sites SET policy = '{\"mode\":\"premoderate\"}' WHERE id = @site"))
        {
            command.Parameters.AddWithValue("site", _site);
            await command.ExecuteNonQueryAsync();
        }

        var message = await PendingComment("Perfectly clean.");
        await Deliver(message);

        Assert.Equal("held", (await Row(message.CommentId)).Status);
    }

    private async Task Ban(string authorKey, string expiresSql, bool lifted = false)
    {
        await using var command = _db.CreateCommand(
            $"""
            INSERT INTO moderators (id, name, token_hash, created_at) VALUES (@moderator, 'Mod', @hash, now());
            INSERT INTO bans (id, site_id, author_key, created_by, created_at, expires_at, lifted_at)
            VALUES (gen_random_uuid(), @site, @key, @moderator, now(), {expiresSql}, {(lifted ? "now()" : "NULL")});
            """);
        command.Parameters.AddWithValue("moderator", Guid.CreateVersion7());
        command.Parameters.AddWithValue("hash", Guid.NewGuid().ToByteArray());
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("key", authorKey);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task RejectsACleanCommentOfAPermanentlyBannedAuthor()
    {
        await Ban("banned-author", "NULL");
        var message = await PendingComment("Perfectly clean.", authorKey: "banned-author");

        await Deliver(message);

        var row = await Row(message.CommentId);
        Assert.Equal("rejected", row.Status);
        Assert.Contains("\"author banned\"", row.Reasons, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamesTheEndOfATimedBanInTheReason()
    {
        await Ban("timed-author", "'2099-01-02 03:04:00+00'");
        var message = await PendingComment("Perfectly clean.", authorKey: "timed-author");

        await Deliver(message);

        Assert.Contains("author banned until 2099-01-02 03:04 UTC", (await Row(message.CommentId)).Reasons, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectsACleanCommentOfABannedSiteUserByTheirUserKey()
    {
        await Ban("user:u-42", "NULL");
        var banned = await PendingComment("Perfectly clean.", userId: "u-42");
        var sameIdAsEmailKey = await PendingComment("Perfectly clean.", authorKey: "u-42");

        await Deliver(banned);
        await Deliver(sameIdAsEmailKey);

        var row = await Row(banned.CommentId);
        Assert.Equal("rejected", row.Status);
        Assert.Contains("\"author banned\"", row.Reasons, StringComparison.Ordinal);
        Assert.Equal("approved", (await Row(sameIdAsEmailKey.CommentId)).Status);
    }

    [Fact]
    public async Task ABanOnAnEmailHashDoesNotRejectASiteUserWhoCarriesThatEmail()
    {
        await Ban("email-hash-of-victim", "NULL");
        var anonymous = await PendingComment("Perfectly clean.", authorKey: "email-hash-of-victim");
        var signedIn = await PendingComment("Perfectly clean.", authorKey: "email-hash-of-victim", userId: "u-77");

        await Deliver(anonymous);
        await Deliver(signedIn);

        Assert.Equal("rejected", (await Row(anonymous.CommentId)).Status);
        Assert.Equal("approved", (await Row(signedIn.CommentId)).Status);
    }

    [Fact]
    public async Task AnExpiredOrLiftedBanNoLongerRejects()
    {
        await Ban("expired-author", "now() - interval '1 hour'");
        await Ban("lifted-author", "NULL", lifted: true);
        var expired = await PendingComment("Perfectly clean.", authorKey: "expired-author");
        var lifted = await PendingComment("Perfectly clean.", authorKey: "lifted-author");

        await Deliver(expired);
        await Deliver(lifted);

        Assert.Equal("approved", (await Row(expired.CommentId)).Status);
        Assert.Equal("approved", (await Row(lifted.CommentId)).Status);
    }

    private static readonly string[] KeptOut = ["held", "rejected"];

    private async Task UseDefaultModelThresholds()
    {
        await using var command = _db.CreateCommand("UPDATE sites SET policy = policy - 'thresholds' WHERE id = @site");
        command.Parameters.AddWithValue("site", _site);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task KeepsAnObviouslyToxicCommentOutOfTheThreadByTheModelWithItsScoreAsReason()
    {
        await UseDefaultModelThresholds();
        var message = await PendingComment("You are a stupid worthless piece of garbage, shut up and go away you pathetic loser.");

        await Deliver(message);

        var row = await Row(message.CommentId);
        Assert.Contains(row.Status, KeptOut);
        Assert.Matches(@"toxicity 0\.\d+ ≥ (hold|reject) threshold", row.Reasons);
    }

    [Fact]
    public async Task KeepsObviousChannelSpamOutOfTheThreadByTheModel()
    {
        await UseDefaultModelThresholds();
        var message = await PendingComment("CHECK OUT MY CHANNEL!!! Subscribe to my channel for free gift cards, please subscribe and like!!!");

        await Deliver(message);

        var row = await Row(message.CommentId);
        Assert.Contains(row.Status, KeptOut);
        Assert.Contains("spam", row.Reasons, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovesAnOrdinaryCleanCommentUnderTheDefaultModelThresholds()
    {
        await UseDefaultModelThresholds();
        var message = await PendingComment("Thanks for the careful reporting; the timeline of the ceasefire talks was especially helpful.");

        await Deliver(message);

        Assert.Equal("approved", (await Row(message.CommentId)).Status);
    }

    [Fact]
    public async Task IgnoresAMessageForACommentThatDoesNotExist()
    {
        var message = new CommentSubmitted(Guid.CreateVersion7(), _site, "story", null, "Reader", "ghost", DateTimeOffset.UtcNow);

        await Deliver(message);

        Assert.Equal(0, await ModeratedEvents(message.CommentId));
    }

    [Fact]
    public async Task DecidesCommentsDeliveredTogetherEachOnceWithItsOwnOutcome()
    {
        var clean = new List<CommentSubmitted>();
        var banned = new List<CommentSubmitted>();
        for (var i = 0; i < 15; i++)
        {
            clean.Add(await PendingComment($"Calm remark number {i} about the story."));
            banned.Add(await PendingComment($"You moron, number {i}."));
        }

        // Twice over, as after a redelivery: the second copy of each message finds its comment decided.
        await DeliverEachAlone([.. clean, .. banned, .. clean]);

        foreach (var message in clean)
        {
            Assert.Equal("approved", (await Row(message.CommentId)).Status);
            Assert.Equal(1, await ModeratedEvents(message.CommentId));
        }

        foreach (var message in banned)
        {
            var row = await Row(message.CommentId);
            Assert.Equal("rejected", row.Status);
            Assert.Contains("banned word: moron", row.Reasons, StringComparison.Ordinal);
            Assert.Equal(1, await ModeratedEvents(message.CommentId));
        }
    }

    [Fact]
    public async Task AGroupOfCommentsIsAnnouncedInOneMessageListingOnlyTheOnesItDecided()
    {
        var decidedBefore = await PendingComment("Decided by an earlier delivery.");
        await Deliver(decidedBefore);
        var group = new List<CommentSubmitted>();
        for (var i = 0; i < 5; i++)
        {
            group.Add(await PendingComment(i % 2 == 0 ? $"Calm remark {i}." : $"You moron, number {i}."));
        }

        await DeliverTogether([[group[0], group[1], decidedBefore, group[2], group[3], group[4]]]);

        await using var command = _db.CreateCommand(
            """
            SELECT o.id, d->>'commentId', d->>'status' FROM outbox o, jsonb_array_elements(o.payload->'decisions') WITH ORDINALITY AS e(d, n)
            WHERE o.message_type = @type AND (d->>'commentId')::uuid = ANY(@ids) ORDER BY o.id, e.n
            """);
        command.Parameters.AddWithValue("type", typeof(CommentsModerated).FullName!);
        command.Parameters.AddWithValue("ids", group.Select(m => m.CommentId).Append(decidedBefore.CommentId).ToArray());
        var announced = new List<(long Message, Guid Id, string Status)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                announced.Add((reader.GetInt64(0), Guid.Parse(reader.GetString(1)), reader.GetString(2)));
            }
        }

        // The earlier delivery's own message, then one message for the group: its five new decisions in order, not the old one.
        Assert.Equal(2, announced.Select(a => a.Message).Distinct().Count());
        Assert.Equal(decidedBefore.CommentId, announced[0].Id);
        Assert.Equal(group.Select(m => m.CommentId), announced.Skip(1).Select(a => a.Id));
        Assert.Equal(["approved", "rejected", "approved", "rejected", "approved"], announced.Skip(1).Select(a => a.Status));
        Assert.Single(announced.Skip(1).Select(a => a.Message).Distinct());
    }

    [Fact]
    public async Task AGroupLargerThanOneStatementTakesIsDecidedWholeInChunksEachAnnouncedOnce()
    {
        var count = CommentSubmittedConsumer.MaxPerStatement + 20;
        var group = await PendingComments(_site, count);

        await DeliverTogether([group]);

        await using var check = _db.CreateCommand(
            """
            SELECT (SELECT count(*) FROM comments WHERE id = ANY(@ids) AND status = 'approved'),
                   (SELECT count(DISTINCT o.id) FROM outbox o, jsonb_array_elements(o.payload->'decisions') d
                    WHERE o.message_type = @type AND (d->>'commentId')::uuid = ANY(@ids)),
                   (SELECT count(*) FROM outbox o, jsonb_array_elements(o.payload->'decisions') d
                    WHERE o.message_type = @type AND (d->>'commentId')::uuid = ANY(@ids))
            """);
        check.Parameters.AddWithValue("ids", group.Select(m => m.CommentId).ToArray());
        check.Parameters.AddWithValue("type", typeof(CommentsModerated).FullName!);
        await using var reader = await check.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(count, reader.GetInt64(0));
        Assert.Equal(2, reader.GetInt64(1));     // one message per statement's worth
        Assert.Equal(count, reader.GetInt64(2)); // each decision announced once
    }

    /// <summary>Many pending comments on one site at once, with calm texts.</summary>
    private async Task<List<CommentSubmitted>> PendingComments(string site, int count)
    {
        var group = Enumerable.Range(0, count)
            .Select(i => new CommentSubmitted(Guid.CreateVersion7(), site, "story", null, "Reader", $"Calm remark {i}.", DateTimeOffset.UtcNow))
            .ToList();
        await using var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, 'story') ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
            SELECT id, @site, 'story', 'Reader', body, 'pending', now() FROM unnest(@ids, @bodies) AS c(id, body);
            """);
        command.Parameters.AddWithValue("site", site);
        command.Parameters.AddWithValue("ids", group.Select(m => m.CommentId).ToArray());
        command.Parameters.AddWithValue("bodies", group.Select(m => m.Body).ToArray());
        await command.ExecuteNonQueryAsync();
        return group;
    }

    private async Task<string> BrokenSite()
    {
        var brokenSite = await TestSites.CreateAsync(await Servers.GetAsync());
        await using var command = _db.CreateCommand("UPDATE sites SET policy = '{\"bannedWords\": 5}' WHERE id = @site");
        command.Parameters.AddWithValue("site", brokenSite);
        await command.ExecuteNonQueryAsync();
        return brokenSite;
    }

    [Fact]
    public async Task ACommentThatCannotBeDecidedHoldsBackNoCommentInALaterChunkOfItsGroup()
    {
        var broken = (await PendingComments(await BrokenSite(), 1))[0];
        var good = await PendingComments(_site, CommentSubmittedConsumer.MaxPerStatement + 5);

        await DeliverTogether([[broken, .. good]], expectFaults: true);

        await Eventually.Within(TimeSpan.FromSeconds(10), async () => (await Row(good[^1].CommentId)).Status == "approved" ? "" : null,
            "the last chunk decided");
        foreach (var message in good)
        {
            Assert.Equal("approved", (await Row(message.CommentId)).Status);
        }

        Assert.Equal("pending", (await Row(broken.CommentId)).Status);
    }

    [Fact]
    public async Task ACommentThatCannotBeDecidedDoesNotHoldBackTheOthersInItsBatch()
    {
        var good = await PendingComment("Perfectly clean.");
        var broken = (await PendingComments(await BrokenSite(), 1))[0];

        await DeliverTogether([[good], [broken]], expectFaults: true);

        // The good one shared the failing batch (its delivery failed with it) and was decided all the same.
        await Eventually.Within(TimeSpan.FromSeconds(10), () => Task.FromResult(
            _consumed.Count(m => m.Comments.Any(c => c.CommentId == good.CommentId), faulted: true) > 0 ? "" : null), "the good comment's delivery failed with its batch");
        Assert.Equal("approved", (await Row(good.CommentId)).Status);
        Assert.Equal(1, await ModeratedEvents(good.CommentId));
        Assert.Equal("pending", (await Row(broken.CommentId)).Status);
        Assert.Equal(0, await ModeratedEvents(broken.CommentId));
    }

    /// <summary>
    /// Each consumed message as the bus reports it, done or faulted. Reading it never waits (the harness's
    /// Consumed list does, until the bus falls quiet or its timeout, which under load outlasted the tests' deadlines).
    /// </summary>
    private sealed class Consumptions : IConsumeObserver
    {
        private readonly ConcurrentQueue<(CommentsSubmitted Message, bool Faulted)> _seen = new();

        public int Count(Func<CommentsSubmitted, bool> match, bool faulted) => _seen.Count(s => s.Faulted == faulted && match(s.Message));

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Record(context.Message, faulted: false);

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Record(context.Message, faulted: true);

        private Task Record(object message, bool faulted)
        {
            if (message is CommentsSubmitted submitted)
            {
                _seen.Enqueue((submitted, faulted));
            }
            return Task.CompletedTask;
        }
    }
}
