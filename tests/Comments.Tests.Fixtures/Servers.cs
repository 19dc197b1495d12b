using Comments.ServiceDefaults.Database;
using DotNet.Testcontainers.Configurations;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace Comments.Tests.Fixtures;

/// <summary>Where the real PostgreSQL, RabbitMQ and Redis of this test run are.</summary>
public sealed record ServerAddresses(string Postgres, string RabbitMq, string Redis);

/// <summary>
/// The servers every integration test talks to: taken from <c>ConnectionStrings__postgres|rabbitmq|redis</c> (set by
/// <c>deploy/test.sh</c>), else started with Testcontainers when a Docker engine answers, else a loud failure. The schema
/// is migrated once per run. Never a mock, never skipped.
/// </summary>
public static class Servers
{
    private static readonly Lazy<Task<ServerAddresses>> Shared = new(StartAsync);

    public static Task<ServerAddresses> GetAsync() => Shared.Value;

    private static async Task<ServerAddresses> StartAsync()
    {
        var addresses = FromEnvironment() ?? await FromContainersAsync()
            ?? throw new InvalidOperationException(
                "No PostgreSQL/RabbitMQ/Redis for the integration tests: set ConnectionStrings__postgres, ConnectionStrings__rabbitmq " +
                "and ConnectionStrings__redis, or run the tests through deploy/test.sh (which starts the servers), " +
                "or make a Docker engine available for Testcontainers.");

        await using var dataSource = NpgsqlDataSource.Create(addresses.Postgres);
        await SchemaMigrator.MigrateAsync(dataSource, CancellationToken.None);
        return addresses;
    }

    private static ServerAddresses? FromEnvironment()
    {
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__postgres");
        var rabbit = Environment.GetEnvironmentVariable("ConnectionStrings__rabbitmq");
        var redis = Environment.GetEnvironmentVariable("ConnectionStrings__redis");
        if (string.IsNullOrWhiteSpace(postgres) && string.IsNullOrWhiteSpace(rabbit) && string.IsNullOrWhiteSpace(redis))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(postgres) || string.IsNullOrWhiteSpace(rabbit) || string.IsNullOrWhiteSpace(redis))
        {
            throw new InvalidOperationException("Set all three of ConnectionStrings__postgres, __rabbitmq and __redis, or none.");
        }

        return new ServerAddresses(postgres, rabbit, redis);
    }

    private static async Task<ServerAddresses?> FromContainersAsync()
    {
        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is null)
        {
            return null;
        }

        var postgres = new PostgreSqlBuilder("postgres:15").Build();
        var rabbit = new RabbitMqBuilder("rabbitmq:3.13").Build();
        var redis = new RedisBuilder("redis:7").Build();
        await Task.WhenAll(postgres.StartAsync(), rabbit.StartAsync(), redis.StartAsync());
        // Containers live for the test run; Testcontainers' resource reaper removes them afterwards.
        return new ServerAddresses(postgres.GetConnectionString(), rabbit.GetConnectionString(), redis.GetConnectionString());
    }

    /// <summary>A fresh, migrated database of its own, for tests that must not see other tests' rows (the outbox).</summary>
    public static async Task<string> CreateIsolatedDatabaseAsync(ServerAddresses servers)
    {
        var name = "iso_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(servers.Postgres))
        {
            await using var command = admin.CreateCommand($"CREATE DATABASE {name}");
            await command.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(servers.Postgres) { Database = name }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await SchemaMigrator.MigrateAsync(dataSource, CancellationToken.None);
        return connectionString;
    }
}
