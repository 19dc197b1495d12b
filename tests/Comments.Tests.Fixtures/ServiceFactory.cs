using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Comments.Tests.Fixtures;

/// <summary>One in-process instance of a Comments service wired to the run's real servers.</summary>
public class ServiceFactory<TEntryPoint>(ServerAddresses servers, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    public const string TestAuthorHashKey = "test-author-hash-key-0123456789abcdef";

    public ServerAddresses Servers { get; } = servers;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:postgres", Servers.Postgres);
        builder.UseSetting("ConnectionStrings:rabbitmq", Servers.RabbitMq);
        builder.UseSetting("ConnectionStrings:redis", Servers.Redis);
        builder.UseSetting("Comments:AuthorHashKey", TestAuthorHashKey);
        builder.UseSetting("Outbox:PollInterval", "00:00:00.100");
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
}
