using System.Text.RegularExpressions;
using Comments.Api.Authors;
using Comments.Api.Moderation;
using Npgsql;

namespace Comments.Api.Cli;

/// <summary>
/// <c>admin create-site &lt;id&gt; --origin &lt;url&gt; [--origin &lt;url&gt;] [--name &lt;name&gt;]</c> and
/// <c>admin create-moderator --site &lt;id&gt; [--site &lt;id&gt;] --name &lt;name&gt;</c>, which prints the token once, alone on the
/// last line, so scripts can capture it with <c>tail -n 1</c>; likewise <c>create-site-key</c> and <c>set-sso-secret</c>.
/// </summary>
public static partial class AdminCommands
{
    public const string Usage =
        "Usage: Comments.Api admin create-site <id> --origin <url> [--origin <url>] [--name <name>]\n" +
        "       Comments.Api admin create-moderator --site <id> [--site <id>] --name <name>\n" +
        "       COMMENTS_MODERATOR_TOKEN=<token> Comments.Api admin ensure-moderator --site <id> [--site <id>] --name <name>\n" +
        "       Comments.Api admin create-site-key --site <id> [--name <name>]\n" +
        "       Comments.Api admin list-site-keys --site <id>\n" +
        "       Comments.Api admin revoke-site-key --site <id> --key-id <id>\n" +
        "       Comments.Api admin set-sso-secret --site <id>\n" +
        "       Comments.Api admin redrive --queue <queue>";

    /// <summary>The variable <c>ensure-moderator</c> reads its token from (never an argument: those show in process lists).</summary>
    public const string ModeratorTokenVariable = "COMMENTS_MODERATOR_TOKEN";

    /// <returns>The process exit code: 0 done, 1 refused (e.g. unknown site), 2 usage error.</returns>
    public static Task<int> RunAsync(
        string[] args, NpgsqlDataSource dataSource, TextWriter output, TextWriter error, TimeProvider time,
        CancellationToken cancellationToken) =>
        RunAsync(args, dataSource, output, error, time, Environment.GetEnvironmentVariable, cancellationToken);

    public static async Task<int> RunAsync(
        string[] args, NpgsqlDataSource dataSource, TextWriter output, TextWriter error, TimeProvider time,
        Func<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        switch (args)
        {
            case ["create-site", var id, .. var rest] when !id.StartsWith("--", StringComparison.Ordinal)
                && Options(rest, ["--origin", "--name"]) is { } options && options.TryGetValue("--origin", out var origins):
                return await CreateSiteAsync(dataSource, id, origins, options.GetValueOrDefault("--name")?[^1], output, error, time, cancellationToken);
            case ["create-moderator", .. var rest] when Options(rest, ["--site", "--name"]) is { } options
                && options.TryGetValue("--site", out var sites) && options.TryGetValue("--name", out var names):
                return await CreateModeratorAsync(dataSource, sites, names[^1], output, error, time, cancellationToken);
            case ["ensure-moderator", .. var rest] when Options(rest, ["--site", "--name"]) is { } options
                && options.TryGetValue("--site", out var sites) && options.TryGetValue("--name", out var names):
                return await EnsureModeratorAsync(dataSource, sites, names[^1], environment(ModeratorTokenVariable), output, error, time, cancellationToken);
            case ["create-site-key", .. var rest] when Options(rest, ["--site", "--name"]) is { } options
                && options.TryGetValue("--site", out var sites) && sites.Count == 1:
                return await CreateSiteKeyAsync(dataSource, sites[0], options.GetValueOrDefault("--name")?[^1], output, error, time, cancellationToken);
            case ["list-site-keys", "--site", var site]:
                return await ListSiteKeysAsync(dataSource, site, output, cancellationToken);
            case ["revoke-site-key", .. var rest] when Options(rest, ["--site", "--key-id"]) is { } options
                && options.TryGetValue("--site", out var sites) && sites.Count == 1
                && options.TryGetValue("--key-id", out var ids) && ids.Count == 1:
                return await RevokeSiteKeyAsync(dataSource, sites[0], ids[0], output, error, time, cancellationToken);
            case ["set-sso-secret", "--site", var site]:
                return await SetSsoSecretAsync(dataSource, site, output, error, time, cancellationToken);
            default:
                await error.WriteLineAsync(Usage);
                return 2;
        }
    }

