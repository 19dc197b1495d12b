using Comments.Api.Comments;
using Comments.Contracts;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Comments.Api.Tests.Comments;

/// <summary>
/// The writer that stores concurrent submissions in groups. Hundreds of writes are started at once, so groups form; what
/// is asserted holds whichever way they were grouped.
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

    private PendingComment Comment(string article, bool createArticle = true, string? clientKey = null, TimeSpan window = default)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        return new PendingComment(id, _site, article, createArticle, null, null, "Reader", null, null, clientKey, "A calm remark.", now,
            OutboxWriter.Row(new CommentSubmitted(id, _site, article, null, "Reader", "A calm remark.", now), now),
            clientKey is null ? [] : [new SenderLimit("client_key", clientKey, window)]);
    }

    private async Task<long> Count(string sql, Guid[] ids)
    {
        await using var command = _db.CreateCommand(sql);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("ids_text", ids.Select(id => id.ToString()).ToArray());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task StoresEveryOtherCommentOfAGroupWhenOneFailsAndFailsOnlyThatOne()
    {
        var good = Enumerable.Range(0, 200).Select(_ => Comment("story")).ToList();
        // Its article does not exist and is not to be created: the foreign key refuses this row, and only this row.
        var bad = Enumerable.Range(0, 5).Select(_ => Comment("no-such-article", createArticle: false)).ToList();

        var writes = good.Concat(bad).Select(c => (Comment: c, Task: _writer.WriteAsync(c, CancellationToken.None))).ToList();
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
        Assert.Equal(200, await Count("SELECT count(*) FROM outbox WHERE payload->>'commentId' = ANY(@ids_text)", goodIds));
        Assert.Equal(0, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids)", badIds));
        Assert.Equal(0, await Count("SELECT count(*) FROM outbox WHERE payload->>'commentId' = ANY(@ids_text)", badIds));
    }

    [Fact]
    public async Task LetsOneCommentPerWindowThroughFromASenderWhoseCommentsShareAGroup()
    {
        var flood = Enumerable.Range(0, 50).Select(_ => Comment("story", clientKey: "flooding-client", window: TimeSpan.FromSeconds(3))).ToList();
        var other = Comment("story", clientKey: "another-client", window: TimeSpan.FromSeconds(3));

        var outcomes = await Task.WhenAll(flood.Append(other).Select(c => _writer.WriteAsync(c, CancellationToken.None)));

        Assert.Equal(1, outcomes[..^1].Count(o => o.Stored));
        Assert.All(outcomes[..^1].Where(o => !o.Stored), o => Assert.InRange(o.RetryAfter, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(3)));
        Assert.True(outcomes[^1].Stored);
        Assert.Equal(1, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids)", flood.Select(c => c.Id).ToArray()));
    }

    [Fact]
    public async Task RollsBackAGroupThatTakesLongerThanTheRequestsWouldWaitAndReportsATimeout()
    {
        // Another transaction holds the sender's rate-limit lock, so the group waits on it like on a stalled database.
        await using var holder = await _db.OpenConnectionAsync();
        await using var held = await holder.BeginTransactionAsync();
        await using (var lockIt = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", holder, held))
        {
            lockIt.Parameters.AddWithValue("key", $"{_site}:client_key:stalled-client");
            await lockIt.ExecuteNonQueryAsync();
        }

        var comment = Comment("story", clientKey: "stalled-client", window: TimeSpan.FromSeconds(3));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => _writer.WriteAsync(comment, CancellationToken.None));
        var took = clock.Elapsed;
        await held.RollbackAsync();

        // The Api's requests give up after 2 s and answer 503 ("nothing was written"): the group is rolled back before that.
        Assert.InRange(took, SubmissionWriter.GroupTimeout - TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1.95));
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await Count("SELECT count(*) FROM comments WHERE id = ANY(@ids)", [comment.Id]));
        Assert.True((await _writer.WriteAsync(Comment("story"), CancellationToken.None)).Stored, "the writer keeps working");
    }
}
