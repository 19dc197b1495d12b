using Comments.Api.Comments;
using Comments.Contracts;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Comments.Api.Tests.Comments;

/// <summary>
/// The writer that stores concurrent submissions in groups. Tests that need groups first stall every writer loop on a
/// rate-limit lock the test holds, so the writes they start meanwhile queue up, then free one loop, which takes them as
/// whole groups in arrival order.
/// </summary>
public sealed class SubmissionWriterTests : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;
    private SubmissionWriter _writer = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _site = await TestSites.CreateAsync(servers);
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _writer = new SubmissionWriter(_db, new OutboxSignal(), NullLogger<SubmissionWriter>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _db.DisposeAsync();
    }

    private PendingComment Comment(
        string article, bool createArticle = true, string? clientKey = null, TimeSpan window = default, string body = "A calm remark.")
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        return new PendingComment(id, _site, article, createArticle, null, null, "Reader", null, null, clientKey, body, now,
            clientKey is null ? [] : [new SenderLimit("client_key", clientKey, window)]);
    }

    private async Task<long> Count(string sql, Guid[] ids)
    {
        await using var command = _db.CreateCommand(sql);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("ids_text", ids.Select(id => id.ToString()).ToArray());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Takes a sender's rate-limit lock in a transaction of the test's own, as a concurrent request would.</summary>
    private async Task<NpgsqlTransaction> HoldSenderLockAsync(string clientKey)
    {
        var connection = await _db.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", connection, transaction);
        command.Parameters.AddWithValue("key", $"{_site}:client_key:{clientKey}");
        await command.ExecuteNonQueryAsync();
        return transaction;
    }

    /// <summary>
    /// Occupies every writer loop with a comment waiting on a held sender lock; writes started meanwhile queue up behind
    /// them. Release one loop and it alone takes the queue, as whole groups in arrival order; disposing releases the rest.
    /// </summary>
    private async Task<StalledWriters> StallWritersAsync()
    {
        var held = new List<NpgsqlTransaction>();
        for (var i = 0; i < SubmissionWriter.Writers; i++)
        {
            var key = $"stall-{Guid.NewGuid():N}";
            held.Add(await HoldSenderLockAsync(key));
            _ = _writer.WriteAsync(Comment("stall", clientKey: key, window: TimeSpan.FromSeconds(3)), CancellationToken.None);
            // A bigint advisory lock shows in pg_locks as its two 32-bit halves.
            await Eventually.Within(TimeSpan.FromSeconds(5), async () =>
            {
                await using var command = _db.CreateCommand(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted " +
                    "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(@key, 0)");
                command.Parameters.AddWithValue("key", $"{_site}:client_key:{key}");
                return (long)(await command.ExecuteScalarAsync())! == 1 ? "" : null;
            }, "a writer loop waiting on the held lock");
        }

        return new StalledWriters(held);
    }

    /// <summary>Writer loops stalled on the test's sender locks.</summary>
    private sealed class StalledWriters(List<NpgsqlTransaction> held) : IAsyncDisposable
    {
        /// <summary>
        /// Frees one writer loop while the others stay stalled, so that loop alone reads the queue. (Freed together, the
        /// loops read the queue at the same time and split it between their groups in no fixed way.)
        /// </summary>
        public Task ReleaseOneAsync() => ReleaseAsync(1);

        public async ValueTask DisposeAsync() => await ReleaseAsync(held.Count);

        private async Task ReleaseAsync(int count)
        {
            foreach (var transaction in held.Take(count).ToList())
            {
                held.Remove(transaction);
                var connection = transaction.Connection!;
                await transaction.RollbackAsync();
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task StoresEveryOtherCommentOfAGroupWhenOneFailsAndFailsOnlyThatOne()
    {
        var good = Enumerable.Range(0, 200).Select(_ => Comment("story")).ToList();
        // Its article does not exist and is not to be created: the foreign key refuses this row, and only this row.
        var bad = Enumerable.Range(0, 5).Select(_ => Comment("no-such-article", createArticle: false)).ToList();
        // Spread through the queue, so every group of up to 100 holds a bad one among good ones.
        var queued = good.ToList();
        for (var i = 0; i < bad.Count; i++)
        {
            queued.Insert(i * 50, bad[i]);
        }

        await using var stalled = await StallWritersAsync();
        var writes = queued.Select(c => (Comment: c, Task: _writer.WriteAsync(c, CancellationToken.None))).ToList();
        await stalled.ReleaseOneAsync();
        foreach (var (comment, task) in writes)
        {
            if (bad.Contains(comment))
            {
                await Assert.ThrowsAsync<PostgresException>(() => task);
            }
            else
            {
                Assert.True((await task).Stored);
            }
        }

        var goodIds = good.Select(c => c.Id).ToArray();
        var badIds = bad.Select(c => c.Id).ToArray();
        Assert.Equal(200, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids) AND status = 'pending'", goodIds));
        Assert.Equal(200, await Count($"SELECT count(*) FROM {OutboxItems.Relation} WHERE item->>'commentId' = ANY(@ids_text)", goodIds));
        Assert.Equal(0, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids)", badIds));
        Assert.Equal(0, await Count($"SELECT count(*) FROM {OutboxItems.Relation} WHERE item->>'commentId' = ANY(@ids_text)", badIds));
    }

    [Fact]
    public async Task LetsOneCommentPerWindowThroughFromASenderWhoseCommentsShareAGroup()
    {
        var flood = Enumerable.Range(0, 50).Select(_ => Comment("story", clientKey: "flooding-client", window: TimeSpan.FromSeconds(3))).ToList();
        var other = Comment("story", clientKey: "another-client", window: TimeSpan.FromSeconds(3));

        await using var stalled = await StallWritersAsync();
        var writes = flood.Append(other).Select(c => _writer.WriteAsync(c, CancellationToken.None)).ToList();
        await stalled.ReleaseOneAsync();
        var outcomes = await Task.WhenAll(writes); // one group: the flood is decided against itself, in arrival order

        Assert.Equal(1, outcomes[..^1].Count(o => o.Stored));
        Assert.All(outcomes[..^1].Where(o => !o.Stored), o => Assert.InRange(o.RetryAfter, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(3)));
        Assert.True(outcomes[^1].Stored);
        Assert.Equal(1, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids)", flood.Select(c => c.Id).ToArray()));
    }

    [Fact]
    public async Task AnnouncesTheCommentsAGroupStoredInOneMessageInArrivalOrderWithoutTheOneARateLimitRefused()
    {
        var window = TimeSpan.FromSeconds(3);
        var stored = Enumerable.Range(0, 5).Select(_ => Comment("story", clientKey: $"client-{Guid.NewGuid():N}", window: window)).ToList();
        var refused = Comment("story", clientKey: stored[2].ClientKey, window: window);

        await using var stalled = await StallWritersAsync();
        var writes = stored.Append(refused).Select(c => _writer.WriteAsync(c, CancellationToken.None)).ToList();
        await stalled.ReleaseOneAsync();
        var outcomes = await Task.WhenAll(writes);

        Assert.All(outcomes[..^1], o => Assert.True(o.Stored));
        Assert.False(outcomes[^1].Stored);
        await using var command = _db.CreateCommand(
            $"""
            SELECT id, message_type, item->>'commentId' FROM {OutboxItems.Relation}
            WHERE item->>'commentId' = ANY(@ids) ORDER BY id, position
            """);
        command.Parameters.AddWithValue("ids", stored.Append(refused).Select(c => c.Id.ToString()).ToArray());
        var announced = new List<(long Message, string Type, Guid Id)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                announced.Add((reader.GetInt64(0), reader.GetString(1), Guid.Parse(reader.GetString(2))));
            }
        }

        Assert.Single(announced.Select(a => a.Message).Distinct());
        Assert.All(announced, a => Assert.Equal(typeof(CommentsSubmitted).FullName, a.Type));
        Assert.Equal(stored.Select(c => c.Id), announced.Select(a => a.Id));
    }

    [Fact]
    public async Task ClosesAGroupOnceItHoldsItsShareOfTextSoLongCommentsMakeSmallerMessages()
    {
        var body = new string('x', 5_000);
        var perGroup = SubmissionWriter.MaxGroupChars / body.Length; // the one that reaches the budget closes the group
        var comments = Enumerable.Range(0, perGroup + 5).Select(_ => Comment("story", body: body)).ToList();

        await using var stalled = await StallWritersAsync();
        var writes = comments.Select(c => _writer.WriteAsync(c, CancellationToken.None)).ToList();
        await stalled.ReleaseOneAsync();
        Assert.All(await Task.WhenAll(writes), o => Assert.True(o.Stored));

        await using var command = _db.CreateCommand(
            $"SELECT count(*) FROM {OutboxItems.Relation} WHERE item->>'commentId' = ANY(@ids) GROUP BY id");
        command.Parameters.AddWithValue("ids", comments.Select(c => c.Id.ToString()).ToArray());
        var sizes = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sizes.Add(reader.GetInt64(0));
            }
        }

        Assert.Equal([5, perGroup], sizes.Order());
    }

    [Fact]
    public async Task RollsBackAGroupThatTakesLongerThanTheRequestsWouldWaitAndReportsATimeout()
    {
        // Another transaction holds the sender's rate-limit lock, so the group waits on it like on a stalled database.
        await using var held = await HoldSenderLockAsync("stalled-client");
        await using var holder = held.Connection!;

        var comment = Comment("story", clientKey: "stalled-client", window: TimeSpan.FromSeconds(3));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => _writer.WriteAsync(comment, CancellationToken.None));
        var took = clock.Elapsed;
        await held.RollbackAsync();

        // Given up at the group's timeout (not before, and not only when the lock holder let go, which is after this), and
        // that timeout is under the requests' own, after which they answer 503 ("nothing was written").
        Assert.InRange(took, SubmissionWriter.GroupTimeout - TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        Assert.True(SubmissionWriter.GroupTimeout < DatabaseResilience.RequestTimeout);
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids)", [comment.Id]));
        Assert.True((await _writer.WriteAsync(Comment("story"), CancellationToken.None)).Stored, "the writer keeps working");
    }
}
