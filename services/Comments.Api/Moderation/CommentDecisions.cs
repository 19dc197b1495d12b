using System.Security.Claims;
using Comments.Contracts;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Api.Moderation;

public sealed record ApproveRequest(string? Note, string? ExpectedStatus);

public sealed record RejectRequest(string? Reason, string? Note, string? ExpectedStatus);

public sealed record BulkApproveRequest(IReadOnlyList<Guid>? Ids, string? Note, string? ExpectedStatus);

public sealed record BulkRejectRequest(IReadOnlyList<Guid>? Ids, string? Reason, string? Note, string? ExpectedStatus);

public sealed record DecisionResponse(Guid Id, string Status, string PreviousStatus);

/// <summary>One id of a bulk action: <c>status</c> is the HTTP status the single action would have answered (200, 404, 409).</summary>
public sealed record BulkItemResult(Guid Id, int Status, string? CommentStatus, string? PreviousStatus, string? Detail);

public sealed record BulkDecisionResponse(int Applied, IReadOnlyList<BulkItemResult> Results);

/// <summary>
/// Approve and reject, one comment or many. Each comment's change, its audit row and its <see cref="CommentsModerated"/> outbox
/// message commit together; the change is guarded in SQL by the states the action may leave (and the state the moderator saw),
/// so a stale action answers 409 and changes nothing.
/// </summary>
public static class CommentDecisions
{
    private static readonly string[] ApproveFrom = ["pending", "held", "reported", "rejected"];
    private static readonly string[] RejectFrom = ["pending", "held", "reported", "approved"];

    public enum Result { Applied, NotFound, Conflict }

