using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Comments.Api.Moderation;

public sealed record CreatedModerator(Guid Id, string Name, IReadOnlyList<string> Sites, string Token);

/// <summary>Moderator tokens: 32 random bytes shown once; only their SHA-256 is stored.</summary>
public static class ModeratorTokens
{
    public const string Prefix = "cmod_";

    public static string NewToken() => Prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The form <see cref="NewToken"/> produces: a token chosen by an operator script must be as strong.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: 48 } && token.StartsWith(Prefix, StringComparison.Ordinal)
        && token.AsSpan(Prefix.Length).IndexOfAnyExcept(WellFormedChars) < 0;

    private static readonly System.Buffers.SearchValues<char> WellFormedChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public enum EnsureResult { Created, Existed, UnknownSite, Revoked }

    /// <summary>
    /// Makes <paramref name="token"/> a moderator's token for <paramref name="sites"/>, creating the moderator when no one holds
    /// it yet: deploy scripts keep one demo token across runs and database resets.
    /// </summary>
    public static async Task<EnsureResult> EnsureAsync(
        NpgsqlDataSource dataSource, string name, IReadOnlyList<string> sites, string token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var distinctSites = sites.Distinct(StringComparer.Ordinal).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await AllSitesExistAsync(connection, transaction, distinctSites, cancellationToken))
        {
            return EnsureResult.UnknownSite;
        }

        Guid id;
        var result = EnsureResult.Existed;
        await using (var find = new NpgsqlCommand("SELECT id, revoked_at IS NOT NULL FROM moderators WHERE token_hash = @hash", connection, transaction))
        {
            find.Parameters.AddWithValue("hash", Hash(token));
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                id = Guid.CreateVersion7(now);
                result = EnsureResult.Created;
            }
            else if (reader.GetBoolean(1))
            {
                return EnsureResult.Revoked;
            }
            else
            {
                id = reader.GetGuid(0);
            }
        }

        await InsertAsync(connection, transaction, id, name, token, distinctSites, now, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <returns>The new moderator, or null when one of <paramref name="sites"/> does not exist (nothing is written then).</returns>
    public static async Task<CreatedModerator?> CreateAsync(
        NpgsqlDataSource dataSource, string name, IReadOnlyList<string> sites, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var distinctSites = sites.Distinct(StringComparer.Ordinal).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        if (!await AllSitesExistAsync(connection, transaction, distinctSites, cancellationToken))
        {
            return null;
        }

        var id = Guid.CreateVersion7(now);
        var token = NewToken();
        await InsertAsync(connection, transaction, id, name, token, distinctSites, now, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return new CreatedModerator(id, name, distinctSites, token);
    }

    private static async Task<bool> AllSitesExistAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] sites, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT count(*) FROM sites WHERE id = ANY(@sites)", connection, transaction);
        check.Parameters.AddWithValue("sites", sites);
        return (long)(await check.ExecuteScalarAsync(cancellationToken))! == sites.Length;
    }

    /// <summary>The moderator (unless it exists) and its sites (those it lacks).</summary>
    private static async Task InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string name, string token, string[] sites,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO moderators (id, name, token_hash, created_at) VALUES (@id, @name, @hash, @now) ON CONFLICT (id) DO NOTHING;
            INSERT INTO moderator_sites (moderator_id, site_id) SELECT @id, unnest(@sites) ON CONFLICT DO NOTHING;
            """, connection, transaction);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("name", name);
        insert.Parameters.AddWithValue("hash", Hash(token));
        insert.Parameters.AddWithValue("now", now);
        insert.Parameters.AddWithValue("sites", sites);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
