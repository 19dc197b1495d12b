using System.Security.Claims;
using Comments.Api.Authors;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Api.Moderation;

/// <param name="AuthorKey">The author key shown on queue items: the keyed email hash, or <c>user:&lt;id&gt;</c>.</param>
/// <param name="DurationHours">Null bans permanently.</param>
/// <param name="RejectPending">Also reject the author's pending and held comments.</param>
/// <param name="UserId">Instead of <paramref name="AuthorKey"/>: the site's own user id (the key <c>user:&lt;id&gt;</c>).</param>
public sealed record CreateBanRequest(string? AuthorKey, int? DurationHours, string? Reason, bool RejectPending, string? UserId = null);

/// <param name="AuthorKind"><c>email</c> (keyed email hash) or <c>user</c> (the site's user id, <see cref="UserId"/>).</param>
public sealed record BanResponse(
    Guid Id,
    string AuthorKey,
    string AuthorKind,
    string? UserId,
    string? Reason,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LiftedAt,
    bool Active,
    IReadOnlyList<Guid> RejectedCommentIds);

public sealed record BanList(IReadOnlyList<BanResponse> Items);

/// <summary>
/// Bans by author key: the worker rejects a banned author's new comments until the ban expires or is lifted. A ban matches
/// only comments with that author key: an email ban never reaches a reader the site vouched for (an email anyone can type
/// must not silence a signed-in user), a user ban only that site user.
/// </summary>
public static class Bans
{
    public const int MaxDurationHours = 24 * 365 * 10;

