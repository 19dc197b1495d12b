using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Comments.Tests.Fixtures;

/// <summary>One in-process instance of a Comments service wired to the run's real servers.</summary>
public class ServiceFactory<TEntryPoint>(ServerAddresses servers, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    public const string TestAuthorHashKey = "test-author-hash-key-0123456789abcdef";

    /// <summary>
    /// Workers in tests do not send old pending comments to moderation again: the shared test database holds pending
    /// comments other tests keep undecided on purpose (a broken site policy, a thread's pending reply). PendingResendTests
    /// turn it on, on a database of their own.
    /// </summary>
    public const string NoPendingResends = "0";

    public ServerAddresses Servers { get; } = servers;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:postgres", Servers.Postgres);
        builder.UseSetting("ConnectionStrings:rabbitmq", Servers.RabbitMq);
        builder.UseSetting("ConnectionStrings:redis", Servers.Redis);
        builder.UseSetting("Comments:AuthorHashKey", TestAuthorHashKey);
        builder.UseSetting("Outbox:PollInterval", "00:00:00.100");
        builder.UseSetting("Moderation:ResendPending:Limit", NoPendingResends);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Starts the host (and so its consumers and dispatcher) without sending a request.</summary>
    public ServiceFactory<TEntryPoint> Started()
    {
        _ = Services;
        return this;
    }

    /// <summary>
    /// Starts the host and waits until its bus is healthy (its consumers receiving), so the time a test allows for a
    /// message to be handled is not spent on the service's start. (A message published before that waits in the queue
    /// every bus declares: NewBrokerTests.)
    /// </summary>
    public async Task<ServiceFactory<TEntryPoint>> StartedAndConsumingAsync()
    {
        var bus = Started().Services.GetRequiredService<IBusControl>();
        var health = await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        return health == BusHealthStatus.Healthy
            ? this
            : throw new InvalidOperationException($"{typeof(TEntryPoint).Name}'s bus is {health} 30 s after start.");
    }
}
