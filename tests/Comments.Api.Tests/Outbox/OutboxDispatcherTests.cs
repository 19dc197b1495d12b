using Comments.Contracts;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Api.Tests.Outbox;

/// <summary>The dispatcher against a database of its own, so no other test's dispatcher can take its rows.</summary>
public sealed class OutboxDispatcherTests : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;
    private readonly SwitchablePublisher _publisher = new();
    private readonly ManualClock _time = ManualClock.StartingNow();
    private OutboxDispatcher _dispatcher = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _db = NpgsqlDataSource.Create(await Servers.CreateIsolatedDatabaseAsync(servers));
        _dispatcher = new OutboxDispatcher(_db, _publisher, new OutboxSignal(),
            Options.Create(new OutboxOptions()), _time, NullLogger<OutboxDispatcher>.Instance);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<Guid> EnqueueAsync()
    {
        var message = new CommentModerated(Guid.CreateVersion7(), "site", "article", "approved", [], DateTimeOffset.UtcNow);
        await using var connection = await _db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await OutboxWriter.EnqueueAsync(connection, transaction, new CommentsModerated([message]), DateTimeOffset.UtcNow, CancellationToken.None);
        await transaction.CommitAsync();
        return message.CommentId;
    }

    private async Task<(DateTime? SentAt, int Attempts, string? Error)> RowAsync()
    {
        await using var command = _db.CreateCommand("SELECT sent_at, attempts, last_error FROM outbox");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var row = (reader.IsDBNull(0) ? (DateTime?)null : reader.GetDateTime(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        Assert.False(await reader.ReadAsync());
        return row;
    }

    [Fact]
    public async Task PurgeDeletesOnlyRowsSentBeforeTheRetentionPeriod()
    {
        var old = await EnqueueAsync();
        var recent = await EnqueueAsync();
        var unsent = await EnqueueAsync();
        await using (var stamp = _db.CreateCommand(
            """
            UPDATE outbox SET sent_at = CASE payload#>>'{decisions,0,commentId}' WHEN @old THEN now() - interval '8 days' ELSE now() - interval '1 day' END
            WHERE payload#>>'{decisions,0,commentId}' IN (@old, @recent)
            """))
        {
            stamp.Parameters.AddWithValue("old", old.ToString());
            stamp.Parameters.AddWithValue("recent", recent.ToString());
            Assert.Equal(2, await stamp.ExecuteNonQueryAsync());
        }

        var purged = await _dispatcher.PurgeSentAsync(CancellationToken.None); // default retention: 7 days

        Assert.Equal(1, purged);
        await using var left = _db.CreateCommand("SELECT payload#>>'{decisions,0,commentId}' FROM outbox ORDER BY id");
        await using var reader = await left.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        Assert.Equal([recent.ToString(), unsent.ToString()], ids);
    }

    [Fact]
    public async Task PurgeDeletesAtMostOneBatchPerCallSoDispatchingIsNeverHeldUp()
    {
        await using (var fill = _db.CreateCommand(
            """
            INSERT INTO outbox (message_id, message_type, payload, created_at, sent_at)
            SELECT gen_random_uuid(), 'test', '{}'::jsonb, now() - interval '9 days', now() - interval '8 days'
            FROM generate_series(1, @n)
            """))
        {
            fill.Parameters.AddWithValue("n", OutboxDispatcher.PurgeBatchSize + 2);
            await fill.ExecuteNonQueryAsync();
        }

        Assert.Equal(OutboxDispatcher.PurgeBatchSize, await _dispatcher.PurgeSentAsync(CancellationToken.None));
        Assert.Equal(2, await _dispatcher.PurgeSentAsync(CancellationToken.None));
        Assert.Equal(0, await _dispatcher.PurgeSentAsync(CancellationToken.None));
    }

    [Fact]
    public async Task PublishesAnUnsentMessageAndStampsItSent()
    {
        var commentId = await EnqueueAsync();

        var result = await _dispatcher.DispatchBatchAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(1, 0), result);
        var published = Assert.Single(_publisher.Published);
        Assert.Equal(typeof(CommentsModerated).FullName, published.MessageType);
        Assert.Contains(commentId.ToString(), published.Payload, StringComparison.Ordinal);
        Assert.NotNull((await RowAsync()).SentAt);
    }

    [Fact]
    public async Task LeavesTheRowUnsentWhenPublishingFailsAndSendsItOnTheNextAttempt()
    {
        await EnqueueAsync();
        _publisher.Down = true;

        var failed = await _dispatcher.DispatchBatchAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(0, 1), failed);
        var row = await RowAsync();
        Assert.Null(row.SentAt);
        Assert.Equal(1, row.Attempts);
        Assert.Contains("broker down", row.Error, StringComparison.Ordinal);

        _publisher.Down = false;
        Assert.Equal(new DispatchResult(0, 0), await _dispatcher.DispatchBatchAsync(CancellationToken.None)); // waits its turn
        _time.Advance(OutboxDispatcher.FirstRetryDelay);
        var retried = await _dispatcher.DispatchBatchAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(1, 0), retried);
        Assert.NotNull((await RowAsync()).SentAt);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task ARowThatKeepsFailingWaitsLongerEachTimeUpToTheMaximumAndHoldsUpNoRowBehindIt()
    {
        var stuck = await EnqueueAsync();
        _publisher.FailsFor = message => message.Payload.Contains(stuck.ToString(), StringComparison.Ordinal);
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 10; i++)
        {
            var behind = await EnqueueAsync();
            var round = await _dispatcher.DispatchBatchAsync(CancellationToken.None);

            Assert.Equal(new DispatchResult(1, 1), round);
            Assert.Contains(_publisher.Published, m => m.Payload.Contains(behind.ToString(), StringComparison.Ordinal));
            await using var command = _db.CreateCommand("SELECT next_attempt_at FROM outbox WHERE sent_at IS NULL");
            var next = (DateTime)(await command.ExecuteScalarAsync())!;
            var wait = new DateTimeOffset(next, TimeSpan.Zero) - _time.GetUtcNow();
            waits.Add(wait);
            _time.Advance(wait);
        }

        // 0.2, 0.4, 0.8 ... 25.6 s, then the 30 s maximum (microseconds lost to the database's clock resolution aside).
        var expected = Enumerable.Range(0, 10)
            .Select(i => TimeSpan.FromTicks(Math.Min(OutboxDispatcher.FirstRetryDelay.Ticks << i, new OutboxOptions().MaxBackoff.Ticks)));
        Assert.Equal(expected.Select(t => t.TotalMilliseconds), waits.Select(w => Math.Round(w.TotalMilliseconds)));
    }

    [Fact]
    public async Task DoesNotPublishAMessageTwiceOnceItIsSent()
    {
        await EnqueueAsync();
        await _dispatcher.DispatchBatchAsync(CancellationToken.None);

        var second = await _dispatcher.DispatchBatchAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(0, 0), second);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task TwoDispatchersNeverClaimTheSameRow()
    {
        for (var i = 0; i < 300; i++)
        {
            await EnqueueAsync();
        }

        var other = new OutboxDispatcher(_db, _publisher, new OutboxSignal(),
            Options.Create(new OutboxOptions { BatchSize = 50 }), TimeProvider.System, NullLogger<OutboxDispatcher>.Instance);
        var mine = new OutboxDispatcher(_db, _publisher, new OutboxSignal(),
            Options.Create(new OutboxOptions { BatchSize = 50 }), TimeProvider.System, NullLogger<OutboxDispatcher>.Instance);

        async Task Drain(OutboxDispatcher dispatcher)
        {
            while ((await dispatcher.DispatchBatchAsync(CancellationToken.None)).Sent > 0)
            {
            }
        }

        await Task.WhenAll(Drain(mine), Drain(other));

        Assert.Equal(300, _publisher.Published.Count);
        Assert.Equal(300, _publisher.Published.Select(m => m.MessageId).Distinct().Count());
    }

    private sealed class SwitchablePublisher : IOutboxPublisher
    {
        private readonly Lock _gate = new();
        private readonly List<OutboxMessage> _published = [];

        public bool Down { get; set; }

        public Func<OutboxMessage, bool> FailsFor { get; set; } = _ => false;

        public List<OutboxMessage> Published
        {
            get
            {
                lock (_gate)
                {
                    return _published.ToList();
                }
            }
        }

        public async Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (Down || FailsFor(message))
            {
                throw new InvalidOperationException("broker down");
            }

            lock (_gate)
            {
                _published.Add(message);
            }
        }
    }
}
