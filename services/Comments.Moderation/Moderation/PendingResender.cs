using System.ComponentModel.DataAnnotations;
using Comments.Contracts;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Comments.Moderation.Moderation;

public sealed class PendingResendOptions
{
    public const string SectionName = "Moderation:ResendPending";

    /// <summary>How long a comment stays pending, with no message of it waiting anywhere, before it is sent again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan After { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Comments pending longer than this are not sent again (a moderator finds them among the pending): after an upgrade
    /// or a long stop, a comment months old should not suddenly be decided and appear in its thread.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Most times one comment is sent again (then it stays pending for a moderator); 0 turns resending off.</summary>
    [Range(0, 100)]
    public int Limit { get; set; } = 5;

    /// <summary>How often a worker instance looks for such comments.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Sends a comment to moderation again when it is still pending long after it was submitted while nothing of it waits to
/// be published or consumed: its message was parked in the error queue (an outage longer than the consumer's retries) or
/// lost with a broker. Without this such a comment would stay undecided until an operator re-drives the error queue.
/// It only acts when the worker's queue has no message ready and the outbox no recent unsent submission, so a backlog
/// waiting there is not sent again (the few messages a worker holds at that moment may be); one instance at a time (an
/// advisory lock). Deciding is idempotent, so a comment sent twice is decided once all the same.
/// </summary>
public sealed partial class PendingResender(
    NpgsqlDataSource dataSource,
    IConfiguration configuration,
    OutboxSignal outboxSignal,
    IOptions<PendingResendOptions> options,
    TimeProvider time,
    ILogger<PendingResender> logger) : BackgroundService
{
    private const long AdvisoryLockKey = 0x50656E64696E67; // "Pending"

    /// <summary>Most comments sent again per sweep; the next sweep takes the rest.</summary>
    public const int MaxPerSweep = 1_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Limit == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.Interval, time, stoppingToken);
                var resent = await ResendAsync(stoppingToken);
                if (resent > 0)
                {
                    LogResent(logger, resent, options.Value.After);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong (the database, the broker, a client timeout), the worker goes on: the next sweep retries.
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <summary>One sweep; returns how many comments were sent again.</summary>
    public async Task<int> ResendAsync(CancellationToken cancellationToken)
    {
        if (await ReadyInQueueAsync(cancellationToken) > 0)
        {
            return 0; // a backlog is being worked through: its comments are not lost
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var gate = new NpgsqlCommand(
            """
            SELECT pg_try_advisory_xact_lock(@key)
                AND NOT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL AND message_type = @type AND created_at >= @cutoff)
            """, connection, transaction))
        {
            gate.Parameters.AddWithValue("key", AdvisoryLockKey);
            gate.Parameters.AddWithValue("type", MessageTypes.NameOf(typeof(CommentsSubmitted)));
            gate.Parameters.AddWithValue("cutoff", time.GetUtcNow() - options.Value.After);
            if (await gate.ExecuteScalarAsync(cancellationToken) is not true)
            {
                // Another instance is sweeping, or recent submissions still wait to be published (a backlog on its way).
                // An older unsent row does not stop the sweep: one that can never be published must not switch it off.
                return 0;
            }
        }

        var now = time.GetUtcNow();
        var comments = new List<CommentSubmitted>();
        await using (var select = new NpgsqlCommand(
            """
            UPDATE comments c SET resends = c.resends + 1, resent_at = @now
            FROM (SELECT id FROM comments
                  WHERE status = 'pending' AND created_at < @cutoff AND created_at > @oldest AND resends < @limit
                    AND (resent_at IS NULL OR resent_at < @cutoff)
                  ORDER BY created_at LIMIT @max FOR UPDATE SKIP LOCKED) due
            WHERE c.id = due.id
            RETURNING c.id, c.site_id, c.article_id, c.parent_id, c.author_name, c.body, c.created_at
            """, connection, transaction))
        {
            select.Parameters.AddWithValue("now", now);
            select.Parameters.AddWithValue("cutoff", now - options.Value.After);
            select.Parameters.AddWithValue("oldest", now - options.Value.MaxAge);
            select.Parameters.AddWithValue("limit", (short)options.Value.Limit);
            select.Parameters.AddWithValue("max", MaxPerSweep);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                comments.Add(new CommentSubmitted(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.GetString(4), reader.GetString(5),
                    reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }

        foreach (var group in Groups(comments.OrderBy(c => c.SubmittedAt)))
        {
            await OutboxWriter.EnqueueAsync(connection, transaction, new CommentsSubmitted(group), now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (comments.Count > 0)
        {
            outboxSignal.Notify();
        }

        return comments.Count;
    }

    /// <summary>Messages within <see cref="CommentsSubmitted"/>'s bounds, closed as the Api closes its groups.</summary>
    private static IEnumerable<List<CommentSubmitted>> Groups(IEnumerable<CommentSubmitted> comments)
    {
        var group = new List<CommentSubmitted>();
        var chars = 0;
        foreach (var comment in comments)
        {
            if (group.Count == CommentsSubmitted.MaxComments || chars >= CommentsSubmitted.MaxChars)
            {
                yield return group;
                group = [];
                chars = 0;
            }

            group.Add(comment);
            chars += comment.Body.Length;
        }

        if (group.Count > 0)
        {
            yield return group;
        }
    }

    private async Task<uint> ReadyInQueueAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = MessagingExtensions.RabbitMqUri(configuration) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(ConsumerQueues.Moderation, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0; // no queue yet: nothing waits in it
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sent {Count} comment(s) to moderation again: pending for over {After} with no message of them waiting (parked in the error queue, or lost)")]
    private static partial void LogResent(ILogger logger, int count, TimeSpan after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for comments to send to moderation again failed; next try at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
