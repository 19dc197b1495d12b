using Comments.ServiceDefaults.Database;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Cli;

public sealed class SchemaMigratorTests
{
    [Fact]
    public async Task AFreshDatabaseGetsEveryMigrationOnceWithItsConcurrentlyBuiltIndexValidAndASecondRunAppliesNothing()
    {
        var servers = await Servers.GetAsync();
        await using var db = NpgsqlDataSource.Create(await Servers.CreateIsolatedDatabaseAsync(servers)); // migrated once there

        Assert.Empty(await SchemaMigrator.MigrateAsync(db, CancellationToken.None));
        await using var recorded = db.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal((long)SchemaMigrator.Migrations.Count, await recorded.ExecuteScalarAsync());
        await using var index = db.CreateCommand(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'comments_pending'");
        Assert.Equal(true, await index.ExecuteScalarAsync());
    }

    [Fact]
    public void ANoTransactionMigrationRunsEachStatementWithoutItsComments()
    {
        const string sql = """
            -- no transaction
            -- why; with a semicolon in the comment
            DROP INDEX CONCURRENTLY IF EXISTS x;

            CREATE INDEX CONCURRENTLY x ON t (a)
                WHERE b = 'c';
            """;

        Assert.Equal(
            ["DROP INDEX CONCURRENTLY IF EXISTS x", "CREATE INDEX CONCURRENTLY x ON t (a)\n    WHERE b = 'c'"],
            SchemaMigrator.Statements(sql.ReplaceLineEndings("\n")));
    }
}
