using System.Reflection;
using Npgsql;

namespace Comments.ServiceDefaults.Database;

/// <summary>
/// Applies the SQL files of <c>deploy/schema</c> (embedded in this assembly) in name order, each once, each in its own
/// transaction. An advisory lock serialises concurrent runs, so two instances migrating at once are safe.
/// </summary>
public static class SchemaMigrator
{
    private const long AdvisoryLockKey = 0x436F6D6D656E7473; // "Comments"
    private const string ResourcePrefix = "schema.";

    public static IReadOnlyList<string> Migrations { get; } = typeof(SchemaMigrator).Assembly
        .GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <returns>The names of the migrations this run applied.</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await Execute(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await Execute(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name       text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);

            var applied = new List<string>();
            foreach (var resource in Migrations)
            {
                var name = resource[ResourcePrefix.Length..];
                var sql = ReadResource(resource);
                if (sql.StartsWith(NoTransactionMarker, StringComparison.Ordinal))
                {
                    if (!await IsAppliedAsync(connection, null, name, cancellationToken))
                    {
                        foreach (var statement in Statements(sql))
                        {
                            await Execute(connection, null, statement, cancellationToken);
                        }

                        await RecordAsync(connection, null, name, cancellationToken);
                        applied.Add(name);
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                if (await IsAppliedAsync(connection, transaction, name, cancellationToken))
                {
                    continue;
                }

                await Execute(connection, transaction, sql, cancellationToken);
                await RecordAsync(connection, transaction, name, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                applied.Add(name);
            }

            return applied;
        }
        finally
        {
            await Execute(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>
    /// The first line of a migration that must run outside a transaction (<c>CREATE INDEX CONCURRENTLY</c>, which builds an
    /// index without blocking writes to a large table). Its statements run one by one, so it must be safe to run again
    /// after failing part-way (drop what a failed run may have left first).
    /// </summary>
    public const string NoTransactionMarker = "-- no transaction";

    /// <summary>The statements of a no-transaction migration: its lines without comments, split at each ';'.</summary>
    public static IEnumerable<string> Statements(string sql) =>
        string.Join('\n', sql.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal)))
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<bool> IsAppliedAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT 1 FROM schema_migrations WHERE name = @name", connection, transaction);
        check.Parameters.AddWithValue("name", name);
        return await check.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (name) VALUES (@name)", connection, transaction);
        record.Parameters.AddWithValue("name", name);
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Migration resource {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
