using Comments.Moderation.Cli;
using Comments.Moderation.Ml;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Comments.Moderation.Tests.Ml;

/// <summary>A site's moderator decisions exported from the real database and read back as training rows.</summary>
public sealed class SiteDecisionsTests : IAsyncLifetime
{
    private const string TrickyBody = "Line one, with a comma and \"quotes\"\nline two";

    private readonly string directory = Path.Combine(Path.GetTempPath(), "decisions-" + Guid.NewGuid().ToString("N"));
    private ServerAddresses servers = null!;
    private NpgsqlDataSource db = null!;
    private string site = null!;
    private Guid moderator;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        servers = await Servers.GetAsync();
        db = NpgsqlDataSource.Create(servers.Postgres);
        site = await TestSites.CreateAsync(servers);
        moderator = Guid.NewGuid();
        await using var command = db.CreateCommand(
            """
            INSERT INTO moderators (id, name, token_hash, created_at) VALUES (@id, 'Export moderator', @hash, now());
            INSERT INTO articles (site_id, id) VALUES (@site, 'story');
            """);
        command.Parameters.AddWithValue("id", moderator);
        command.Parameters.AddWithValue("hash", Guid.NewGuid().ToByteArray());
        command.Parameters.AddWithValue("site", site);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await db.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    private async Task<Guid> Comment(string body, string status, params (bool ByModerator, string Action, string? Reason, string After)[] history)
    {
        var id = Guid.CreateVersion7();
        await using var connection = await db.OpenConnectionAsync();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at, decided_at)
            VALUES (@id, @site, 'story', 'Reader', @body, @status, now(), now())
            """, connection))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("site", site);
            insert.Parameters.AddWithValue("body", body);
            insert.Parameters.AddWithValue("status", status);
            await insert.ExecuteNonQueryAsync();
        }
        var at = DateTimeOffset.UtcNow.AddMinutes(-history.Length);
        foreach (var (byModerator, action, reason, after) in history)
        {
            await using var audit = new NpgsqlCommand(
                """
                INSERT INTO moderation_audit (site_id, moderator_id, actor, action, comment_id, reason, before_status, after_status, created_at)
                VALUES (@site, @moderator, @actor, @action, @comment, @reason, 'held', @after, @at)
                """, connection);
            audit.Parameters.AddWithValue("site", site);
            audit.Parameters.AddWithValue("moderator", byModerator ? moderator : DBNull.Value);
            audit.Parameters.AddWithValue("actor", byModerator ? "Export moderator" : "readers' reports");
            audit.Parameters.AddWithValue("action", action);
            audit.Parameters.AddWithValue("comment", id);
            audit.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
            audit.Parameters.AddWithValue("after", after);
            audit.Parameters.AddWithValue("at", at);
            at = at.AddMinutes(1);
            await audit.ExecuteNonQueryAsync();
        }
        return id;
    }

    private IConfiguration Configuration(string connectionString) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:postgres"] = connectionString }).Build();

    private async Task<(int Exit, string Output)> Export(string path, params string[] extra)
    {
        using var output = new StringWriter();
        var exit = await ExportDecisionsCommand.RunAsync(
            CommandOptions.Parse(["--output", path, "--site", site, .. extra]), Configuration(servers.Postgres), output, CancellationToken.None);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task ExportsEachModeratorsLatestDecisionWithTheLabelsItAsserts()
    {
        var approved = await Comment(TrickyBody, "approved", (true, "approve", null, "approved"));
        var toxic = await Comment("You are vermin.", "rejected", (true, "reject", "toxic", "rejected"));
        var spam = await Comment("Cheap pills at example.test", "rejected", (true, "reject", "spam", "rejected"));
        var changedMind = await Comment("Approved first, then rejected.", "rejected",
            (true, "approve", null, "approved"), (true, "reject", "toxic", "rejected"));
        await Comment("Off topic.", "rejected", (true, "reject", "off_topic", "rejected"));
        await Comment("Banned author's comment.", "rejected", (true, "reject", "author_banned", "rejected"));
        await Comment("The worker approved this alone.", "approved");
        await Comment("Approved, then pulled by reports.", "held", (true, "approve", null, "approved"), (false, "pull_reported", null, "held"));
        var path = Path.Combine(directory, "decisions.csv");

        var (exit, output) = await Export(path);

        Assert.Equal(0, exit);
        Assert.Contains("wrote 4 moderator decisions", output, StringComparison.Ordinal);
        Assert.Contains("2 left out", output, StringComparison.Ordinal);
        Assert.DoesNotContain("vermin", output, StringComparison.Ordinal);
        var table = Csv.ReadTable(path);
        Assert.Equal(SiteDecisions.Columns, table.Header);
        var rows = table.Rows.ToDictionary(r => Guid.Parse(r[table.Column("CommentId")]), r => (Text: r[0], Toxic: r[1], Spam: r[2]));
        Assert.Equal(new[] { approved, toxic, spam, changedMind }.Order(), rows.Keys.Order());
        Assert.Equal((TrickyBody, "0", "0"), rows[approved]);
        Assert.Equal(("You are vermin.", "1", ""), rows[toxic]);
        Assert.Equal(("Cheap pills at example.test", "", "1"), rows[spam]);
        Assert.Equal(("1", ""), (rows[changedMind].Toxic, rows[changedMind].Spam));
        Assert.Equal([path], Directory.GetFiles(directory));
    }

    [Fact]
    public async Task ExportsOnlyTheGivenSitesAndDecisionsSinceTheGivenTime()
    {
        // Decided a minute ago (the comment itself is created now, so a filter on the wrong time would differ).
        await Comment("A decision a minute old.", "approved", (true, "approve", null, "approved"));
        var twoMinutesAgo = DateTimeOffset.UtcNow.AddMinutes(-2).ToOffset(TimeSpan.FromHours(2)).ToString("O");
        var thirtySecondsAgo = DateTimeOffset.UtcNow.AddSeconds(-30).ToString("O");

        var (exit, output) = await Export(Path.Combine(directory, "after.csv"), "--since", twoMinutesAgo);
        var (laterExit, laterOutput) = await Export(Path.Combine(directory, "later.csv"), "--since", thirtySecondsAgo);
        var (otherExit, otherOutput) = await Export(Path.Combine(directory, "other.csv"), "--site", "no-such-site");

        Assert.Equal((0, 0, 0), (exit, laterExit, otherExit));
        Assert.Contains("wrote 1 moderator decisions", output, StringComparison.Ordinal);
        Assert.Contains("wrote 0 moderator decisions", laterOutput, StringComparison.Ordinal);
        Assert.Contains("wrote 0 moderator decisions", otherOutput, StringComparison.Ordinal);
        Assert.Empty(Csv.ReadTable(Path.Combine(directory, "later.csv")).Rows);
    }

    [Fact]
    public async Task WithoutASiteEverySitesDecisionsAreExported()
    {
        var ours = await Comment("Ours.", "rejected", (true, "reject", "spam", "rejected"));
        var path = Path.Combine(directory, "all.csv");
        using var output = new StringWriter();

        var exit = await ExportDecisionsCommand.RunAsync(
            CommandOptions.Parse(["--output", path]), Configuration(servers.Postgres), output, CancellationToken.None);

        Assert.Equal(0, exit);
        var table = Csv.ReadTable(path);
        Assert.Contains(table.Rows, r => r[table.Column("CommentId")] == ours.ToString() && r[table.Column("Site")] == site);
    }

    [Fact]
    public async Task AFailedExportLeavesNoFileBehind()
    {
        var path = Path.Combine(directory, "failed.csv");
        var unreachable = new NpgsqlConnectionStringBuilder(servers.Postgres) { Port = 1, Timeout = 2 }.ConnectionString;

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExportDecisionsCommand.RunAsync(
            CommandOptions.Parse(["--output", path]), Configuration(unreachable), TextWriter.Null, CancellationToken.None));

        Assert.Empty(Directory.GetFiles(directory));
    }

    [Fact]
    public async Task ACancelledExportLeavesNoFileBehind()
    {
        await Comment("A decision.", "approved", (true, "approve", null, "approved"));
        var path = Path.Combine(directory, "cancelled.csv");
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ExportDecisionsCommand.RunAsync(
            CommandOptions.Parse(["--output", path, "--site", site]), Configuration(servers.Postgres), TextWriter.Null, cancel.Token));

        Assert.Empty(Directory.GetFiles(directory));
    }

    [Theory]
    [InlineData("--output", "x.csv", "--sites", "a")]
    [InlineData("--site", "a")]
    [InlineData("--output", "x.csv", "--since", "last tuesday")]
    public async Task BadOptionsAreRefusedBeforeTheDatabaseIsRead(params string[] args)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ExportDecisionsCommand.RunAsync(
            CommandOptions.Parse(args), Configuration("Host=127.0.0.1;Port=1"), TextWriter.Null, CancellationToken.None));
    }
}
