using System.Threading.Channels;
using Comments.Contracts;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Outbox;
using Npgsql;

namespace Comments.Api.Comments;

/// <summary>A sender's rate limit: one comment per <paramref name="Window"/> by the value of <paramref name="Column"/>.</summary>
public sealed record SenderLimit(string Column, string Key, TimeSpan Window);

/// <summary>A checked comment ready to store: its row and its senders' limits.</summary>
public sealed record PendingComment(
    Guid Id, string SiteId, string ArticleId, bool CreateArticle, Guid? ParentId, Guid? RootId, string AuthorName,
    string? EmailHash, string? UserId, string? ClientKey, string Body, DateTimeOffset Now, IReadOnlyList<SenderLimit> Limits)
{
    public CommentSubmitted Message => new(Id, SiteId, ArticleId, ParentId, AuthorName, Body, Now);
}

/// <summary>What became of a <see cref="PendingComment"/>: stored, or refused by a rate limit for <c>RetryAfter</c>.</summary>
public readonly record struct WriteOutcome(bool Stored, TimeSpan RetryAfter);

/// <summary>
/// Stores comments in groups: requests that arrive while a group is being written wait for the next one, which takes them
/// all (up to <see cref="MaxBatch"/> comments or <see cref="MaxGroupChars"/> of text) in one transaction — the senders'
/// rate-limit locks and checks in one round trip, every comment with its article, and the group's one
/// <see cref="CommentsSubmitted"/> outbox message, in one statement. A lone request is written at once. Under load this
/// replaces one transaction per comment (each taking its own lock on the article row for the foreign key) with one per
/// group, which is where PostgreSQL spent most of its time. A group that fails on a statement error is written again one
/// comment at a time, so one bad comment never fails the others.
/// </summary>
/// <remarks>
/// The writer runs until it is disposed (after the web server has drained its requests), not until the host's stopping
/// token, so a request still in flight at shutdown gets its comment written.
/// </remarks>
public sealed partial class SubmissionWriter : IAsyncDisposable
{
    /// <summary>A group is one <see cref="CommentsSubmitted"/> message, within its bounds.</summary>
    public const int MaxBatch = CommentsSubmitted.MaxComments;

    /// <inheritdoc cref="CommentsSubmitted.MaxChars"/>
    public const int MaxGroupChars = CommentsSubmitted.MaxChars;
    /// <summary>Groups written at once: while one waits on PostgreSQL, the next group is being written.</summary>
    public const int Writers = 2;

    /// <summary>
    /// Longest a group may take: half a second under the requests' own deadline, so a stalled database rolls the group
    /// back before its requests answer 503 ("nothing was written") rather than committing their comments after it.
    /// </summary>
    public static readonly TimeSpan GroupTimeout = DatabaseResilience.RequestTimeout - TimeSpan.FromSeconds(0.5);

    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>();
    private readonly NpgsqlDataSource _dataSource;
    private readonly OutboxSignal _outboxSignal;
    private readonly ILogger<SubmissionWriter> _logger;
    private readonly Task[] _writers;

    public SubmissionWriter(NpgsqlDataSource dataSource, OutboxSignal outboxSignal, ILogger<SubmissionWriter> logger)
    {
        (_dataSource, _outboxSignal, _logger) = (dataSource, outboxSignal, logger);
        _writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
    }

    private sealed record Entry(PendingComment Comment, TaskCompletionSource<WriteOutcome> Done, CancellationToken Token);