    public sealed record Outcome(Result Result, string? PreviousStatus, string? CurrentStatus);

    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Approve(
        string siteId, Guid id, HttpRequest httpRequest, ClaimsPrincipal user, NpgsqlDataSource dataSource,
        DatabaseResilience resilience, OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await ModerationInput.ReadOptionalAsync<ApproveRequest>(httpRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var note = ModerationInput.Note(request?.Note, "note", errors);
        ModerationInput.Status(request?.ExpectedStatus, "expectedStatus", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var action = Action.Approve(Moderator.From(user), note, request?.ExpectedStatus);
        return await DecideOneAsync(siteId, id, action, dataSource, resilience, outboxSignal, time, loggerFactory, cancellationToken);
    }

    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Reject(
        string siteId, Guid id, HttpRequest httpRequest, ClaimsPrincipal user, NpgsqlDataSource dataSource,
        DatabaseResilience resilience, OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await ModerationInput.ReadOptionalAsync<RejectRequest>(httpRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ValidateReason(request?.Reason, errors);
        var note = ModerationInput.Note(request?.Note, "note", errors);
        ModerationInput.Status(request?.ExpectedStatus, "expectedStatus", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var action = Action.Reject(Moderator.From(user), request!.Reason!, note, request.ExpectedStatus);
        return await DecideOneAsync(siteId, id, action, dataSource, resilience, outboxSignal, time, loggerFactory, cancellationToken);
    }

    public static async Task<Results<Ok<BulkDecisionResponse>, ValidationProblem, ProblemHttpResult>> BulkApprove(
        string siteId, HttpRequest httpRequest, ClaimsPrincipal user, NpgsqlDataSource dataSource,
        DatabaseResilience resilience, OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await ModerationInput.ReadOptionalAsync<BulkApproveRequest>(httpRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ValidateIds(request?.Ids, errors);
        var note = ModerationInput.Note(request?.Note, "note", errors);
        ModerationInput.Status(request?.ExpectedStatus, "expectedStatus", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var action = Action.Approve(Moderator.From(user), note, request!.ExpectedStatus);
        return TypedResults.Ok(await DecideManyAsync(siteId, request.Ids!, action, dataSource, resilience, outboxSignal, time, loggerFactory, cancellationToken));
    }

    public static async Task<Results<Ok<BulkDecisionResponse>, ValidationProblem, ProblemHttpResult>> BulkReject(
        string siteId, HttpRequest httpRequest, ClaimsPrincipal user, NpgsqlDataSource dataSource,
        DatabaseResilience resilience, OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await ModerationInput.ReadOptionalAsync<BulkRejectRequest>(httpRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ValidateIds(request?.Ids, errors);
        ValidateReason(request?.Reason, errors);
        var note = ModerationInput.Note(request?.Note, "note", errors);
        ModerationInput.Status(request?.ExpectedStatus, "expectedStatus", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var action = Action.Reject(Moderator.From(user), request!.Reason!, note, request.ExpectedStatus);
        return TypedResults.Ok(await DecideManyAsync(siteId, request.Ids!, action, dataSource, resilience, outboxSignal, time, loggerFactory, cancellationToken));
    }

    /// <summary>A moderator's approve or reject, as applied to any number of comments.</summary>
    public sealed record Action(Moderator By, string AuditAction, string To, string[] From, string? Reason, string? Note, string EventReason)
    {
        public static Action Approve(Moderator by, string? note, string? expectedStatus) =>
            new(by, "approve", "approved", Narrow(ApproveFrom, expectedStatus), null, note, "approved by moderator");

        public static Action Reject(Moderator by, string reason, string? note, string? expectedStatus) =>
            new(by, "reject", "rejected", Narrow(RejectFrom, expectedStatus), reason, note, $"rejected by moderator: {reason}");

        private static string[] Narrow(string[] allowed, string? expected) =>
            expected is null ? allowed : allowed.Where(s => s == expected).ToArray();
    }

    /// <summary>Applies <paramref name="action"/> to one comment inside the caller's transaction; the caller commits.</summary>
    public static async Task<Outcome> ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string siteId, Guid id, Action action,
        DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        string? previous = null, articleId = null;
        await using (var update = new NpgsqlCommand(
            """
            WITH target AS (SELECT id, status FROM comments WHERE id = @id AND site_id = @site FOR UPDATE)
            UPDATE comments c SET status = @to, decided_at = @now
            FROM target t
            WHERE c.id = t.id AND t.status = ANY(@from)
            RETURNING t.status, c.article_id
            """, connection, transaction))
        {
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("site", siteId);
            update.Parameters.AddWithValue("to", action.To);
            update.Parameters.AddWithValue("from", action.From);
            update.Parameters.AddWithValue("now", now);
            await using var reader = await update.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                previous = reader.GetString(0);
                articleId = reader.GetString(1);
            }
        }

        if (previous is null)
        {
            await using var current = new NpgsqlCommand("SELECT status FROM comments WHERE id = @id AND site_id = @site", connection, transaction);
            current.Parameters.AddWithValue("id", id);
            current.Parameters.AddWithValue("site", siteId);
            return await current.ExecuteScalarAsync(ct) is string status
                ? new Outcome(Result.Conflict, null, status)
                : new Outcome(Result.NotFound, null, null);
        }

        // A decision settles the reports so far; later reports count afresh towards the threshold.
        await using (var resolve = new NpgsqlCommand(
            "UPDATE comment_reports SET resolved_at = @now WHERE comment_id = @id AND resolved_at IS NULL", connection, transaction))
        {
            resolve.Parameters.AddWithValue("id", id);
            resolve.Parameters.AddWithValue("now", now);
            await resolve.ExecuteNonQueryAsync(ct);
        }

        await AuditLog.WriteAsync(connection, transaction, new AuditEntry(
            siteId, action.By, action.AuditAction, CommentId: id, Reason: action.Reason, Note: action.Note,
            BeforeStatus: previous, AfterStatus: action.To), now, ct);
        await OutboxWriter.EnqueueAsync(connection, transaction,
            new CommentsModerated([new CommentModerated(id, siteId, articleId!, action.To, [action.EventReason], now)]), now, ct);
        return new Outcome(Result.Applied, previous, action.To);
    }

    private static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> DecideOneAsync(
        string siteId, Guid id, Action action, NpgsqlDataSource dataSource, DatabaseResilience resilience,
        OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var outcome = await ApplyInOwnTransactionAsync(siteId, id, action, dataSource, resilience, time, cancellationToken);
        switch (outcome.Result)
        {
            case Result.NotFound:
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown comment",
                    detail: $"There is no comment {id} on this site.");
            case Result.Conflict:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The comment changed",
                    detail: $"The comment is {outcome.CurrentStatus}; it cannot be {action.To} from that state (or not the state expected).",
                    extensions: new Dictionary<string, object?> { ["currentStatus"] = outcome.CurrentStatus });
            default:
                outboxSignal.Notify();
                var logger = loggerFactory.CreateLogger(ModerationLog.Category);
                ModerationLog.Decided(logger, action.By.Id, id, siteId, outcome.PreviousStatus!, action.To);
                return TypedResults.Ok(new DecisionResponse(id, action.To, outcome.PreviousStatus!));
        }
    }

    private static async Task<BulkDecisionResponse> DecideManyAsync(
        string siteId, IReadOnlyList<Guid> ids, Action action, NpgsqlDataSource dataSource, DatabaseResilience resilience,
        OutboxSignal outboxSignal, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        // One transaction per comment: a stale id answers 409 for itself and does not undo the others.
        var results = new List<BulkItemResult>();
        var distinct = ids.Distinct().ToList();
        foreach (var id in distinct)
        {
            Outcome outcome;
            try
            {
                outcome = await ApplyInOwnTransactionAsync(siteId, id, action, dataSource, resilience, time, cancellationToken);
            }
            catch (Exception ex) when (DatabaseResilience.IsUnavailable(ex) && results.Any(r => r.Status == StatusCodes.Status200OK))
            {
                // Some are decided already, so a 503 saying nothing was written would be wrong: this id and the rest
                // answer 503 each (not tried further, as against a database that stopped answering each would wait).
                results.AddRange(distinct.Skip(results.Count).Select(rest => new BulkItemResult(rest, StatusCodes.Status503ServiceUnavailable,
                    null, null, "Not decided: the comment store did not answer in time. Try again.")));
                break;
            }

            results.Add(outcome.Result switch
            {
                Result.Applied => new BulkItemResult(id, StatusCodes.Status200OK, action.To, outcome.PreviousStatus, null),
                Result.NotFound => new BulkItemResult(id, StatusCodes.Status404NotFound, null, null, "Unknown comment."),
                _ => new BulkItemResult(id, StatusCodes.Status409Conflict, outcome.CurrentStatus, null,
                    $"The comment is {outcome.CurrentStatus}; it cannot be {action.To} from that state (or not the state expected)."),
            });
        }

        var applied = results.Count(r => r.Status == StatusCodes.Status200OK);
        if (applied > 0)
        {
            outboxSignal.Notify();
        }

        var logger = loggerFactory.CreateLogger(ModerationLog.Category);
        ModerationLog.Bulk(logger, action.By.Id, action.AuditAction, siteId, applied, results.Count);
        return new BulkDecisionResponse(applied, results);
    }

    private static Task<Outcome> ApplyInOwnTransactionAsync(
        string siteId, Guid id, Action action, NpgsqlDataSource dataSource, DatabaseResilience resilience, TimeProvider time,
        CancellationToken cancellationToken) =>
        resilience.Pipeline.ExecuteAsync(async ct =>
        {
            var now = time.GetUtcNow();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var outcome = await ApplyAsync(connection, transaction, siteId, id, action, now, ct);
            if (outcome.Result == Result.Applied)
            {
                await transaction.CommitAsync(ct);
            }

            return outcome;
        }, cancellationToken).AsTask();

    private static void ValidateReason(string? reason, Dictionary<string, string[]> errors)
    {
        if (reason is null || !ModerationInput.RejectReasons.Contains(reason, StringComparer.Ordinal))
        {
            errors["reason"] = [$"One of {string.Join(", ", ModerationInput.RejectReasons)}."];
        }
    }

    private static void ValidateIds(IReadOnlyList<Guid>? ids, Dictionary<string, string[]> errors)
    {
        if (ids is null || ids.Count is 0 or > ModerationInput.MaxBulkIds)
        {
            errors["ids"] = [$"Between 1 and {ModerationInput.MaxBulkIds} comment ids."];
        }
    }
}
