using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Comments.ServiceDefaults.Database;

public static class DatabaseExtensions
{
    /// <summary>
    /// Registers one pooled <see cref="NpgsqlDataSource"/> for <c>ConnectionStrings:postgres</c>, its health check, and the
    /// resilience pipeline (with its 503 answer) that request-path database calls go through.
    /// </summary>
    public static IHostApplicationBuilder AddCommentsDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => CreateDataSource(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres");
        builder.Services.AddDatabaseResilience();
        return builder;
    }

    public static NpgsqlDataSource CreateDataSource(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:postgres is not set (environment variable ConnectionStrings__postgres).");
        }

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // A connection string that sets either of these wins.
        if (!keys.Contains("MaxAutoPrepare"))
        {
            // The hot paths run a handful of statements over and over: prepared (after a few uses), PostgreSQL skips parsing
            // and planning them.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        if (!keys.Contains("NoResetOnClose"))
        {
            // No code leaves session state behind (no SET, LISTEN, temporary tables; the migrator unlocks its session lock
            // itself), so a connection returned to the pool needs no reset: without this, each return costs PostgreSQL
            // seven statements (prepared statements make Npgsql reset piecemeal instead of DISCARD ALL).
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        return builder.Build();
    }
}

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.", ex);
        }
    }
}
