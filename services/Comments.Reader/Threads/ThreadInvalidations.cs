using StackExchange.Redis;

namespace Comments.Reader.Threads;

/// <summary>
/// Hears every instance's thread invalidations on a Redis channel and drops the article from this instance's
/// <see cref="LocalThreadPages"/>. The local cache only works while this holds: it is switched off when the Redis
/// subscription connection fails (announcements may be missed) and on again, emptied, when that connection is restored.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The stop token's source has no timer, so nothing to release; the host may dispose while StopAsync still runs.")]
public sealed partial class ThreadInvalidations(IConnectionMultiplexer redis, LocalThreadPages local, ILogger<ThreadInvalidations> logger)
    : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("comments:v1:invalidate");

    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _queue;
    private Task _subscribing = Task.CompletedTask;

    /// <summary>The message announcing that an article's pages changed.</summary>
    public static string Message(string siteId, string articleId) => $"{siteId}:{articleId}";

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        if (!await TrySubscribeAsync(cancellationToken))
        {
            _subscribing = RetrySubscribeAsync(_stopping.Token);
        }
    }

    async Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        local.SetListening(false);
        await _stopping.CancelAsync();
        try
        {
            await _subscribing.WaitAsync(cancellationToken);
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

    // Only the subscription connection carries invalidations: the interactive one failing or coming back (possibly before
    // the subscription connection) says nothing about whether they are heard.
    internal void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            local.SetListening(false);
            LogLocalCacheOff(logger, e.ConnectionType.ToString());
        }
    }

    internal void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription && _queue is not null)
        {
            local.SetListening(true);
        }
    }

    private async Task RetrySubscribeAsync(CancellationToken cancellationToken)
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
            // A queue, not a callback: handled in the order published, on the connection that also carries live events.
            var queue = await redis.GetSubscriber().SubscribeAsync(Channel).WaitAsync(cancellationToken);
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
