using Comments.Api.Authors;
using Comments.Api.Cli;
using Comments.Api.Moderation;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Cli;

/// <summary><c>admin create-site</c> and <c>admin create-moderator</c> against the real database.</summary>
public sealed class AdminCommandsTests : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public async Task InitializeAsync() => _db = NpgsqlDataSource.Create((await Servers.GetAsync()).Postgres);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task<int> Run(params string[] args) => AdminCommands.RunAsync(args, _db, _out, _error, TimeProvider.System, CancellationToken.None);

    private static string NewSiteId() => "cli-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task CreateSiteStoresTheSiteWithItsOrigins()
    {
        var id = NewSiteId();

        var exit = await Run("create-site", id, "--origin", "https://news.example.org/", "--origin", "http://127.0.0.1:5081", "--name", "News");

        Assert.Equal(0, exit);
        await using var command = _db.CreateCommand("SELECT name, allowed_origins FROM sites WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("News", reader.GetString(0));
        Assert.Equal(["https://news.example.org", "http://127.0.0.1:5081"], reader.GetFieldValue<string[]>(1));
    }

    [Fact]
    public async Task CreateSiteRefusesAnExistingSite()
    {
        var id = NewSiteId();
        await Run("create-site", id, "--origin", "https://a.example");

        Assert.Equal(1, await Run("create-site", id, "--origin", "https://b.example"));
    }

    [Fact]
    public async Task CreateSiteRefusesSomethingThatIsNotAnOrigin()
    {
        Assert.Equal(2, await Run("create-site", NewSiteId(), "--origin", "https://a.example/path"));
    }

    [Fact]
    public async Task CreateModeratorPrintsAWorkingTokenAloneOnTheLastLine()
    {
        var site = NewSiteId();
        await Run("create-site", site, "--origin", "https://a.example");

        var exit = await Run("create-moderator", "--site", site, "--name", "Alice");

        Assert.Equal(0, exit);
        var token = _out.ToString().TrimEnd().Split('\n')[^1];
        Assert.StartsWith(ModeratorTokens.Prefix, token, StringComparison.Ordinal);
        await using var command = _db.CreateCommand(
            "SELECT ms.site_id FROM moderators m JOIN moderator_sites ms ON ms.moderator_id = m.id WHERE m.token_hash = @hash");
        command.Parameters.AddWithValue("hash", ModeratorTokens.Hash(token));
        Assert.Equal(site, (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CreateModeratorStoresOnlyTheTokensHash()
    {
        var site = NewSiteId();
        await Run("create-site", site, "--origin", "https://a.example");
        await Run("create-moderator", "--site", site, "--name", "Alice");
        var token = _out.ToString().TrimEnd().Split('\n')[^1];

        await using var command = _db.CreateCommand("SELECT count(*) FROM moderators WHERE encode(token_hash, 'escape') LIKE '%' || @token || '%'");
        command.Parameters.AddWithValue("token", token);

        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CreateModeratorScopesTheTokenToEverySiteGiven()
    {
        var first = NewSiteId();
        var second = NewSiteId();
        await Run("create-site", first, "--origin", "https://a.example");
        await Run("create-site", second, "--origin", "https://b.example");

        await Run("create-moderator", "--site", first, "--site", second, "--name", "Bob");

        var token = _out.ToString().TrimEnd().Split('\n')[^1];
        await using var command = _db.CreateCommand(
            "SELECT array_agg(ms.site_id ORDER BY ms.site_id) FROM moderators m JOIN moderator_sites ms ON ms.moderator_id = m.id WHERE m.token_hash = @hash");
        command.Parameters.AddWithValue("hash", ModeratorTokens.Hash(token));
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), (string[])(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task CreateModeratorForAnUnknownSiteFailsAndCreatesNothing()
    {
        var exit = await Run("create-moderator", "--site", "no-such-site-" + Guid.NewGuid().ToString("N")[..6], "--name", "Eve");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, _out.ToString());
    }

    private async Task<string> NewSite()
    {
        var site = NewSiteId();
        await Run("create-site", site, "--origin", "https://a.example");
        return site;
    }

    private string LastLine() => _out.ToString().TrimEnd().Split('\n')[^1];

    private Task<int> RunWithToken(string? token, params string[] args) => AdminCommands.RunAsync(
        args, _db, _out, _error, TimeProvider.System, name => name == AdminCommands.ModeratorTokenVariable ? token : null, CancellationToken.None);

    [Fact]
    public async Task EnsureModeratorCreatesTheModeratorOnceAndThenReusesIt()
    {
        var site = await NewSite();
        var token = ModeratorTokens.NewToken();

        Assert.Equal(0, await RunWithToken(token, "ensure-moderator", "--site", site, "--name", "Demo moderator"));
        Assert.Equal(0, await RunWithToken(token, "ensure-moderator", "--site", site, "--name", "Demo moderator"));

        Assert.Equal(token, LastLine());
        await using var command = _db.CreateCommand(
            "SELECT count(*) FROM moderators m JOIN moderator_sites ms ON ms.moderator_id = m.id WHERE m.token_hash = @hash AND ms.site_id = @site");
        command.Parameters.AddWithValue("hash", ModeratorTokens.Hash(token));
        command.Parameters.AddWithValue("site", site);
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("cmod_short")]
    [InlineData("password-password-password-password-password-pass")]
    public async Task EnsureModeratorRefusesAMissingOrWeakToken(string? token)
    {
        var site = await NewSite();

        Assert.Equal(2, await RunWithToken(token, "ensure-moderator", "--site", site, "--name", "Demo moderator"));
        Assert.Contains(AdminCommands.ModeratorTokenVariable, _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateSiteKeyPrintsAWorkingKeyAloneOnTheLastLine()
    {
        var site = await NewSite();

        var exit = await Run("create-site-key", "--site", site, "--name", "CMS backend");

        Assert.Equal(0, exit);
        var key = LastLine();
        Assert.Matches("^csk_[A-Za-z0-9_-]{43}$", key);
        Assert.Equal(site, await SiteKeys.SiteOfAsync(_db, key, CancellationToken.None));
    }

    [Fact]
    public async Task CreateSiteKeyStoresOnlyTheKeysHash()
    {
        var site = await NewSite();
        await Run("create-site-key", "--site", site);

        await using var command = _db.CreateCommand(
            "SELECT count(*) FROM site_keys WHERE site_id = @site AND (encode(key_hash, 'escape') LIKE '%' || @key || '%' OR name = @key)");
        command.Parameters.AddWithValue("site", site);
        command.Parameters.AddWithValue("key", LastLine());
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CreateSiteKeyForAnUnknownSiteFailsAndPrintsNoKey()
    {
        Assert.Equal(1, await Run("create-site-key", "--site", "no-such-site-" + Guid.NewGuid().ToString("N")[..6]));
        Assert.Equal(string.Empty, _out.ToString().Split('\n').Skip(1).FirstOrDefault() ?? string.Empty);
    }

    [Fact]
    public async Task RevokeSiteKeyStopsTheKeyAndListSiteKeysShowsIt()
    {
        var site = await NewSite();
        await Run("create-site-key", "--site", site);
        var key = LastLine();
        var id = (await SiteKeys.ListAsync(_db, site, CancellationToken.None)).Single().Id;

        Assert.Equal(0, await Run("revoke-site-key", "--site", site, "--key-id", id.ToString()));
        Assert.Null(await SiteKeys.SiteOfAsync(_db, key, CancellationToken.None));
        Assert.Equal(1, await Run("revoke-site-key", "--site", site, "--key-id", id.ToString()));
        Assert.Equal(0, await Run("list-site-keys", "--site", site));
        Assert.Contains("revoked", LastLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetSsoSecretPrintsANewSecretAloneOnTheLastLineEachTime()
    {
        var site = await NewSite();

        Assert.Equal(0, await Run("set-sso-secret", "--site", site));
        var first = LastLine();
        Assert.Equal(0, await Run("set-sso-secret", "--site", site));
        var second = LastLine();

        Assert.StartsWith(SsoTokens.SecretPrefix, second, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(second), await SsoTokens.SecretOfAsync(_db, site, CancellationToken.None));
    }

    [Fact]
    public async Task SetSsoSecretForAnUnknownSiteFails()
    {
        Assert.Equal(1, await Run("set-sso-secret", "--site", "no-such-site-" + Guid.NewGuid().ToString("N")[..6]));
    }

    [Theory]
    [InlineData("create-site-key", "--name", "NoSite")]
    [InlineData("revoke-site-key", "--site", "x")]
    [InlineData("set-sso-secret")]
    [InlineData("create-moderator", "--name", "NoSite")]
    [InlineData("create-site", "--origin", "https://a.example")]
    [InlineData("delete-everything")]
    public async Task AnIncompleteCommandPrintsTheUsage(params string[] args)
    {
        Assert.Equal(2, await Run(args));
        Assert.Contains("Usage", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheAdminVerbIsAnOperatorCommandNotAWebStart()
    {
        Assert.True(CommandLine.IsCommand(["admin", "create-site", "x"]));
    }
}
