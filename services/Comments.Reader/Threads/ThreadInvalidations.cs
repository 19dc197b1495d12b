using StackExchange.Redis;

namespace Comments.Reader.Threads;

/// <summary>
/// Hears every instance's thread invalidations on a Redis channel and drops the article from this instance's
/// <see cref="LocalThreadPages"/>. The local cache only works while this holds: it is switched off when the Redis
/// connection fails (announcements may be missed) and on again, emptied, when it is restored.
/// </summary>
public sealed partial class ThreadInvalidations(IConnectionMultiplexer redis, LocalThreadPages local, ILogger<ThreadInvalidations> logger)
    : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("comments:v1:invalidate");

    private volatile bool _stopped;
    private ChannelMessageQueue? _queue;
    private Task _subscribing = Task.CompletedTask;

    /// <summary>The message announcing that an article's pages changed.</summary>
    public static string Message(string siteId, string articleId) => $"{siteId}:{articleId}";

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        if (!await TrySubscribeAsync())
        {
            _subscribing = RetrySubscribeAsync();
        }
    }

    async Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        local.SetListening(false);
        _stopped = true;
        await _subscribing;
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

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        local.SetListening(false);
        LogLocalCacheOff(logger, e.ConnectionType.ToString());
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (_queue is not null)
        {
            local.SetListening(true);
        }
    }

    private async Task RetrySubscribeAsync()
    {
        while (!_stopped)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (!_stopped && await TrySubscribeAsync())
            {
                return;
            }
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            // A queue, not a callback: handled in the order published, on the connection that also carries live events.
            var queue = await redis.GetSubscriber().SubscribeAsync(Channel);
            queue.OnMessage(message => Invalidate(message.Message));
            _queue = queue;
            local.SetListening(true);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(logger, ex.GetType().Name);
            try
            {
                await redis.GetSubscriber().UnsubscribeAsync(Channel);
            }
            catch (Exception inner) when (inner is RedisException or TimeoutException)
            {
                // Only the local registration mattered; the server never had it.
            }

            return false;
        }
    }

    private void Invalidate(RedisValue value)
    {
        var text = (string?)value;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon > 0)
        {
            // Site ids cannot contain ':' (see the sites table), so the first one separates site from article.
            local.Invalidate(text![..colon], text[(colon + 1)..]);
        }
        else
        {
            local.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection failed ({ConnectionType}); local thread cache off until it is restored")]
    private static partial void LogLocalCacheOff(ILogger logger, string connectionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to thread invalidations ({ExceptionType}); local thread cache off, retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, string exceptionType);
}
