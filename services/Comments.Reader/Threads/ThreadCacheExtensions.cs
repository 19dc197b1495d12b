using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Comments.Reader.Threads;

public static class ThreadCacheExtensions
{
    public static IHostApplicationBuilder AddThreadCache(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ThreadCacheOptions>()
            .BindConfiguration(ThreadCacheOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp => Connect(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<LocalThreadPages>();
        builder.Services.AddSingleton<ThreadCache>();
        builder.Services.AddHostedService<ThreadInvalidations>();
        builder.Services.AddHostedService<RedisConnector>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded);
        return builder;
    }

    private static ConnectionMultiplexer Connect(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("redis");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:redis is not set (environment variable ConnectionStrings__redis).");
        }

        var options = ConfigurationOptions.Parse(connectionString);
        // Start and keep running while Redis is away: reads fall back to PostgreSQL and the multiplexer reconnects.
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = 1000;
        options.SyncTimeout = 1000;
        return ConnectionMultiplexer.Connect(options);
    }
}

/// <summary>Connects at start-up rather than on the first request, so the first reader does not pay for it.</summary>
internal sealed class RedisConnector(IConnectionMultiplexer redis) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult(redis.IsConnected);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Degraded, not unhealthy: the Reader still serves threads from PostgreSQL.
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis is unreachable; serving from PostgreSQL.", ex);
        }
    }
}
