using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Comments.Api.Authors;

public sealed record CreatedSiteKey(Guid Id, string SiteId, string Name, string Key);

public sealed record SiteKeyInfo(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>
/// Site keys let a site's backend submit comments for its own signed-in users (<c>Authorization: Bearer csk_…</c>).
/// 32 random bytes shown once; only their SHA-256 is stored, and a key is looked up by that hash, so no stored secret is
/// ever compared byte by byte.
/// </summary>
public static class SiteKeys
{
    public const string Prefix = "csk_";

    public static string NewKey() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <returns>The new key, or null when the site does not exist (nothing is written then).</returns>
    public static async Task<CreatedSiteKey?> CreateAsync(
        NpgsqlDataSource dataSource, string siteId, string name, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var id = Guid.CreateVersion7(now);
        var key = NewKey();
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO site_keys (id, site_id, name, key_hash, created_at)
            SELECT @id, s.id, @name, @hash, @now FROM sites s WHERE s.id = @site
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", siteId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("hash", Hash(key));
        command.Parameters.AddWithValue("now", now);
        return await command.ExecuteNonQueryAsync(ct) == 0 ? null : new CreatedSiteKey(id, siteId, name, key);
    }

    /// <returns>False when the site has no such key in force.</returns>
    public static async Task<bool> RevokeAsync(NpgsqlDataSource dataSource, string siteId, Guid id, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            "UPDATE site_keys SET revoked_at = @now WHERE id = @id AND site_id = @site AND revoked_at IS NULL");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", siteId);
        command.Parameters.AddWithValue("now", now);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public static async Task<List<SiteKeyInfo>> ListAsync(NpgsqlDataSource dataSource, string siteId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            "SELECT id, name, created_at, revoked_at FROM site_keys WHERE site_id = @site ORDER BY created_at");
        command.Parameters.AddWithValue("site", siteId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<SiteKeyInfo>();
        while (await reader.ReadAsync(ct))
        {
            keys.Add(new SiteKeyInfo(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return keys;
    }

    /// <returns>The site a key in force belongs to; null for an unknown or revoked key.</returns>
    public static async Task<string?> SiteOfAsync(NpgsqlDataSource dataSource, string key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT site_id FROM site_keys WHERE key_hash = @hash AND revoked_at IS NULL");
        command.Parameters.AddWithValue("hash", Hash(key));
        return (string?)await command.ExecuteScalarAsync(ct);
    }
}
