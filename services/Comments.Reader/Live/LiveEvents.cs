using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using StackExchange.Redis;

namespace Comments.Reader.Live;

/// <summary>
/// Live-update fan-out through Redis, so any Reader instance can serve any browser. Each event is appended to a short,
/// expiring per-article stream (replay for <c>Last-Event-ID</c>) and announced on a pub/sub channel that every instance
/// subscribes to; each instance then pushes it to its own open connections.
/// </summary>
public sealed partial class LiveEvents(IConnectionMultiplexer redis, ILogger<LiveEvents> logger) : IHostedService
{
    private const string ChannelPrefix = "comments:v1:live:";
    private static readonly TimeSpan StreamTtl = TimeSpan.FromHours(6);
    private const int StreamLength = 500;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<LiveMessage>, byte>> _listeners = new(StringComparer.Ordinal);

    public static string StreamKey(string siteId, string articleId) => $"comments:v1:events:{siteId}:{articleId}";

    private static string Topic(string siteId, string articleId) => $"{siteId}:{articleId}";

    /// <summary>Records and announces an event. Throws when Redis is down, so the caller's message is retried.</summary>
    public async Task PublishAsync(string siteId, string articleId, LiveEvent liveEvent)
    {
        var db = redis.GetDatabase();
        var key = StreamKey(siteId, articleId);
        var payload = JsonSerializer.Serialize(liveEvent, LiveJsonContext.Default.LiveEvent);
        var id = await db.StreamAddAsync(key, "e", payload, maxLength: StreamLength, useApproximateMaxLength: true);
        await db.KeyExpireAsync(key, StreamTtl);
        var message = new LiveMessage(id.ToString(), siteId, articleId, liveEvent);
        await redis.GetSubscriber().PublishAsync(
            RedisChannel.Literal(ChannelPrefix + Topic(siteId, articleId)),
            JsonSerializer.Serialize(message, LiveJsonContext.Default.LiveMessage));
    }

    /// <summary>Events recorded after <paramref name="lastEventId"/>, for a reconnecting browser.</summary>
    public async Task<IReadOnlyList<LiveMessage>> ReplayAsync(string siteId, string articleId, string lastEventId)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(StreamKey(siteId, articleId), minId: "(" + lastEventId, count: StreamLength);
        var replay = new List<LiveMessage>(entries.Length);
        foreach (var entry in entries)
        {
            var value = entry["e"];
            if (!value.IsNull && JsonSerializer.Deserialize((string)value!, LiveJsonContext.Default.LiveEvent) is { } liveEvent)
            {
                replay.Add(new LiveMessage(entry.Id.ToString(), siteId, articleId, liveEvent));
            }
        }

        return replay;
    }

    /// <summary>Registers one open connection; dispose the subscription when the connection closes.</summary>
    public Subscription Listen(string siteId, string articleId)
    {
        var channel = Channel.CreateBounded<LiveMessage>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        var topic = Topic(siteId, articleId);
        _listeners.GetOrAdd(topic, _ => new ConcurrentDictionary<Channel<LiveMessage>, byte>())[channel] = 0;
        return new Subscription(channel.Reader, () =>
        {
            if (_listeners.TryGetValue(topic, out var set))
            {
                set.TryRemove(channel, out _);
            }
        });
    }

    public int ListenerCount => _listeners.Values.Sum(set => set.Count);

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        // Subscribing fails while Redis is down; StackExchange.Redis re-establishes the subscription when it reconnects.
        try
        {
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(ChannelPrefix + "*"), (_, value) => Deliver(value));
        }
        catch (RedisException ex)
        {
            LogSubscribeFailed(logger, ex.GetType().Name);
        }
    }

    Task IHostedService.StopAsync(CancellationToken cancellationToken) =>
        redis.GetSubscriber().UnsubscribeAsync(RedisChannel.Pattern(ChannelPrefix + "*"));

    private void Deliver(RedisValue value)
    {
        if (value.IsNull || JsonSerializer.Deserialize((string)value!, LiveJsonContext.Default.LiveMessage) is not { } message)
        {
            return;
        }

        if (_listeners.TryGetValue(Topic(message.SiteId, message.ArticleId), out var set))
        {
            foreach (var channel in set.Keys)
            {
                channel.Writer.TryWrite(message);
            }
        }
    }

    public sealed class Subscription(ChannelReader<LiveMessage> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<LiveMessage> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to live events ({ExceptionType}); will retry on reconnect")]
    private static partial void LogSubscribeFailed(ILogger logger, string exceptionType);
}

public static class LiveEventsExtensions
{
    public static IHostApplicationBuilder AddLiveEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LiveEvents>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveEvents>());
        return builder;
    }
}
