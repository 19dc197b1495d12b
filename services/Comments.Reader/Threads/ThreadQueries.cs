using Npgsql;

namespace Comments.Reader.Threads;

/// <summary>The SQL behind a thread page; PostgreSQL is the source of truth the cache is filled from.</summary>
public static class ThreadQueries
{
    private const string Columns = "id, parent_id, root_id, author_name, body, created_at";

    /// <returns>The page, or null when the site does not exist.</returns>
    public static async Task<ThreadResponse?> LoadAsync(
        NpgsqlDataSource dataSource, string siteId, string articleId, ThreadSort sort, int limit, ThreadCursor? after,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One snapshot for count, page and replies, so the three agree with each other.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);

        int total;
        await using (var count = new NpgsqlCommand(
            """
            SELECT EXISTS (SELECT 1 FROM sites WHERE id = @site),
                   (SELECT count(*) FROM comments WHERE site_id = @site AND article_id = @article AND status = 'approved')
            """, connection, transaction))
        {
            count.Parameters.AddWithValue("site", siteId);
            count.Parameters.AddWithValue("article", articleId);
            await using var reader = await count.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!reader.GetBoolean(0))
            {
                return null;
            }

            total = (int)reader.GetInt64(1);
        }

        var newest = sort == ThreadSort.Newest;
        var keyset = after is null ? string.Empty : newest
            ? "AND (created_at, id) < (@after_at, @after_id)"
            : "AND (created_at, id) > (@after_at, @after_id)";
        var order = newest ? "created_at DESC, id DESC" : "created_at, id";

        List<CommentRow> topLevel;
        await using (var page = new NpgsqlCommand(
            $"""
            SELECT {Columns} FROM comments
            WHERE site_id = @site AND article_id = @article AND status = 'approved' AND parent_id IS NULL {keyset}
            ORDER BY {order} LIMIT @limit
            """, connection, transaction))
        {
            page.Parameters.AddWithValue("site", siteId);
            page.Parameters.AddWithValue("article", articleId);
            page.Parameters.AddWithValue("limit", limit + 1);
            if (after is { } cursor)
            {
                page.Parameters.AddWithValue("after_at", cursor.CreatedAt);
                page.Parameters.AddWithValue("after_id", cursor.Id);
            }

            topLevel = await ReadRowsAsync(page, ct);
        }

        var roots = topLevel.Take(limit).Select(row => row.Id).ToArray();
        List<CommentRow> replies = [];
        if (roots.Length > 0)
        {
            await using var children = new NpgsqlCommand(
                $"SELECT {Columns} FROM comments WHERE root_id = ANY(@roots) AND status = 'approved'", connection, transaction);
            children.Parameters.AddWithValue("roots", roots);
            replies = await ReadRowsAsync(children, ct);
        }

        await transaction.CommitAsync(ct);
        return ThreadBuilder.Build(siteId, articleId, sort, limit, total, topLevel, replies);
    }

    /// <summary>Those of <paramref name="ids"/> that are approved now, by id (one may have changed again since its event).</summary>
    public static async Task<Dictionary<Guid, CommentRow>> LoadApprovedAsync(NpgsqlDataSource dataSource, Guid[] ids, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM comments WHERE id = ANY(@ids) AND status = 'approved'");
        command.Parameters.AddWithValue("ids", ids);
        return (await ReadRowsAsync(command, ct)).ToDictionary(row => row.Id);
    }

    /// <returns>The comment's moderation status, or null when the site has no such comment.</returns>
    public static async Task<string?> LoadStatusAsync(NpgsqlDataSource dataSource, string siteId, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT status FROM comments WHERE id = @id AND site_id = @site");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", siteId);
        return (string?)await command.ExecuteScalarAsync(ct);
    }

    private static async Task<List<CommentRow>> ReadRowsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var rows = new List<CommentRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new CommentRow(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.IsDBNull(2) ? null : reader.GetGuid(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return rows;
    }
}
