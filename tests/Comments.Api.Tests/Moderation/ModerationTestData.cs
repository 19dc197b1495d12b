using System.Net.Http.Headers;
using System.Text.Json;
using Comments.Api.Moderation;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Moderation;

/// <summary>Rows a moderation test starts from, written straight to the database: each test owns its site, comments and tokens.</summary>
public static class ModerationTestData
{
    public static async Task<string> TokenAsync(NpgsqlDataSource db, params string[] sites) =>
        (await ModeratorTokens.CreateAsync(db, "Mod " + Guid.NewGuid().ToString("N")[..6], sites, DateTimeOffset.UtcNow, CancellationToken.None))!.Token;

    public static HttpClient WithToken(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<Guid> CommentAsync(
        NpgsqlDataSource db, string site, string status, string article = "story", string? authorKey = null,
        string scoresJson = "{}", string body = "A comment", DateTimeOffset? createdAt = null, string reasonsJson = "[]",
        string? userId = null)
    {
        var id = Guid.CreateVersion7();
        await using var command = db.CreateCommand(
            """
            INSERT INTO articles (site_id, id, title) VALUES (@site, @article, 'Title of ' || @article) ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, author_email_hash, author_user_id, body, status, scores, reasons, created_at)
            VALUES (@id, @site, @article, 'Reader', @key, @user, @body, @status, @scores::jsonb, @reasons::jsonb, @at);
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", site);
        command.Parameters.AddWithValue("article", article);
        command.Parameters.AddWithValue("key", (object?)authorKey ?? DBNull.Value);
        command.Parameters.AddWithValue("user", (object?)userId ?? DBNull.Value);
        command.Parameters.AddWithValue("body", body);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("scores", scoresJson);
        command.Parameters.AddWithValue("reasons", reasonsJson);
        command.Parameters.AddWithValue("at", createdAt ?? DateTimeOffset.UtcNow);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public static Task<string?> StatusAsync(NpgsqlDataSource db, Guid id) => TestComments.StatusAsync(db, id);

    /// <summary>The statuses announced for a comment by CommentsModerated outbox messages, oldest first.</summary>
    public static async Task<List<string>> ModeratedEventsAsync(NpgsqlDataSource db, Guid id)
    {
        await using var command = db.CreateCommand(
            $"SELECT item->>'status' FROM {OutboxItems.Relation} WHERE message_type = 'Comments.Contracts.CommentsModerated' AND item->>'commentId' = @id ORDER BY id");
        command.Parameters.AddWithValue("id", id.ToString());
        var statuses = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            statuses.Add(reader.GetString(0));
        }

        return statuses;
    }

    /// <summary>The audit rows of a site as "action before→after reason", oldest first.</summary>
    public static async Task<List<string>> AuditAsync(NpgsqlDataSource db, string site)
    {
        await using var command = db.CreateCommand(
            "SELECT action || ' ' || coalesce(before_status, '-') || '>' || coalesce(after_status, '-') || ' ' || coalesce(reason, '-') FROM moderation_audit WHERE site_id = @site ORDER BY id");
        command.Parameters.AddWithValue("site", site);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync());
}

/// <summary>An Api host, a client, a database handle and a fresh site with a moderator token, per test.</summary>
public abstract class ModerationTestBase : IAsyncLifetime
{
    protected ServiceFactory<ApiEntryPoint> Api { get; private set; } = null!;
    protected HttpClient Client { get; private set; } = null!;
    protected NpgsqlDataSource Db { get; private set; } = null!;
    protected string Site { get; private set; } = null!;
    protected string Token { get; private set; } = null!;
    protected ServerAddresses Servers { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        Servers = await global::Comments.Tests.Fixtures.Servers.GetAsync();
        Api = new ServiceFactory<ApiEntryPoint>(Servers, Settings);
        Db = NpgsqlDataSource.Create(Servers.Postgres);
        Site = await TestSites.CreateAsync(Servers);
        Token = await ModerationTestData.TokenAsync(Db, Site);
        Client = Api.CreateClient().WithToken(Token);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        await Db.DisposeAsync();
    }

    protected string Url(string path) => $"/api/v1/sites/{Site}/moderation/{path}";
}