    /// <summary>Stores the comment (or refuses it under a rate limit) and returns once that is committed.</summary>
    public async Task<WriteOutcome> WriteAsync(PendingComment comment, CancellationToken cancellationToken)
    {
        var entry = new Entry(comment, new TaskCompletionSource<WriteOutcome>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(entry), this);

        return await entry.Done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Entry>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var chars = 0;
            while (batch.Count < MaxBatch && chars < MaxGroupChars && _queue.Reader.TryRead(out var entry))
            {
                // A request that gave up (timeout, client gone) before its group began is not written.
                if (entry.Token.IsCancellationRequested)
                {
                    entry.Done.TrySetCanceled(entry.Token);
                }
                else
                {
                    batch.Add(entry);
                    chars += entry.Comment.Body.Length;
                }
            }

            if (batch.Count > 0)
            {
                try
                {
                    await WriteGroupAsync(batch);
                }
                catch (Exception ex)
                {
                    // Nothing may end this loop while the service runs; whoever is still waiting gets the error.
                    foreach (var entry in batch)
                    {
                        entry.Done.TrySetException(ex);
                    }
                }
            }
        }
    }

    private async Task WriteGroupAsync(List<Entry> batch)
    {
        try
        {
            Complete(batch, await StoreAsync(batch));
        }
        catch (PostgresException ex) when (batch.Count > 1 && !ex.IsTransient)
        {
            // A statement error (a constraint, say) belongs to one comment: write them one by one so only that one fails.
            LogGroupSplit(_logger, batch.Count, ex.SqlState);
            foreach (var entry in batch)
            {
                await WriteGroupAsync([entry]);
            }
        }
        catch (OperationCanceledException ex)
        {
            var timeout = new TimeoutException($"The comment store did not answer within {GroupTimeout.TotalSeconds} s.", ex);
            foreach (var entry in batch)
            {
                entry.Done.TrySetException(timeout);
            }
        }
        catch (Exception ex)
        {
            foreach (var entry in batch)
            {
                entry.Done.TrySetException(ex);
            }
        }
    }

    private void Complete(List<Entry> batch, WriteOutcome[] outcomes)
    {
        if (outcomes.Any(o => o.Stored))
        {
            _outboxSignal.Notify();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(outcomes[i]);
        }
    }

    private async Task<WriteOutcome[]> StoreAsync(List<Entry> batch)
    {
        // Not cancelled by any one request: the group is written for all of them (each request stops waiting on its own),
        // unless the whole group takes too long.
        using var timeout = new CancellationTokenSource(GroupTimeout);
        var ct = timeout.Token;
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var outcomes = await CheckLimitsAsync(connection, transaction, batch, ct);
        var stored = batch.Where((_, i) => outcomes[i].Stored).Select(e => e.Comment).ToList();
        if (stored.Count > 0)
        {
            await InsertAsync(connection, transaction, stored, ct);
        }

        await transaction.CommitAsync(ct);
        return outcomes;
    }

    /// <summary>
    /// Locks every sender of the group for the rest of the transaction (in one order, so two groups never wait on each
    /// other), reads when each last commented, and decides in arrival order: a sender's second comment in the same group
    /// is measured against its first.
    /// </summary>
    private static async Task<WriteOutcome[]> CheckLimitsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<Entry> batch, CancellationToken ct)
    {
        var outcomes = new WriteOutcome[batch.Count];
        Array.Fill(outcomes, new WriteOutcome(true, TimeSpan.Zero));
        var senders = batch.SelectMany(e => e.Comment.Limits.Select(l => (e.Comment.SiteId, l.Column, l.Key))).Distinct().ToArray();
        if (senders.Length == 0)
        {
            return outcomes;
        }

        var last = new Dictionary<(string Site, string Column, string Key), DateTimeOffset>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT pg_advisory_xact_lock(h) FROM (
                SELECT DISTINCT hashtextextended(s || ':' || c || ':' || k, 0) AS h FROM unnest(@sites, @columns, @keys) AS x(s, c, k)
                ORDER BY 1) ordered;
            SELECT x.s, x.c, x.k, CASE x.c
                WHEN 'client_key' THEN (SELECT max(created_at) FROM comments WHERE site_id = x.s AND client_key = x.k)
                ELSE (SELECT max(created_at) FROM comments WHERE site_id = x.s AND author_key = x.k) END
            FROM unnest(@sites, @columns, @keys) AS x(s, c, k);
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("sites", senders.Select(s => s.SiteId).ToArray());
            command.Parameters.AddWithValue("columns", senders.Select(s => s.Column).ToArray());
            command.Parameters.AddWithValue("keys", senders.Select(s => s.Key).ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(3))
                {
                    last[(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = reader.GetFieldValue<DateTimeOffset>(3);
                }
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var comment = batch[i].Comment;
            var wait = TimeSpan.Zero;
            foreach (var limit in comment.Limits)
            {
                // A request's clock reading can precede that of one queued before it: never ask for more than the window.
                if (last.TryGetValue((comment.SiteId, limit.Column, limit.Key), out var at) && comment.Now - at < limit.Window)
                {
                    wait = TimeSpan.FromTicks(Math.Max(wait.Ticks, Math.Min(limit.Window.Ticks, (limit.Window - (comment.Now - at)).Ticks)));
                }
            }

            if (wait > TimeSpan.Zero)
            {
                outcomes[i] = new WriteOutcome(false, wait);
                continue;
            }

            foreach (var limit in comment.Limits)
            {
                last[(comment.SiteId, limit.Column, limit.Key)] = comment.Now;
            }
        }

        return outcomes;
    }

    /// <summary>
    /// One statement for the group, so it is atomic by itself: the articles of sites that create them on first comment,
    /// the comments, and the outbox message announcing them all (the foreign key is checked at the end of the statement, so
    /// it sees the articles inserted here).
    /// </summary>
    private static async Task InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<PendingComment> comments, CancellationToken ct)
    {
        var articles = comments.Where(c => c.CreateArticle).Select(c => (c.SiteId, c.ArticleId)).Distinct().ToArray();
        var now = comments.Max(c => c.Now);
        await using var insert = new NpgsqlCommand(
            $"""
            WITH article AS (
                INSERT INTO articles (site_id, id, created_at)
                SELECT a.s, a.id, @now FROM unnest(@article_sites, @article_ids) AS a(s, id)
                ON CONFLICT DO NOTHING),
            stored AS (
                INSERT INTO comments (id, site_id, article_id, parent_id, root_id, author_name, author_email_hash, author_user_id,
                                      client_key, body, status, created_at)
                SELECT c.id, c.site, c.article, c.parent, c.root, c.name, c.email, c.usr, c.client, c.body, 'pending', c.created
                FROM unnest(@ids, @sites, @articles, @parents, @roots, @names, @emails, @users, @clients, @bodies, @created)
                    AS c(id, site, article, parent, root, name, email, usr, client, body, created))
            {OutboxWriter.InsertSql}
            """, connection, transaction);
        insert.Parameters.AddWithValue("now", now);
        insert.Parameters.AddWithValue("article_sites", articles.Select(a => a.SiteId).ToArray());
        insert.Parameters.AddWithValue("article_ids", articles.Select(a => a.ArticleId).ToArray());
        insert.Parameters.AddWithValue("ids", comments.Select(c => c.Id).ToArray());
        insert.Parameters.AddWithValue("sites", comments.Select(c => c.SiteId).ToArray());
        insert.Parameters.AddWithValue("articles", comments.Select(c => c.ArticleId).ToArray());
        insert.Parameters.AddWithValue("parents", comments.Select(c => c.ParentId).ToArray());
        insert.Parameters.AddWithValue("roots", comments.Select(c => c.RootId).ToArray());
        insert.Parameters.AddWithValue("names", comments.Select(c => c.AuthorName).ToArray());
        insert.Parameters.AddWithValue("emails", comments.Select(c => c.EmailHash).ToArray());
        insert.Parameters.AddWithValue("users", comments.Select(c => c.UserId).ToArray());
        insert.Parameters.AddWithValue("clients", comments.Select(c => c.ClientKey).ToArray());
        insert.Parameters.AddWithValue("bodies", comments.Select(c => c.Body).ToArray());
        insert.Parameters.AddWithValue("created", comments.Select(c => c.Now).ToArray());
        OutboxWriter.Row(new CommentsSubmitted(comments.Select(c => c.Message).ToArray()), now).AddParameters(insert);
        await insert.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group of {Count} comments failed with SQL state {SqlState}; writing them one by one")]
    private static partial void LogGroupSplit(ILogger logger, int count, string sqlState);
}
