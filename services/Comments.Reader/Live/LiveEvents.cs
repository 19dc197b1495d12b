using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Comments.Reader.Threads;
using StackExchange.Redis;

namespace Comments.Reader.Live;

/// <summary>
/// Live-update fan-out through Redis, so any Reader instance can serve any browser. Each event is appended to a short,
/// expiring per-article stream (replay for <c>Last-Event-ID</c>) and announced on a pub/sub channel that every instance
/// subscribes to; each instance then pushes it to its own open connections.
/// </summary>
/// <remarks>
/// Order matters: a connection skips ids it has already passed (replay overlap), so an event announced out of stream order
/// would be lost. Appending and announcing happen in one script (Redis runs it atomically, so announcements leave in id
/// order) and every instance handles announcements one at a time from an ordered queue.
/// </remarks>
public sealed class LiveEvents : IHostedService
{
    private const string ChannelPrefix = "comments:v1:live:";
    private static readonly TimeSpan StreamTtl = TimeSpan.FromHours(6);
    private const int StreamLength = 500;
    private static readonly RedisChannel Pattern = RedisChannel.Pattern(ChannelPrefix + "*");

    // Announcement: "<stream id>\n<event JSON>" on the article's channel.
    private const string PublishScript = """
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('PUBLISH', ARGV[4], id .. '\n' .. ARGV[2])
        return id
        """;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<LiveMessage>, byte>> _listeners = new(StringComparer.Ordinal);
    private readonly IConnectionMultiplexer redis;
    private readonly LocalThreadPages localPages;
    private readonly OrderedSubscription _subscription;

    public LiveEvents(IConnectionMultiplexer redis, LocalThreadPages localPages, ILogger<LiveEvents> logger)
    {
        (this.redis, this.localPages) = (redis, localPages);
        _subscription = new OrderedSubscription(redis, Pattern, message => Deliver(message.Channel, message.Message), () => { }, logger);
    }

    public static string StreamKey(string siteId, string articleId) => $"comments:v1:events:{siteId}:{articleId}";

    private static string Topic(string siteId, string articleId) => $"{siteId}:{articleId}";

    /// <summary>Records and announces an event in one round trip. Throws when Redis is down, so the caller's message is retried.</summary>
    public async Task PublishAsync(string siteId, string articleId, LiveEvent liveEvent)
    {
        var payload = JsonSerializer.Serialize(liveEvent, LiveJsonContext.Default.LiveEvent);
        await redis.GetDatabase().ScriptEvaluateAsync(
            PublishScript,
            [StreamKey(siteId, articleId)],
            [StreamLength, payload, (long)StreamTtl.TotalSeconds, ChannelPrefix + Topic(siteId, articleId)]);
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

    /// <summary>True once this instance receives announcements.</summary>
    public bool IsSubscribed => _subscription.IsSubscribed;

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => _subscription.StartAsync(cancellationToken);

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => _subscription.StopAsync(cancellationToken);

    private void Deliver(RedisChannel redisChannel, RedisValue value)
    {
        var channel = redisChannel.ToString();
        var text = (string?)value;
        if (!channel.StartsWith(ChannelPrefix, StringComparison.Ordinal) || text is null)
        {
            return;
        }

        var topic = channel[ChannelPrefix.Length..];
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var colon = topic.IndexOf(':', StringComparison.Ordinal);
        if (newline <= 0 || colon <= 0 || !_listeners.TryGetValue(topic, out var set) || set.IsEmpty)
        {
            return;
        }

        if (JsonSerializer.Deserialize(text.AsSpan(newline + 1), LiveJsonContext.Default.LiveEvent) is not { } liveEvent)
        {
            return;
        }

        // Site ids cannot contain ':' (see the sites table), so the first one separates site from article.
        var message = new LiveMessage(text[..newline], topic[..colon], topic[(colon + 1)..], liveEvent);
        // The invalidation announced just before this event travels on another queue and may not have been handled yet:
        // drop the article's local pages first, so a page that re-reads the thread on this event gets the new state.
        localPages.Invalidate(message.SiteId, message.ArticleId);
        foreach (var listener in set.Keys)
        {
            listener.Writer.TryWrite(message);
        }
    }

    public sealed class Subscription(ChannelReader<LiveMessage> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<LiveMessage> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
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
