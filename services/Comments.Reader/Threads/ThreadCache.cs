using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Comments.Reader.Threads;

public sealed class ThreadCacheOptions
{
    public const string SectionName = "ThreadCache";

    /// <summary>How long a rendered page may live; invalidation makes it unreachable much sooner.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PageTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an article's generation counter lives after its last change; longer than <see cref="PageTtl"/>.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan GenerationTtl { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// How long this instance may serve a page from its own memory without asking Redis; invalidations reach it much
    /// sooner, so this only bounds staleness if one is lost. Zero turns the local cache off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan LocalPageTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Memory the local cache may use for pages, in bytes.</summary>
    [Range(1024 * 1024, 4L * 1024 * 1024 * 1024)]
    public long LocalCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Past this a Redis call is abandoned and the database answers instead.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// Cache-aside for rendered thread pages. Each article has a generation counter; page keys include it, and a moderation
/// event bumps it. A page filled from an older snapshot is written under the old generation, which no reader asks for
/// any more, so a refill can never resurrect stale state. Redis trouble never fails a read: callers fall back to PostgreSQL.
/// </summary>
public sealed partial class ThreadCache
{
    // Bumps to max(current + 1, now in ticks): values never repeat even after the counter expires and starts again.
    // With a channel and message, also announces the change to every instance's local cache, in the same step.
    private const string BumpScript = """
        local v = redis.call('INCR', KEYS[1])
        if v < tonumber(ARGV[1]) then
          redis.call('SET', KEYS[1], ARGV[1])
          v = tonumber(ARGV[1])
        end
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        if #ARGV >= 4 then
          redis.call('PUBLISH', ARGV[3], ARGV[4])
        end
        return v
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly LocalThreadPages _local;
    private readonly ThreadCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ThreadCache> _logger;
    private readonly ResiliencePipeline _pipeline;
    private volatile bool _suspect;

    public ThreadCache(
        IConnectionMultiplexer redis, LocalThreadPages local, IOptions<ThreadCacheOptions> options, TimeProvider time, ILogger<ThreadCache> logger)
    {
        _redis = redis;
        _local = local;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(5),
                ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<TimeoutRejectedException>()
                    .Handle<TimeoutException>().Handle<ObjectDisposedException>(),
            })
            .AddTimeout(_options.OperationTimeout)
            .Build();
    }

    /// <summary>Bumped after this instance saw Redis fail: every page cached before the outage becomes unreachable.</summary>
    public const string EpochKey = "comments:v1:epoch";

    public static string GenerationKey(string siteId, string articleId) => $"comments:v1:gen:{siteId}:{articleId}";

    public static string PageKey(string siteId, string articleId, string version, string variant) =>
        $"comments:v1:thread:{siteId}:{articleId}:{version}:{variant}";

    /// <summary>
    /// The version of the article's cached pages ("epoch.generation"), creating the counters if absent; null when Redis is
    /// unavailable. After an outage seen by this instance, invalidations may have been lost meanwhile, so the epoch is
    /// bumped first and nothing cached before the outage is served again.
    /// </summary>
    public async Task<string?> TryGetVersionAsync(string siteId, string articleId, CancellationToken ct)
    {
        RedisKey[] keys = [EpochKey, GenerationKey(siteId, articleId)];
        return await TryAsync(async token =>
        {
            var db = _redis.GetDatabase();
            if (_suspect)
            {
                await BumpAsync(db, EpochKey).WaitAsync(token);
                _suspect = false;
                LogEpochBumped(_logger);
            }

            var values = await db.StringGetAsync(keys).WaitAsync(token);
            if (values.Any(v => v.IsNull))
            {
                var now = _time.GetUtcNow().UtcTicks;
                foreach (var key in keys)
                {
                    await db.StringSetAsync(key, now, _options.GenerationTtl, When.NotExists).WaitAsync(token);
                }

                values = await db.StringGetAsync(keys).WaitAsync(token);
            }

            return values.All(v => !v.IsNull) ? $"{(long)values[0]}.{(long)values[1]}" : null;
        }, ct);
    }

    public static string LocalKey(string siteId, string articleId, string variant) => $"{siteId}\0{articleId}\0{variant}";

    /// <summary>Where this instance's local cache stands for the article; taken before reading anything.</summary>
    public LocalThreadPages.Stamp BeginLocal(string siteId, string articleId) => _local.Begin(siteId, articleId);

    /// <summary>This instance's own copy of a page, when it may serve one without asking Redis.</summary>
    public bool TryGetLocal(string localKey, LocalThreadPages.Stamp stamp, out RenderedPage page) => _local.TryGet(localKey, stamp, out page);

    /// <summary>Keeps a page read or stored through Redis; dropped if the article changed since <paramref name="stamp"/>.</summary>
    public void SetLocal(string localKey, LocalThreadPages.Stamp stamp, RenderedPage page) => _local.Set(localKey, stamp, page);

    public async Task<byte[]?> TryGetPageAsync(string key, CancellationToken ct) =>
        await TryAsync(async token => (byte[]?)await _redis.GetDatabase().StringGetAsync(key).WaitAsync(token), ct);

    public async Task TrySetPageAsync(string key, byte[] page, CancellationToken ct) =>
        await TryAsync(async token => await _redis.GetDatabase().StringSetAsync(key, page, _options.PageTtl).WaitAsync(token), ct);

    /// <summary>
    /// Makes every cached page of the article unreachable, in Redis and in every instance's local cache (announced in the
    /// same script as the bump). Throws when Redis is down, so the event is retried.
    /// </summary>
    public async Task InvalidateAsync(string siteId, string articleId)
    {
        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(BumpScript, [GenerationKey(siteId, articleId)],
            [
                _time.GetUtcNow().UtcTicks, (long)_options.GenerationTtl.TotalSeconds,
                ThreadInvalidations.Channel.ToString(), ThreadInvalidations.Message(siteId, articleId),
            ]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _suspect = true;
            _local.Clear();
            throw;
        }
        finally
        {
            // This instance does not wait for its own announcement.
            _local.Invalidate(siteId, articleId);
        }
    }

    private Task<RedisResult> BumpAsync(IDatabase db, string key) =>
        db.ScriptEvaluateAsync(BumpScript, [key], [_time.GetUtcNow().UtcTicks, (long)_options.GenerationTtl.TotalSeconds]);

    private async Task<T?> TryAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async token => await action(token), ct);
        }
        catch (BrokenCircuitException)
        {
            _suspect = true;
            _local.Clear();
            return default;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutRejectedException or TimeoutException or ObjectDisposedException)
        {
            _suspect = true;
            _local.Clear();
            LogRedisUnavailable(_logger, ex.GetType().Name);
            return default;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is back; cache epoch bumped so nothing cached before the outage is served")]
    private static partial void LogEpochBumped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable ({ExceptionType}); serving threads from PostgreSQL")]
    private static partial void LogRedisUnavailable(ILogger logger, string exceptionType);
}
