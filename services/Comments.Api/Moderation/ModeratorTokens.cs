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

    /// <returns>The new moderator, or null when one of <paramref name="sites"/> does not exist (nothing is written then).</returns>
    public static async Task<CreatedModerator?> CreateAsync(
        NpgsqlDataSource dataSource, string name, IReadOnlyList<string> sites, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var distinctSites = sites.Distinct(StringComparer.Ordinal).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var check = new NpgsqlCommand("SELECT count(*) FROM sites WHERE id = ANY(@sites)", connection, transaction))
        {
            check.Parameters.AddWithValue("sites", distinctSites);
            if ((long)(await check.ExecuteScalarAsync(cancellationToken))! != distinctSites.Length)
            {
                return null;
            }
        }

        var id = Guid.CreateVersion7(now);
        var token = NewToken();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO moderators (id, name, token_hash, created_at) VALUES (@id, @name, @hash, @now);
            INSERT INTO moderator_sites (moderator_id, site_id) SELECT @id, unnest(@sites);
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("name", name);
            insert.Parameters.AddWithValue("hash", Hash(token));
            insert.Parameters.AddWithValue("now", now);
            insert.Parameters.AddWithValue("sites", distinctSites);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new CreatedModerator(id, name, distinctSites, token);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
