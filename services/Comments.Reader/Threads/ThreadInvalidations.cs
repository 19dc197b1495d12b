using StackExchange.Redis;

namespace Comments.Reader.Threads;

/// <summary>
/// Hears every instance's thread invalidations on a Redis channel and drops the article from this instance's
/// <see cref="LocalThreadPages"/>. The local cache only works while this holds: it is switched off when the Redis
/// subscription connection fails (announcements may be missed) and on again, emptied, when that connection is restored.
/// </summary>
public sealed partial class ThreadInvalidations : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("comments:v1:invalidate");

    private readonly IConnectionMultiplexer redis;
    private readonly LocalThreadPages local;
    private readonly ILogger<ThreadInvalidations> logger;
    private readonly OrderedSubscription _subscription;

    public ThreadInvalidations(IConnectionMultiplexer redis, LocalThreadPages local, ILogger<ThreadInvalidations> logger)
    {
        (this.redis, this.local, this.logger) = (redis, local, logger);
        // Handled in the order published, on the connection that also carries live events.
        _subscription = new OrderedSubscription(redis, Channel, message => Invalidate(message.Message), () => local.SetListening(true), logger);
    }

    /// <summary>The message announcing that an article's pages changed.</summary>
    public static string Message(string siteId, string articleId) => $"{siteId}:{articleId}";

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        await _subscription.StartAsync(cancellationToken);
    }

    async Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        local.SetListening(false);
        await _subscription.StopAsync(cancellationToken);
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
        if (e.ConnectionType == ConnectionType.Subscription && _subscription.IsSubscribed)
        {
            local.SetListening(true);
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
}
