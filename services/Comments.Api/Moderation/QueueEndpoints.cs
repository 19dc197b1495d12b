using System.Globalization;
using System.Text;
using System.Text.Json;
using Comments.Api.Comments;
using Comments.ServiceDefaults.Database;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Api.Moderation;

public sealed record QueueReports(int Count, IReadOnlyDictionary<string, int> Reasons);

/// <summary>
/// The author's record on this site, by author key (the keyed email hash, or <c>user:&lt;id&gt;</c> for a reader the site vouched
/// for); absent when the comment has no author key.
/// </summary>
public sealed record AuthorHistory(int Approved, int Rejected, bool Banned);

public sealed record QueueLastAction(string Actor, string Action, string? Reason, string? Note, DateTimeOffset At);

public sealed record QueueItem(
    Guid Id,
    string ArticleId,
    string? ArticleTitle,
    string? ArticleUrl,
    Guid? ParentId,
    string AuthorName,
    string? AuthorKey,
    string Body,
    string Status,
    IReadOnlyDictionary<string, double> Scores,
    IReadOnlyList<string> Reasons,
    QueueReports Reports,
    AuthorHistory? AuthorHistory,
    QueueLastAction? LastAction,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DecidedAt,
    decimal Risk);

public sealed record QueuePage(
    string State, string Sort, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<QueueItem> Items, string? NextCursor);

/// <summary>
/// GET queue: one state's comments with everything a moderator decides on. <c>priority</c> ranks by risk — the highest score plus
/// a quarter per open report, in tenths — and, within a risk, oldest first; <c>oldest</c>/<c>newest</c> by arrival.
/// </summary>
public static class QueueEndpoints
{
    private static readonly string[] Sorts = ["priority", "oldest", "newest"];

    private const string RiskSql =
        """
        round((COALESCE((SELECT max((e.value)::text::numeric) FROM jsonb_each(c.scores) e WHERE jsonb_typeof(e.value) = 'number'), 0)
             + 0.25 * LEAST((SELECT count(*) FROM comment_reports r WHERE r.comment_id = c.id AND r.resolved_at IS NULL), 8)), 1)
        """;

