using StackExchange.Redis;

namespace Comments.Reader;

/// <summary>
/// One Redis pub/sub subscription whose messages are handled one at a time in publish order (a queue, not a callback:
/// callbacks run concurrently and would reorder them). Subscribing fails while Redis is down at start; it is retried every
/// second until it succeeds or the subscription is stopped. Once subscribed, StackExchange.Redis re-establishes it after a
/// reconnect by itself.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The stop token's source has no timer, so nothing to release; the host may dispose while StopAsync still runs.")]
public sealed partial class OrderedSubscription(
    IConnectionMultiplexer redis, RedisChannel channel, Action<ChannelMessage> handle, Action onSubscribed, ILogger logger)
{
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _queue;
    private Task _retrying = Task.CompletedTask;

    public bool IsSubscribed => _queue is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TrySubscribeAsync(cancellationToken))
        {
            _retrying = RetryAsync(_stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _retrying.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopped while still trying to subscribe (Redis away): nothing to wait for.
        }

        if (_queue is { } queue)
        {
            try
            {
                await queue.UnsubscribeAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Shutting down while Redis is away: nothing left to unsubscribe from.
            }
        }
    }

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            if (await TrySubscribeAsync(cancellationToken))
            {
                return;
            }
        }
    }

    private async Task<bool> TrySubscribeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var queue = await redis.GetSubscriber().SubscribeAsync(channel).WaitAsync(cancellationToken);
            queue.OnMessage(handle);
            _queue = queue;
            onSubscribed();
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(logger, channel.ToString(), ex.GetType().Name);
            try
            {
                await redis.GetSubscriber().UnsubscribeAsync(channel);
            }
            catch (Exception inner) when (inner is RedisException or TimeoutException)
            {
                // Only the local registration mattered; the server never had it.
            }

            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to Redis channel {Channel} ({ExceptionType}); retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, string channel, string exceptionType);
}
