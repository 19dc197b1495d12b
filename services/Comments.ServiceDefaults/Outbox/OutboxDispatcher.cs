using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Comments.ServiceDefaults.Outbox;

public sealed record OutboxMessage(long Id, Guid MessageId, string MessageType, string Payload);

/// <summary>Where outbox messages go; MassTransit in production, a fake in the tests of the dispatcher itself.</summary>
public interface IOutboxPublisher
{
    Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken);
}

public sealed class MassTransitOutboxPublisher(IBus bus) : IOutboxPublisher
{
    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var type = MessageTypes.Resolve(message.MessageType)
            ?? throw new InvalidOperationException($"Unknown outbox message type {message.MessageType}.");
        var body = JsonSerializer.Deserialize(message.Payload, type, OutboxWriter.SerializerOptions)
            ?? throw new InvalidOperationException($"Outbox message {message.Id} has an empty payload.");
        // The outbox message id becomes the MassTransit message id, so a re-publish after a crash is recognisable downstream.
        // Mandatory: a message RabbitMQ cannot route to any queue comes back, the publish fails (MessageReturnedException)
        // and the row stays unsent, rather than the broker confirming a message it has dropped.
        return bus.Publish(body, type, context =>
        {
            context.MessageId = message.MessageId;
            if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
            {
                rabbit.Mandatory = true;
            }
        }, cancellationToken);
    }
}

public sealed record DispatchResult(int Sent, int Failed);

/// <summary>
/// Publishes unsent outbox rows and stamps them sent. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so any number
/// of instances can dispatch side by side. A row whose publish fails stays unsent, never dropped, and is claimed again
/// once its own retry delay (growing with its attempts) has passed, so it holds up none of the rows behind it.
/// </summary>
public sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    IOutboxPublisher publisher,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private readonly ResiliencePipeline _publishPipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
        })
        .AddTimeout(TimeSpan.FromSeconds(10))
        .Build();

    /// <summary>
    /// How long a row whose publish failed waits before it is claimed again; doubled with each further failure, up to
    /// <see cref="OutboxOptions.MaxBackoff"/>.
    /// </summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Sent rows deleted per statement, so a purge never holds many row locks at once.</summary>
    public const int PurgeBatchSize = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        var nextPurge = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (time.GetUtcNow() >= nextPurge)
                {
                    // One bounded batch per pass, so a large backlog of sent rows never holds up dispatching; a full
                    // batch means more are due, and the next pass takes another.
                    var purged = await PurgeSentAsync(stoppingToken);
                    nextPurge = purged == PurgeBatchSize ? time.GetUtcNow() : time.GetUtcNow() + options.Value.PurgeInterval;
                    if (purged > 0)
                    {
                        LogPurged(logger, purged);
                    }
                }

                var result = await DispatchBatchAsync(stoppingToken);
                if (result is { Sent: 0, Failed: > 0 })
                {
                    // Nothing went out: the broker is probably unreachable. (Rows that fail while others go out wait on
                    // their own next_attempt_at instead, and hold up nothing.)
                    backoff = backoff == TimeSpan.Zero
                        ? TimeSpan.FromMilliseconds(200)
                        : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Value.MaxBackoff.Ticks));
                    await Task.Delay(backoff, time, stoppingToken);
                    continue;
                }

                backoff = TimeSpan.Zero;
                if (result.Sent == options.Value.BatchSize)
                {
                    continue; // more rows are probably waiting
                }

                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogDispatchFailed(logger, ex);
                await Task.Delay(options.Value.PollInterval * 4, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Claims one batch of unsent rows, publishes them, and records the outcome in the same transaction.</summary>
    public async Task<DispatchResult> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var batch = new List<OutboxMessage>();
        await using (var select = new NpgsqlCommand(
            """
            SELECT id, message_id, message_type, payload::text FROM outbox
            WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
            ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.AddWithValue("now", time.GetUtcNow());
            select.Parameters.AddWithValue("limit", options.Value.BatchSize);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                batch.Add(new OutboxMessage(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        if (batch.Count == 0)
        {
            return new DispatchResult(0, 0);
        }

        var outcomes = await Task.WhenAll(batch.Select(message => PublishOneAsync(message, cancellationToken)));
        var sent = batch.Where((_, i) => outcomes[i] is null).Select(m => m.Id).ToArray();
        var failed = batch.Where((_, i) => outcomes[i] is not null).Select(m => m.Id).ToArray();

        await using (var update = new NpgsqlCommand(
            """
            UPDATE outbox SET sent_at = @now, attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL WHERE id = ANY(@sent);
            UPDATE outbox SET attempts = attempts + 1, last_error = @error,
                next_attempt_at = @now + least(@max_backoff, @first_backoff * power(2, least(attempts, 20)))
            WHERE id = ANY(@failed);
            """, connection, transaction))
        {
            update.Parameters.AddWithValue("now", time.GetUtcNow());
            update.Parameters.AddWithValue("first_backoff", FirstRetryDelay);
            update.Parameters.AddWithValue("max_backoff", options.Value.MaxBackoff);
            update.Parameters.AddWithValue("sent", sent);
            update.Parameters.AddWithValue("failed", failed);
            update.Parameters.AddWithValue("error", outcomes.FirstOrDefault(o => o is not null) ?? (object)DBNull.Value);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (failed.Length > 0)
        {
            LogPublishFailed(logger, failed.Length, batch.Count);
        }

        return new DispatchResult(sent.Length, failed.Length);
    }

    /// <summary>
    /// Deletes up to <see cref="PurgeBatchSize"/> rows sent longer than <see cref="OutboxOptions.RetainSent"/> ago, oldest
    /// first (the <c>outbox_sent</c> index finds them without scanning the retained rows); rows another instance is purging
    /// are skipped. Unsent rows are never touched. Returns how many rows were deleted.
    /// </summary>
    public async Task<int> PurgeSentAsync(CancellationToken cancellationToken)
    {
        await using var delete = dataSource.CreateCommand(
            """
            DELETE FROM outbox WHERE id IN (
                SELECT id FROM outbox WHERE sent_at < @cutoff ORDER BY sent_at LIMIT @limit FOR UPDATE SKIP LOCKED)
            """);
        delete.Parameters.AddWithValue("cutoff", time.GetUtcNow() - options.Value.RetainSent);
        delete.Parameters.AddWithValue("limit", PurgeBatchSize);
        return await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<string?> PublishOneAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _publishPipeline.ExecuteAsync(
                static async (state, ct) => await state.publisher.PublishAsync(state.message, ct),
                (publisher, message), cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox publish failed for {Failed} of {Total} messages; they stay unsent and will be retried")]
    private static partial void LogPublishFailed(ILogger logger, int failed, int total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox: deleted {Count} rows sent before the retention period")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox dispatch round failed")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);
}

public static class OutboxExtensions
{
    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<IOutboxPublisher, MassTransitOutboxPublisher>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService<BackgroundService>(sp => sp.GetRequiredService<IOptions<OutboxOptions>>().Value.DispatcherEnabled
            ? sp.GetRequiredService<OutboxDispatcher>()
            : new NoDispatcher());
        return services;
    }

    private sealed class NoDispatcher : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
