using System.Text.Json;
using Comments.Contracts;
using Comments.Moderation.Scoring;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Moderation.Moderation;

/// <summary>
/// Scores a submitted comment, stores the decision with a state-guarded update and announces it through the outbox.
/// A redelivered message finds the comment no longer pending and changes nothing.
/// </summary>
public sealed partial class CommentSubmittedConsumer(
    NpgsqlDataSource dataSource,
    CommentModerator moderator,
    IOptions<ModerationOptions> options,
    OutboxSignal outboxSignal,
    TimeProvider time,
    ILogger<CommentSubmittedConsumer> logger) : IConsumer<CommentSubmitted>
{
    public async Task Consume(ConsumeContext<CommentSubmitted> context)
    {
        var message = context.Message;
        var ct = context.CancellationToken;
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        string? status = null, policyJson = null;
        var banned = false;
        DateTimeOffset? bannedUntil = null;
        var now = time.GetUtcNow();
        await using (var load = new NpgsqlCommand(
            """
            SELECT c.status, s.policy::text, b.id IS NOT NULL, b.expires_at
            FROM comments c JOIN sites s ON s.id = c.site_id
            LEFT JOIN LATERAL (
                SELECT id, expires_at FROM bans
                -- The author key only (email hash or 'user:<id>'): an email anyone can type must not ban a signed-in user.
                WHERE site_id = c.site_id AND author_key = c.author_key
                  AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
                ORDER BY expires_at DESC NULLS FIRST LIMIT 1) b ON true
            WHERE c.id = @id
            """, connection))
        {
            load.Parameters.AddWithValue("id", message.CommentId);
            load.Parameters.AddWithValue("now", now);
            await using var reader = await load.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                status = reader.GetString(0);
                policyJson = reader.GetString(1);
                banned = reader.GetBoolean(2);
                bannedUntil = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);
            }
        }

        if (status is null)
        {
            LogUnknownComment(logger, message.CommentId);
            return;
        }

        if (status != "pending")
        {
            LogAlreadyDecided(logger, message.CommentId, status);
            return;
        }

        var decision = moderator.Decide(message.Body, options.Value.Resolve(policyJson));
        if (banned)
        {
            decision = BannedAuthor(decision, bannedUntil);
        }

        var decidedStatus = StatusOf(decision.Verdict);
        var moderated = new CommentModerated(message.CommentId, message.SiteId, message.ArticleId, decidedStatus, decision.Reasons, now);
        var outbox = OutboxWriter.Row(moderated, now);

        // One statement, so one round trip and atomic by itself: the state-guarded update and, only if it changed the
        // row, the outbox message announcing it.
        await using (var decide = new NpgsqlCommand(
            $"""
            WITH decided AS (
                UPDATE comments SET status = @status, scores = @scores::jsonb, reasons = @reasons::jsonb,
                    model_version = @model, decided_at = @now
                WHERE id = @id AND status = 'pending'
                RETURNING id)
            {OutboxWriter.InsertSql} FROM decided
            """, connection))
        {
            decide.Parameters.AddWithValue("id", message.CommentId);
            decide.Parameters.AddWithValue("status", decidedStatus);
            decide.Parameters.AddWithValue("scores", JsonSerializer.Serialize(decision.Scores));
            decide.Parameters.AddWithValue("reasons", JsonSerializer.Serialize(decision.Reasons));
            decide.Parameters.AddWithValue("model", moderator.ModelVersion);
            decide.Parameters.AddWithValue("now", now);
            outbox.AddParameters(decide);
            if (await decide.ExecuteNonQueryAsync(ct) == 0)
            {
                LogAlreadyDecided(logger, message.CommentId, "concurrently decided");
                return;
            }
        }

        outboxSignal.Notify();
        LogDecided(logger, message.CommentId, message.SiteId, decidedStatus, moderator.ModelVersion, decision.Reasons.Count);
    }

    /// <summary>A banned author's comment is rejected whatever it says; the scores and findings stay for the moderators.</summary>
    public static Decision BannedAuthor(Decision decision, DateTimeOffset? until)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var reason = until is { } end
            ? $"author banned until {end.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)} UTC"
            : "author banned";
        return decision with { Verdict = Verdict.Reject, Reasons = [reason, .. decision.Reasons] };
    }

    public static string StatusOf(Verdict verdict) => verdict switch
    {
        Verdict.Approve => "approved",
        Verdict.Hold => "held",
        Verdict.Reject => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Comment {CommentId} on site {SiteId} {Status} by {ModelVersion} with {ReasonCount} reason(s)")]
    private static partial void LogDecided(ILogger logger, Guid commentId, string siteId, string status, string modelVersion, int reasonCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Comment {CommentId} already decided ({Status}); redelivery ignored")]
    private static partial void LogAlreadyDecided(ILogger logger, Guid commentId, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Comment {CommentId} is not in the database; message ignored")]
    private static partial void LogUnknownComment(ILogger logger, Guid commentId);
}

public sealed class CommentSubmittedConsumerDefinition : ConsumerDefinition<CommentSubmittedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CommentSubmittedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Transient database trouble is retried in place; after that the message goes to the error queue, not lost.
        var intervals = context.GetRequiredService<IOptions<MessagingOptions>>().Value.RetryIntervals();
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(intervals));
    }
}