    public static async Task<Results<Ok<QueuePage>, ValidationProblem>> GetQueue(
        string siteId,
        string? state,
        string? articleId,
        string? sort,
        string? cursor,
        int? limit,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        state ??= "held";
        sort ??= "priority";
        var pageSize = limit ?? 25;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ModerationInput.Status(state, "state", errors);
        if (!Sorts.Contains(sort, StringComparer.Ordinal))
        {
            errors["sort"] = [$"One of {string.Join(", ", Sorts)}."];
        }

        if (articleId is not null && !CommentInput.IsValidArticleId(articleId))
        {
            errors["articleId"] = ["Not a valid article id."];
        }

        if (pageSize is < 1 or > 100)
        {
            errors["limit"] = ["The limit must be 1–100."];
        }

        QueueCursor? after = null;
        if (cursor is not null && (after = QueueCursor.Decode(cursor)) is null || after is not null && after.Sort != sort)
        {
            errors["cursor"] = ["The cursor is not valid for this sort."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = time.GetUtcNow();
        var (items, counts) = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var rows = await LoadItemsAsync(connection, siteId, state, articleId, sort, after, pageSize + 1, now, ct);
            var totals = await LoadCountsAsync(connection, siteId, articleId, ct);
            return (rows, totals);
        }, cancellationToken);

        var page = items.Count > pageSize ? items.Take(pageSize).ToList() : items;
        var next = items.Count > pageSize ? new QueueCursor(sort, page[^1].Risk, page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return TypedResults.Ok(new QueuePage(state, sort, counts, page, next));
    }

    private static async Task<List<QueueItem>> LoadItemsAsync(
        NpgsqlConnection connection, string siteId, string state, string? articleId, string sort, QueueCursor? after, int limit,
        DateTimeOffset now, CancellationToken ct)
    {
        var (keyset, order) = sort switch
        {
            "oldest" => ("(q.created_at, q.id) > (@at, @after)", "q.created_at, q.id"),
            "newest" => ("(q.created_at, q.id) < (@at, @after)", "q.created_at DESC, q.id DESC"),
            _ => ("(q.risk < @risk OR (q.risk = @risk AND (q.created_at, q.id) > (@at, @after)))", "q.risk DESC, q.created_at, q.id"),
        };

        await using var command = new NpgsqlCommand(
            $"""
            WITH q AS (
                SELECT c.id, c.created_at, {RiskSql} AS risk
                FROM comments c
                WHERE c.site_id = @site AND c.status = @state AND (@article::text IS NULL OR c.article_id = @article)
            )
            SELECT c.id, c.article_id, a.title, a.url, c.parent_id, c.author_name, c.author_key, c.body, c.status,
                   c.scores::text, c.reasons::text, c.created_at, c.decided_at, q.risk,
                   (SELECT count(*) FROM comment_reports r WHERE r.comment_id = c.id AND r.resolved_at IS NULL),
                   (SELECT jsonb_object_agg(x.reason, x.n)::text FROM (
                        SELECT reason, count(*) AS n FROM comment_reports r
                        WHERE r.comment_id = c.id AND r.resolved_at IS NULL GROUP BY reason) x),
                   h.approved, h.rejected,
                   EXISTS (SELECT 1 FROM bans b WHERE b.site_id = c.site_id AND b.author_key = c.author_key
                           AND b.lifted_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > @now)),
                   la.actor, la.action, la.reason, la.note, la.created_at
            FROM q
            JOIN comments c ON c.id = q.id
            JOIN articles a ON a.site_id = c.site_id AND a.id = c.article_id
            LEFT JOIN LATERAL (
                SELECT count(*) FILTER (WHERE hc.status = 'approved') AS approved,
                       count(*) FILTER (WHERE hc.status = 'rejected') AS rejected
                FROM comments hc WHERE hc.site_id = c.site_id AND hc.author_key = c.author_key) h ON true
            LEFT JOIN LATERAL (
                SELECT actor, action, reason, note, created_at FROM moderation_audit m
                WHERE m.comment_id = c.id ORDER BY m.id DESC LIMIT 1) la ON true
            WHERE {(after is null ? "true" : keyset)}
            ORDER BY {order}
            LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("site", siteId);
        command.Parameters.AddWithValue("state", state);
        command.Parameters.AddWithValue("article", NpgsqlTypes.NpgsqlDbType.Text, (object?)articleId ?? DBNull.Value);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("risk", after?.Risk ?? 0m);
        command.Parameters.AddWithValue("at", after?.CreatedAt ?? DateTimeOffset.UnixEpoch);
        command.Parameters.AddWithValue("after", after?.Id ?? Guid.Empty);

        var items = new List<QueueItem>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var authorKey = reader.IsDBNull(6) ? null : reader.GetString(6);
            items.Add(new QueueItem(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4),
                reader.GetString(5),
                authorKey,
                reader.GetString(7),
                reader.GetString(8),
                ParseScores(reader.GetString(9)),
                JsonSerializer.Deserialize<string[]>(reader.GetString(10)) ?? [],
                new QueueReports(
                    (int)reader.GetInt64(14),
                    reader.IsDBNull(15) ? new Dictionary<string, int>() : JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(15))!),
                authorKey is null ? null : new AuthorHistory((int)reader.GetInt64(16), (int)reader.GetInt64(17), reader.GetBoolean(18)),
                reader.IsDBNull(19) ? null : new QueueLastAction(reader.GetString(19), reader.GetString(20),
                    reader.IsDBNull(21) ? null : reader.GetString(21), reader.IsDBNull(22) ? null : reader.GetString(22),
                    reader.GetFieldValue<DateTimeOffset>(23)),
                reader.GetFieldValue<DateTimeOffset>(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                reader.GetDecimal(13)));
        }

        return items;
    }

    private static async Task<Dictionary<string, int>> LoadCountsAsync(NpgsqlConnection connection, string siteId, string? articleId, CancellationToken ct)
    {
        var counts = ModerationInput.Statuses.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(
            """
            SELECT status, count(*) FROM comments
            WHERE site_id = @site AND (@article::text IS NULL OR article_id = @article)
            GROUP BY status
            """, connection);
        command.Parameters.AddWithValue("site", siteId);
        command.Parameters.AddWithValue("article", NpgsqlTypes.NpgsqlDbType.Text, (object?)articleId ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts;
    }

    private static Dictionary<string, double> ParseScores(string json)
    {
        using var document = JsonDocument.Parse(json);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        if (document.RootElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Number)
                {
                    scores[property.Name] = property.Value.GetDouble();
                }
            }
        }

        return scores;
    }

    /// <summary>Keyset position after the last item of a page; opaque to clients.</summary>
    public sealed record QueueCursor(string Sort, decimal Risk, DateTimeOffset CreatedAt, Guid Id)
    {
        public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('|',
            Sort, Risk.ToString(CultureInfo.InvariantCulture), CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture), Id.ToString("N"))))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static QueueCursor? Decode(string cursor)
        {
            try
            {
                var base64 = cursor.Replace('-', '+').Replace('_', '/');
                base64 += new string('=', (4 - (base64.Length % 4)) % 4);
                var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|');
                return parts.Length == 4
                    && decimal.TryParse(parts[1], NumberStyles.Number, CultureInfo.InvariantCulture, out var risk)
                    && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && ticks <= DateTimeOffset.MaxValue.UtcTicks
                    && Guid.TryParseExact(parts[3], "N", out var id)
                        ? new QueueCursor(parts[0], risk, new DateTimeOffset(ticks, TimeSpan.Zero), id)
                        : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