    public static async Task<Results<Created<BanResponse>, ValidationProblem, ProblemHttpResult>> CreateBan(
        string siteId, HttpRequest httpRequest, ClaimsPrincipal user, NpgsqlDataSource dataSource, DatabaseResilience resilience,
        OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var (request, problem) = await Http.JsonBody.ReadAsync<CreateBanRequest>(httpRequest, ModerationInput.MaxRequestBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var authorKey = AuthorKeyOf(request!, errors);

        if (request!.DurationHours is < 1 or > MaxDurationHours)
        {
            errors["durationHours"] = [$"Between 1 and {MaxDurationHours} hours, or null for a permanent ban."];
        }

        var reason = ModerationInput.Note(request.Reason, "reason", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var moderator = Moderator.From(user);
        var ban = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            var now = time.GetUtcNow();
            var expires = request.DurationHours is { } hours ? now.AddHours(hours) : (DateTimeOffset?)null;
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var id = Guid.CreateVersion7(now);

            // An expired ban is closed first, so it does not block a new one on the one-open-ban-per-author index.
            await using (var insert = new NpgsqlCommand(
                """
                UPDATE bans SET lifted_at = expires_at
                WHERE site_id = @site AND author_key = @key AND lifted_at IS NULL AND expires_at <= @now;
                INSERT INTO bans (id, site_id, author_key, reason, created_by, created_at, expires_at)
                VALUES (@id, @site, @key, @reason, @by, @now, @expires)
                ON CONFLICT (site_id, author_key) WHERE lifted_at IS NULL DO NOTHING
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("id", id);
                insert.Parameters.AddWithValue("site", siteId);
                insert.Parameters.AddWithValue("key", authorKey!);
                insert.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
                insert.Parameters.AddWithValue("by", moderator.Id);
                insert.Parameters.AddWithValue("now", now);
                insert.Parameters.AddWithValue("expires", (object?)expires ?? DBNull.Value);
                if (await insert.ExecuteNonQueryAsync(ct) == 0 || !await ExistsAsync(connection, transaction, id, ct))
                {
                    return null;
                }
            }

            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(siteId, moderator, "ban", BanId: id, Note: reason,
                Details: new { authorKey, expiresAt = expires, request.RejectPending }), now, ct);

            var rejected = new List<Guid>();
            if (request.RejectPending)
            {
                await using var pending = new NpgsqlCommand(
                    """
                    SELECT id FROM comments WHERE site_id = @site AND author_key = @key
                      AND status IN ('pending', 'held') ORDER BY created_at
                    """,
                    connection, transaction);
                pending.Parameters.AddWithValue("site", siteId);
                pending.Parameters.AddWithValue("key", authorKey!);
                var ids = new List<Guid>();
                await using (var reader = await pending.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        ids.Add(reader.GetGuid(0));
                    }
                }

                var action = new CommentDecisions.Action(moderator, "reject", "rejected", ["pending", "held"], "author_banned", reason,
                    "author banned");
                foreach (var commentId in ids)
                {
                    if ((await CommentDecisions.ApplyAsync(connection, transaction, siteId, commentId, action, now, ct)).Result
                        == CommentDecisions.Result.Applied)
                    {
                        rejected.Add(commentId);
                    }
                }
            }

            await transaction.CommitAsync(ct);
            return new BanResponse(id, authorKey!, AuthorKeys.KindOf(authorKey!), UserIdOf(authorKey!), reason, moderator.Name, now, expires,
                null, true, rejected);
        }, cancellationToken);

        if (ban is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already banned",
                detail: "This author already has a ban in force; lift it first to change it.");
        }

        if (ban.RejectedCommentIds.Count > 0)
        {
            outboxSignal.Notify();
        }

        var logger = loggerFactory.CreateLogger(ModerationLog.Category);
        ModerationLog.Banned(logger, moderator.Id, ban.Id, siteId, ban.ExpiresAt, ban.RejectedCommentIds.Count);

        return TypedResults.Created($"/api/v1/sites/{siteId}/moderation/bans/{ban.Id}", ban);
    }

    public static async Task<Ok<BanList>> ListBans(
        string siteId, bool? includeInactive, NpgsqlDataSource dataSource, DatabaseResilience resilience, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var items = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT b.id, b.author_key, b.reason, m.name, b.created_at, b.expires_at, b.lifted_at
                FROM bans b JOIN moderators m ON m.id = b.created_by
                WHERE b.site_id = @site
                  {(includeInactive == true ? "" : "AND b.lifted_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > @now)")}
                ORDER BY b.created_at DESC LIMIT 500
                """);
            command.Parameters.AddWithValue("site", siteId);
            command.Parameters.AddWithValue("now", now);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var bans = new List<BanResponse>();
            while (await reader.ReadAsync(ct))
            {
                bans.Add(Read(reader, now));
            }

            return bans;
        }, cancellationToken);
        return TypedResults.Ok(new BanList(items));
    }

    public static async Task<Results<Ok<BanResponse>, ProblemHttpResult>> LiftBan(
        string siteId, Guid banId, ClaimsPrincipal user, NpgsqlDataSource dataSource, DatabaseResilience resilience, TimeProvider time,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var moderator = Moderator.From(user);
        var (found, ban) = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            var now = time.GetUtcNow();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var lift = new NpgsqlCommand(
                """
                UPDATE bans SET lifted_at = @now, lifted_by = @by
                WHERE id = @id AND site_id = @site AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
                """, connection, transaction))
            {
                lift.Parameters.AddWithValue("id", banId);
                lift.Parameters.AddWithValue("site", siteId);
                lift.Parameters.AddWithValue("by", moderator.Id);
                lift.Parameters.AddWithValue("now", now);
                if (await lift.ExecuteNonQueryAsync(ct) == 0)
                {
                    var exists = await ExistsAsync(connection, transaction, banId, ct, siteId);
                    return (exists, (BanResponse?)null);
                }
            }

            var lifted = await LoadAsync(connection, transaction, banId, now, ct);
            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(siteId, moderator, "lift_ban", BanId: banId,
                Details: new { lifted!.AuthorKey }), now, ct);
            await transaction.CommitAsync(ct);
            return (true, lifted);
        }, cancellationToken);

        if (ban is not null)
        {
            var logger = loggerFactory.CreateLogger(ModerationLog.Category);
            ModerationLog.Lifted(logger, moderator.Id, banId, siteId);
        }

        return ban is not null
            ? TypedResults.Ok(ban)
            : found
                ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Ban not in force",
                    detail: "The ban was already lifted or has expired.")
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown ban",
                    detail: $"There is no ban {banId} on this site.");
    }

    /// <summary>The key to ban: <c>authorKey</c> as shown on queue items, or <c>userId</c> for <c>user:&lt;userId&gt;</c>; exactly one.</summary>
    private static string? AuthorKeyOf(CreateBanRequest request, Dictionary<string, string[]> errors)
    {
        var authorKey = request.AuthorKey?.Trim();
        if (request.UserId is not null)
        {
            if (!string.IsNullOrEmpty(authorKey))
            {
                errors["userId"] = ["Give either authorKey or userId, not both."];
                return null;
            }

            if (!AuthorKeys.IsValidUserId(request.UserId))
            {
                errors["userId"] = [$"The user id must be 1–{AuthorKeys.MaxUserIdLength} printable characters without surrounding spaces."];
                return null;
            }

            return AuthorKeys.UserPrefix + request.UserId;
        }

        if (string.IsNullOrEmpty(authorKey) || authorKey.Length > 200 || authorKey.Any(char.IsControl))
        {
            errors["authorKey"] = ["The author key (1–200 characters) or a userId is required."];
            return null;
        }

        if (UserIdOf(authorKey) is { } userId && !AuthorKeys.IsValidUserId(userId))
        {
            errors["authorKey"] = [$"After 'user:', the user id must be 1–{AuthorKeys.MaxUserIdLength} printable characters."];
            return null;
        }

        return authorKey;
    }

    private static string? UserIdOf(string authorKey) =>
        AuthorKeys.KindOf(authorKey) == "user" ? authorKey[AuthorKeys.UserPrefix.Length..] : null;

    private static async Task<bool> ExistsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken ct, string? siteId = null)
    {
        await using var command = new NpgsqlCommand(
            "SELECT 1 FROM bans WHERE id = @id AND (@site::text IS NULL OR site_id = @site)", connection, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", NpgsqlTypes.NpgsqlDbType.Text, (object?)siteId ?? DBNull.Value);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private static async Task<BanResponse?> LoadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT b.id, b.author_key, b.reason, m.name, b.created_at, b.expires_at, b.lifted_at
            FROM bans b JOIN moderators m ON m.id = b.created_by WHERE b.id = @id
            """, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader, now) : null;
    }

    private static BanResponse Read(NpgsqlDataReader reader, DateTimeOffset now)
    {
        DateTimeOffset? expires = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5);
        DateTimeOffset? lifted = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6);
        var authorKey = reader.GetString(1);
        return new BanResponse(
            reader.GetGuid(0),
            authorKey,
            AuthorKeys.KindOf(authorKey),
            UserIdOf(authorKey),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetString(3),
            reader.GetFieldValue<DateTimeOffset>(4),
            expires,
            lifted,
            lifted is null && (expires is null || expires > now),
            []);
    }
}
