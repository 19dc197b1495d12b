using System.Net;
using Comments.Reader.Threads;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Comments.Reader.Tests.Threads;

/// <summary>
/// When the local page cache may be used, as the Redis connections come and go; subscribed on the real Redis, with the
/// multiplexer's connection events handed in directly (a real outage cannot restore one connection before the other).
/// </summary>
public sealed class ThreadInvalidationsTests : IAsyncLifetime
{
    private readonly LocalThreadPages _local = new(Options.Create(new ThreadCacheOptions { LocalPageTtl = TimeSpan.FromMinutes(1) }));
    private readonly string _clientName = $"invalidations-{Guid.NewGuid():N}";
    private ServerAddresses _servers = null!;
    private ConnectionMultiplexer _redis = null!;
    private ThreadInvalidations _invalidations = null!;

    public async Task InitializeAsync()
    {
        _servers = await Servers.GetAsync();
        var options = ConfigurationOptions.Parse(_servers.Redis);
        options.ClientName = _clientName;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
        _invalidations = new ThreadInvalidations(_redis, _local, NullLogger<ThreadInvalidations>.Instance);
        await ((IHostedService)_invalidations).StartAsync(CancellationToken.None);
        Assert.True(_local.Enabled);
    }

    public async Task DisposeAsync()
    {
        await ((IHostedService)_invalidations).StopAsync(CancellationToken.None);
        await _redis.DisposeAsync();
        _local.Dispose();
    }

    private ConnectionFailedEventArgs Event(ConnectionType type) =>
        new(_redis, new DnsEndPoint("localhost", 6379), type, ConnectionFailureType.SocketFailure, new IOException("test"), "test");

    [Fact]
    public void StaysOffWhenTheInteractiveConnectionIsRestoredBeforeTheSubscriptionConnection()
    {
        _invalidations.OnConnectionFailed(_redis, Event(ConnectionType.Interactive));
        _invalidations.OnConnectionFailed(_redis, Event(ConnectionType.Subscription));

        _invalidations.OnConnectionRestored(_redis, Event(ConnectionType.Interactive));

        Assert.False(_local.Enabled);
    }

    [Fact]
    public void SwitchesBackOnWhenTheSubscriptionConnectionIsRestored()
    {
        _invalidations.OnConnectionFailed(_redis, Event(ConnectionType.Subscription));

        _invalidations.OnConnectionRestored(_redis, Event(ConnectionType.Subscription));

        Assert.True(_local.Enabled);
    }

    [Fact]
    public void StaysOnWhenOnlyTheInteractiveConnectionFailsAndIsRestored()
    {
        _invalidations.OnConnectionFailed(_redis, Event(ConnectionType.Interactive));
        _invalidations.OnConnectionRestored(_redis, Event(ConnectionType.Interactive));

        Assert.True(_local.Enabled);
    }

    [Fact]
    public async Task HearsInvalidationsAgainAfterRedisDropsTheSubscriptionConnection()
    {
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                restored.TrySetResult();
            }
        };
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_servers.Redis + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        // Only this test's own subscription connection: other tests share the Redis.
        var ours = (await server.ClientListAsync()).Single(c => c.Name == _clientName && c.ClientType == ClientType.PubSub);

        await server.ExecuteAsync("CLIENT", "KILL", "ID", ours.Id);

        await restored.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_local.Enabled);
        var before = _local.Begin("site", "article");
        await Eventually.Within(TimeSpan.FromSeconds(5), async () =>
        {
            await admin.GetSubscriber().PublishAsync(ThreadInvalidations.Channel, ThreadInvalidations.Message("site", "article"));
            await Task.Delay(50);
            return _local.Begin("site", "article").Value != before.Value ? "" : null;
        }, "an invalidation heard on the restored subscription");
    }
}
