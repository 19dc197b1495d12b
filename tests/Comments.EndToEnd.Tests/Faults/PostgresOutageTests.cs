using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Comments.Api;
using Comments.ServiceDefaults.Database;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>PostgreSQL stopped under the Api: quick 503s, nothing half-written, and recovery without a restart.</summary>
[Collection(RunsAlone.Name)]
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task AnswersServiceUnavailableQuicklyAndRecoversByItselfWhenPostgresReturns()
    {
        var shared = await Servers.GetAsync();
        await using var own = await OwnServers.StartAsync(postgres: true);
        var servers = shared with { Postgres = own.Postgres };
        await using (var db = NpgsqlDataSource.Create(own.Postgres))
        {
            await SchemaMigrator.MigrateAsync(db, CancellationToken.None);
        }

        var site = await TestSites.CreateAsync(servers, connectionString: own.Postgres);
        await using var api = new ServiceFactory<ApiEntryPoint>(servers);
        using var client = api.CreateClient();
        var url = $"/api/v1/sites/{site}/articles/outage/comments";
        var before = await client.PostAsJsonAsync(url, new { authorName = "A", body = "before" });
        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);

        await own.StopPostgresAsync();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 10; i++)
        {
            var clock = Stopwatch.StartNew();
            var response = await client.PostAsJsonAsync(url, new { authorName = "A", body = $"during {i}" });
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        await own.StartPostgresAsync();
        var recovered = await Eventually.Within(TimeSpan.FromSeconds(15), async () =>
        {
            var response = await client.PostAsJsonAsync(url, new { authorName = "A", body = "after" });
            return response.StatusCode == HttpStatusCode.Accepted ? response : null;
        }, "the Api accepts comments again");

        Assert.True(slowest < TimeSpan.FromSeconds(2), $"slowest 503 took {slowest}");
        Assert.Equal(HttpStatusCode.Accepted, recovered.StatusCode);
        await using var check = NpgsqlDataSource.Create(own.Postgres);
        await using var command = check.CreateCommand(
            $"SELECT (SELECT count(*) FROM comments WHERE body LIKE 'during%'), (SELECT count(*) FROM comments), (SELECT count(*) FROM {OutboxItems.Relation})");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(0, reader.GetInt64(0));
        Assert.Equal(reader.GetInt64(1), reader.GetInt64(2)); // every stored comment is in a message, once
    }
}
