using System.Diagnostics;
using Comments.Reader.Live;
using Comments.Reader.Threads;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Comments.Reader.Tests.Threads;

/// <summary>Stopping a Reader whose Redis is unreachable, so the subscriptions are still being retried.</summary>
public sealed class StopWhileRedisIsDownTests : IAsyncLifetime
{
    // Below the 1 s retry pause plus a subscribe attempt (seconds with this configuration) that a stop used to wait for,
    // and far above any scheduling delay: a bound that tells "stop cancels the retry loop" from "stop waits for the
    // attempt", not a speed goal.
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);
    private readonly LocalThreadPages _local = new(Options.Create(new ThreadCacheOptions()));
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        // Nothing listens on port 1: every subscribe attempt waits out the (long) async timeout before it fails.
        var options = ConfigurationOptions.Parse("127.0.0.1:1");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 500;
        options.AsyncTimeout = 20_000;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        _local.Dispose();
    }

    private static async Task<TimeSpan> StartThenStopAsync(IHostedService service)
    {
        await service.StartAsync(CancellationToken.None);
        var watch = Stopwatch.StartNew();
        await service.StopAsync(CancellationToken.None);
        return watch.Elapsed;
    }

    [Fact]
    public async Task ThreadInvalidationsStopPromptlyWhileRetrying()
    {
        var invalidations = new ThreadInvalidations(_redis, _local, NullLogger<ThreadInvalidations>.Instance);

        Assert.InRange(await StartThenStopAsync(invalidations), TimeSpan.Zero, Prompt);
    }

    [Fact]
    public async Task LiveEventsStopPromptlyWhileRetrying()
    {
        var live = new LiveEvents(_redis, _local, NullLogger<LiveEvents>.Instance);

        Assert.InRange(await StartThenStopAsync(live), TimeSpan.Zero, Prompt);
    }
}
