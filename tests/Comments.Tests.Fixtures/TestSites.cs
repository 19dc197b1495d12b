using Npgsql;

namespace Comments.Tests.Fixtures;

/// <summary>Each test owns its data: a site with a unique id, so tests never see each other's comments.</summary>
public static class TestSites
{
    // Rate limits off: tests submit many comments quickly; the limit tests set their own. Model thresholds at 1: tests of
    // the pipeline, widget and moderation flow decide by the word lists, so a retrained model cannot flip them; the
    // models' own decisions are tested with the site defaults (MlDecisionTests, tests/Comments.Moderation.Tests/Ml).
    public const string DefaultPolicy = """
        {"mode":"auto","bannedWords":["idiot","moron"],"suspectWords":["crypto"],"maxLinks":2,
         "rateLimit":{"perClientSeconds":0,"perAuthorSeconds":0},
         "thresholds":{"toxicityHold":1,"toxicityReject":1,"spamHold":1,"spamReject":1}}
        """;

    public static async Task<string> CreateAsync(
        ServerAddresses servers, string policyJson = DefaultPolicy, bool autoCreateArticles = true, string? connectionString = null)
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..16];
        await using var dataSource = NpgsqlDataSource.Create(connectionString ?? servers.Postgres);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO sites (id, name, auto_create_articles, policy) VALUES (@id, @name, @auto, @policy::jsonb)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("name", "Test site " + id);
        command.Parameters.AddWithValue("auto", autoCreateArticles);
        command.Parameters.AddWithValue("policy", policyJson);
        await command.ExecuteNonQueryAsync();
        return id;
    }
}
