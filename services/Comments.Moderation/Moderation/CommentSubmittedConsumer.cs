using System.Text.Json;
using Comments.Contracts;
using Comments.Moderation.Scoring;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Comments.Moderation.Moderation;

/// <summary>
/// Scores submitted comments in batches (whatever groups arrived together, up to <c>Messaging:BatchSize</c> messages, taken
/// <see cref="MaxPerStatement"/> comments at a time): one query loads every comment's state, site policy and ban, one
/// statement stores every decision with a state-guarded update and announces them in one <see cref="CommentsModerated"/>
/// outbox message. A redelivered message finds its comments no longer pending and changes nothing.
/// </summary>
public sealed partial class CommentSubmittedConsumer(
    NpgsqlDataSource dataSource,
    CommentModerator moderator,
    IOptions<ModerationOptions> options,
    OutboxSignal outboxSignal,
    TimeProvider time,
    ILogger<CommentSubmittedConsumer> logger) : IConsumer<Batch<CommentsSubmitted>>
{
    /// <summary>Most comments loaded and decided by one statement (and announced by one message), however large the batch.</summary>
    public const int MaxPerStatement = 500;

    private sealed record Stored(string Status, string Policy, bool Banned, DateTimeOffset? BannedUntil);

    private sealed record Decided(CommentSubmitted Message, string Status, Decision Decision);

    public async Task Consume(ConsumeContext<Batch<CommentsSubmitted>> context)
    {
        // A redelivery can put the same comment in a batch twice; it is decided once.
        var comments = context.Message.SelectMany(m => m.Message.Comments).DistinctBy(m => m.CommentId).ToList();
        var ct = context.CancellationToken;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        Exception? failure = null;
        foreach (var chunk in comments.Chunk(MaxPerStatement))
        {
            // Every chunk is decided, whatever an earlier one met: a comment that cannot be decided holds back no other.
            var chunkFailure = await DecideAsync(connection, chunk, ct);
            failure ??= chunkFailure;
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("A comment in the batch could not be decided; the batch is retried.", failure);
        }
    }

    /// <summary>Decides and stores one chunk; returns the first comment's failure to decide, if any (the rest are stored).</summary>
    private async Task<Exception?> DecideAsync(NpgsqlConnection connection, CommentSubmitted[] messages, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var stored = await LoadAsync(connection, messages, now, ct);

        var decided = new List<Decided>(messages.Length);
        var policies = new Dictionary<string, SitePolicy>(StringComparer.Ordinal); // a batch is mostly one or two sites
        Exception? failure = null;
        foreach (var message in messages)
        {
            if (!stored.TryGetValue(message.CommentId, out var row))
            {
                LogUnknownComment(logger, message.CommentId);
                continue;
            }

            if (row.Status != "pending")
            {
                LogAlreadyDecided(logger, message.CommentId, row.Status);
                continue;
            }

            try
            {
                if (!policies.TryGetValue(row.Policy, out var policy))
                {
                    policies[row.Policy] = policy = options.Value.Resolve(row.Policy);
                }

                var decision = moderator.Decide(message.Body, policy);
                if (row.Banned)
                {
                    decision = BannedAuthor(decision, row.BannedUntil);
                }

                decided.Add(new Decided(message, StatusOf(decision.Verdict), decision));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One comment that cannot be decided (a broken site policy, say) does not hold back the others: theirs are
                // stored below, and the batch then fails, so this one is retried and finally parked in the error queue.
                failure ??= ex;
                LogDecisionFailed(logger, ex, message.CommentId);
            }
        }

        if (decided.Count > 0)
        {
            await StoreAsync(connection, decided, now, ct);
        }

        return failure;
    }

    private static async Task<Dictionary<Guid, Stored>> LoadAsync(
        NpgsqlConnection connection, CommentSubmitted[] messages, DateTimeOffset now, CancellationToken ct)
    {
        await using var load = new NpgsqlCommand(
            """
            SELECT c.id, c.status, s.policy::text, b.id IS NOT NULL, b.expires_at
            FROM comments c JOIN sites s ON s.id = c.site_id
            LEFT JOIN LATERAL (
                SELECT id, expires_at FROM bans
                -- The author key only (email hash or 'user:<id>'): an email anyone can type must not ban a signed-in user.
                WHERE site_id = c.site_id AND author_key = c.author_key
                  AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
                ORDER BY expires_at DESC NULLS FIRST LIMIT 1) b ON true
            WHERE c.id = ANY(@ids)
            """, connection);
        load.Parameters.AddWithValue("ids", messages.Select(m => m.CommentId).ToArray());
        load.Parameters.AddWithValue("now", now);
        var stored = new Dictionary<Guid, Stored>(messages.Length);
        await using var reader = await load.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stored[reader.GetGuid(0)] = new Stored(reader.GetString(1), reader.GetString(2), reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
        }

        return stored;
    }

    /// <summary>
    /// One statement, so one round trip and atomic by itself: the state-guarded updates and the outbox message announcing
    /// the rows they changed (none when another delivery decided them all first).
    /// </summary>
    private async Task StoreAsync(NpgsqlConnection connection, List<Decided> decided, DateTimeOffset now, CancellationToken ct)
    {
        var events = decided.Select(d => JsonSerializer.Serialize(
            new CommentModerated(d.Message.CommentId, d.Message.SiteId, d.Message.ArticleId, d.Status, d.Decision.Reasons, now),
            OutboxWriter.SerializerOptions)).ToArray();
        await using var decide = new NpgsqlCommand(
            """
            WITH input AS (
                SELECT * FROM unnest(@ids, @statuses, @scores::jsonb[], @reasons::jsonb[], @events::jsonb[]) WITH ORDINALITY
                    AS i(id, status, scores, reasons, event, position)),
            decided AS (
                UPDATE comments c SET status = i.status, scores = i.scores, reasons = i.reasons,
                    model_version = @model, decided_at = @now
                FROM input i
                WHERE c.id = i.id AND c.status = 'pending'
                RETURNING c.id),
            announced AS (
                INSERT INTO outbox (message_id, message_type, payload, created_at)
                SELECT @message_id, @type, jsonb_build_object(@list::text, jsonb_agg(i.event ORDER BY i.position)), @now
                FROM input i JOIN decided d ON d.id = i.id
                HAVING count(*) > 0)
            SELECT id FROM decided
            """, connection);
        decide.Parameters.AddWithValue("ids", decided.Select(d => d.Message.CommentId).ToArray());
        decide.Parameters.AddWithValue("statuses", decided.Select(d => d.Status).ToArray());
        decide.Parameters.AddWithValue("scores", NpgsqlDbType.Array | NpgsqlDbType.Text, decided.Select(d => JsonSerializer.Serialize(d.Decision.Scores)).ToArray());
        decide.Parameters.AddWithValue("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text, decided.Select(d => JsonSerializer.Serialize(d.Decision.Reasons)).ToArray());
        decide.Parameters.AddWithValue("events", NpgsqlDbType.Array | NpgsqlDbType.Text, events);
        decide.Parameters.AddWithValue("list", OutboxWriter.SerializerOptions.PropertyNamingPolicy!.ConvertName(nameof(CommentsModerated.Decisions)));
        decide.Parameters.AddWithValue("message_id", Guid.CreateVersion7(now));
        decide.Parameters.AddWithValue("type", MessageTypes.NameOf(typeof(CommentsModerated)));
        decide.Parameters.AddWithValue("model", moderator.ModelVersion);
        decide.Parameters.AddWithValue("now", now);

        var written = new HashSet<Guid>();
        await using (var reader = await decide.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                written.Add(reader.GetGuid(0));
            }
        }

        if (written.Count > 0)
        {
            outboxSignal.Notify();
        }

        foreach (var d in decided)
        {
            if (written.Contains(d.Message.CommentId))
            {
                LogDecided(logger, d.Message.CommentId, d.Message.SiteId, d.Status, moderator.ModelVersion, d.Decision.Reasons.Count);
            }
            else
            {
                LogAlreadyDecided(logger, d.Message.CommentId, "concurrently decided");
            }
        }
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Comment {CommentId} could not be decided")]
    private static partial void LogDecisionFailed(ILogger logger, Exception exception, Guid commentId);
}

public sealed class CommentSubmittedConsumerDefinition : ConsumerDefinition<CommentSubmittedConsumer>
{
    public CommentSubmittedConsumerDefinition() => EndpointName = ConsumerQueues.Moderation;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CommentSubmittedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Transient database trouble is retried in place; after that the messages go to the error queue, not lost.
        var messaging = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(messaging.RetryIntervals()));
        consumerConfigurator.Options<BatchOptions>(messaging.ConfigureBatch);
    }
}
