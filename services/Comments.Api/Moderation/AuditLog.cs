using System.Globalization;
using System.Text.Json;
using Comments.ServiceDefaults.Database;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Api.Moderation;

/// <summary>One audited action; written in the transaction of the action itself.</summary>
public sealed record AuditEntry(
    string SiteId,
    Moderator? By,
    string Action,
    Guid? CommentId = null,
    Guid? BanId = null,
    string? Reason = null,
    string? Note = null,
    string? BeforeStatus = null,
    string? AfterStatus = null,
    object? Details = null);

public sealed record AuditItem(
    long Id,
    DateTimeOffset At,
    Guid? ModeratorId,
    string Actor,
    string Action,
    Guid? CommentId,
    Guid? BanId,
    string? Reason,
    string? Note,
    string? Before,
    string? After,
    JsonElement? Details);

public sealed record AuditPage(IReadOnlyList<AuditItem> Items, string? NextCursor);

public static class AuditLog
{
    /// <summary>The actor recorded when readers' reports, not a moderator, pulled a comment.</summary>
    public const string ReportsActor = "readers' reports";

    public static async Task WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntry entry, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO moderation_audit (site_id, moderator_id, actor, action, comment_id, ban_id, reason, note,
                before_status, after_status, details, created_at)
            VALUES (@site, @moderator, @actor, @action, @comment, @ban, @reason, @note, @before, @after, @details::jsonb, @now)
            """, connection, transaction);
        command.Parameters.AddWithValue("site", entry.SiteId);
        command.Parameters.AddWithValue("moderator", (object?)entry.By?.Id ?? DBNull.Value);
        command.Parameters.AddWithValue("actor", entry.By?.Name ?? ReportsActor);
        command.Parameters.AddWithValue("action", entry.Action);
        command.Parameters.AddWithValue("comment", (object?)entry.CommentId ?? DBNull.Value);
        command.Parameters.AddWithValue("ban", (object?)entry.BanId ?? DBNull.Value);
        command.Parameters.AddWithValue("reason", (object?)entry.Reason ?? DBNull.Value);
        command.Parameters.AddWithValue("note", (object?)entry.Note ?? DBNull.Value);
        command.Parameters.AddWithValue("before", (object?)entry.BeforeStatus ?? DBNull.Value);
        command.Parameters.AddWithValue("after", (object?)entry.AfterStatus ?? DBNull.Value);
        command.Parameters.AddWithValue("details",
            entry.Details is null ? DBNull.Value : JsonSerializer.Serialize(entry.Details, JsonSerializerOptions.Web));
        command.Parameters.AddWithValue("now", now);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>GET audit: the site's audit log, newest first, paged by <c>cursor</c> (the previous page's <c>nextCursor</c>).</summary>
    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> GetAudit(
        string siteId,
        string? cursor,
        int? limit,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        CancellationToken cancellationToken)
    {
        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed <= 0)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cursor"] = ["The cursor is not valid."] });
            }

            before = parsed;
        }

        var pageSize = limit ?? 50;
        if (pageSize is < 1 or > 200)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["The limit must be 1–200."] });
        }

        var items = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                """
                SELECT id, created_at, moderator_id, actor, action, comment_id, ban_id, reason, note, before_status, after_status,
                       details::text
                FROM moderation_audit
                WHERE site_id = @site AND (@before::bigint IS NULL OR id < @before)
                ORDER BY id DESC LIMIT @limit
                """);
            command.Parameters.AddWithValue("site", siteId);
            command.Parameters.AddWithValue("before", NpgsqlTypes.NpgsqlDbType.Bigint, (object?)before ?? DBNull.Value);
            command.Parameters.AddWithValue("limit", pageSize + 1);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var rows = new List<AuditItem>();
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new AuditItem(
                    reader.GetInt64(0),
                    reader.GetFieldValue<DateTimeOffset>(1),
                    reader.IsDBNull(2) ? null : reader.GetGuid(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetGuid(5),
                    reader.IsDBNull(6) ? null : reader.GetGuid(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10),
                    reader.IsDBNull(11) ? null : JsonSerializer.Deserialize<JsonElement>(reader.GetString(11))));
            }

            return rows;
        }, cancellationToken);

        var page = items.Count > pageSize ? items.Take(pageSize).ToList() : items;
        var next = items.Count > pageSize ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new AuditPage(page, next));
    }
}