    private static async Task<int> CreateSiteAsync(
        NpgsqlDataSource dataSource, string id, List<string> origins, string? name, TextWriter output, TextWriter error,
        TimeProvider time, CancellationToken ct)
    {
        if (!SiteId().IsMatch(id))
        {
            await error.WriteLineAsync($"Site id '{id}' is not valid: 1–63 of a–z, 0–9 and '-', starting with a letter or digit.");
            return 2;
        }

        var normalised = new List<string>();
        foreach (var origin in origins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || uri.PathAndQuery != "/" || !string.IsNullOrEmpty(uri.UserInfo))
            {
                await error.WriteLineAsync($"Origin '{origin}' is not an http(s) origin such as https://news.example.org");
                return 2;
            }

            normalised.Add(uri.GetLeftPart(UriPartial.Authority));
        }

        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO sites (id, name, allowed_origins, created_at) VALUES (@id, @name, @origins, @now)
            ON CONFLICT (id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("name", string.IsNullOrWhiteSpace(name) ? id : name.Trim());
        command.Parameters.AddWithValue("origins", normalised.Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        if (await command.ExecuteNonQueryAsync(ct) == 0)
        {
            await error.WriteLineAsync($"Site '{id}' already exists; nothing changed.");
            return 1;
        }

        await output.WriteLineAsync($"Created site '{id}' for {string.Join(", ", normalised)}.");
        return 0;
    }

    private static async Task<int> CreateModeratorAsync(
        NpgsqlDataSource dataSource, List<string> sites, string name, TextWriter output, TextWriter error, TimeProvider time,
        CancellationToken ct)
    {
        name = name.Trim();
        if (name.Length is 0 or > 80 || name.Any(char.IsControl))
        {
            await error.WriteLineAsync("The moderator's name must be 1–80 characters on one line.");
            return 2;
        }

        var moderator = await ModeratorTokens.CreateAsync(dataSource, name, sites, time.GetUtcNow(), ct);
        if (moderator is null)
        {
            await error.WriteLineAsync($"Unknown site among: {string.Join(", ", sites)}. Create it first with 'admin create-site'.");
            return 1;
        }

        await output.WriteLineAsync($"Created moderator '{moderator.Name}' ({moderator.Id}) for site(s) {string.Join(", ", moderator.Sites)}.");
        await output.WriteLineAsync("Token (shown only now; send it as 'Authorization: Bearer <token>'):");
        await output.WriteLineAsync(moderator.Token);
        return 0;
    }

    private static async Task<int> EnsureModeratorAsync(
        NpgsqlDataSource dataSource, List<string> sites, string name, string? token, TextWriter output, TextWriter error, TimeProvider time,
        CancellationToken ct)
    {
        name = name.Trim();
        if (name.Length is 0 or > 80 || name.Any(char.IsControl))
        {
            await error.WriteLineAsync("The moderator's name must be 1–80 characters on one line.");
            return 2;
        }

        if (!ModeratorTokens.IsWellFormed(token))
        {
            await error.WriteLineAsync($"Set {ModeratorTokenVariable} to a token of the form {ModeratorTokens.Prefix} + 43 base64url characters (32 random bytes).");
            return 2;
        }

        switch (await ModeratorTokens.EnsureAsync(dataSource, name, sites, token!, time.GetUtcNow(), ct))
        {
            case ModeratorTokens.EnsureResult.UnknownSite:
                await error.WriteLineAsync($"Unknown site among: {string.Join(", ", sites)}. Create it first with 'admin create-site'.");
                return 1;
            case ModeratorTokens.EnsureResult.Revoked:
                await error.WriteLineAsync("This token was revoked; choose a new one.");
                return 1;
            case var result:
                await output.WriteLineAsync(result == ModeratorTokens.EnsureResult.Created
                    ? $"Created moderator '{name}' for site(s) {string.Join(", ", sites)} with the given token:"
                    : $"The moderator with the given token moderates site(s) {string.Join(", ", sites)}; token:");
                await output.WriteLineAsync(token);
                return 0;
        }
    }

    private static async Task<int> CreateSiteKeyAsync(
        NpgsqlDataSource dataSource, string site, string? name, TextWriter output, TextWriter error, TimeProvider time, CancellationToken ct)
    {
        name = string.IsNullOrWhiteSpace(name) ? "site backend" : name.Trim();
        if (name.Length > 80 || name.Any(char.IsControl))
        {
            await error.WriteLineAsync("The key's name must be 1–80 characters on one line.");
            return 2;
        }

        var key = await SiteKeys.CreateAsync(dataSource, site, name, time.GetUtcNow(), ct);
        if (key is null)
        {
            await error.WriteLineAsync($"Unknown site '{site}'. Create it first with 'admin create-site'.");
            return 1;
        }

        await output.WriteLineAsync($"Created site key '{key.Name}' ({key.Id}) for site {key.SiteId}; revoke it with 'admin revoke-site-key --site {key.SiteId} --key-id {key.Id}'.");
        await output.WriteLineAsync("Key (shown only now; the site's backend sends it as 'Authorization: Bearer <key>'):");
        await output.WriteLineAsync(key.Key);
        return 0;
    }

    private static async Task<int> ListSiteKeysAsync(NpgsqlDataSource dataSource, string site, TextWriter output, CancellationToken ct)
    {
        foreach (var key in await SiteKeys.ListAsync(dataSource, site, ct))
        {
            var state = key.RevokedAt is { } at ? $"revoked {at:u}" : "in force";
            await output.WriteLineAsync($"{key.Id}  {key.Name}  created {key.CreatedAt:u}  {state}");
        }

        return 0;
    }

    private static async Task<int> RevokeSiteKeyAsync(
        NpgsqlDataSource dataSource, string site, string keyId, TextWriter output, TextWriter error, TimeProvider time, CancellationToken ct)
    {
        if (!Guid.TryParse(keyId, out var id))
        {
            await error.WriteLineAsync($"'{keyId}' is not a key id; 'admin list-site-keys --site {site}' shows them.");
            return 2;
        }

        if (!await SiteKeys.RevokeAsync(dataSource, site, id, time.GetUtcNow(), ct))
        {
            await error.WriteLineAsync($"Site {site} has no site key {id} in force; nothing changed.");
            return 1;
        }

        await output.WriteLineAsync($"Revoked site key {id} of site {site}.");
        return 0;
    }

    private static async Task<int> SetSsoSecretAsync(
        NpgsqlDataSource dataSource, string site, TextWriter output, TextWriter error, TimeProvider time, CancellationToken ct)
    {
        var secret = await SsoTokens.SetSecretAsync(dataSource, site, time.GetUtcNow(), ct);
        if (secret is null)
        {
            await error.WriteLineAsync($"Unknown site '{site}'. Create it first with 'admin create-site'.");
            return 1;
        }

        await output.WriteLineAsync($"Set the SSO secret of site {site}; user tokens signed with an earlier secret are refused from now on.");
        await output.WriteLineAsync("Secret (shown only now; the site's backend signs user tokens with it, HS256):");
        await output.WriteLineAsync(secret);
        return 0;
    }

    /// <summary>Parses <c>--key value</c> pairs (keys may repeat); null when anything else is there.</summary>
    private static Dictionary<string, List<string>>? Options(string[] args, string[] allowed)
    {
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!allowed.Contains(args[i], StringComparer.Ordinal) || i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                return null;
            }

            if (!options.TryGetValue(args[i], out var values))
            {
                options[args[i]] = values = [];
            }

            values.Add(args[i + 1]);
        }

        return options;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex SiteId();
}
