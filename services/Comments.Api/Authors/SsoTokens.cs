using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Comments.Api.Authors;

/// <summary>A reader the site vouched for: its own user id, the name to show and, optionally, an email.</summary>
public sealed record VouchedAuthor(string UserId, string Name, string? Email)
{
    public string AuthorKey => AuthorKeys.UserPrefix + UserId;
}

/// <summary>
/// Signed user tokens (SSO, as in Coral): the site's backend signs a compact JWT (HS256) for its signed-in reader with the
/// site's SSO secret; the widget sends it in <see cref="Header"/>. Claims: <c>sub</c> (the site's user id), <c>name</c>,
/// <c>exp</c> (required, at most <see cref="MaxLifetime"/> away), optional <c>email</c>, optional <c>aud</c> (the site id, or an array
/// holding it, when present), optional <c>nbf</c>; <c>exp</c> and <c>nbf</c> are NumericDates, fractions allowed.
/// </summary>
public static class SsoTokens
{
    public const string Header = "X-Comments-User";
    public const string SecretPrefix = "csso_";
    public const int MaxTokenLength = 4096;

    /// <summary>Tolerated clock difference between the site's backend and the Api.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>The furthest a token's expiry may be: a leaked token must not outlive a day.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    private const double MaxUnixSeconds = 253_402_300_799;

    public static string NewSecret() => SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Sets or replaces the site's secret; tokens signed with the old one stop working at once.</summary>
    /// <returns>The new secret, or null when the site does not exist.</returns>
    public static async Task<string?> SetSecretAsync(NpgsqlDataSource dataSource, string siteId, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var secret = NewSecret();
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO site_sso_secrets (site_id, secret, created_at)
            SELECT s.id, @secret, @now FROM sites s WHERE s.id = @site
            ON CONFLICT (site_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at
            """);
        command.Parameters.AddWithValue("site", siteId);
        command.Parameters.AddWithValue("secret", Encoding.UTF8.GetBytes(secret));
        command.Parameters.AddWithValue("now", now);
        return await command.ExecuteNonQueryAsync(ct) == 0 ? null : secret;
    }

    public static async Task<byte[]?> SecretOfAsync(NpgsqlDataSource dataSource, string siteId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT secret FROM site_sso_secrets WHERE site_id = @site");
        command.Parameters.AddWithValue("site", siteId);
        return (byte[]?)await command.ExecuteScalarAsync(ct);
    }

    /// <summary>Checks a token's form, algorithm, signature (in constant time), audience and lifetime.</summary>
    /// <returns>The author, or null with the reason the token was refused (never echoing the token).</returns>
    public static (VouchedAuthor? Author, string? Error) Verify(string token, byte[] secret, string siteId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(secret);
        var parts = token.Split('.');
        if (token.Length > MaxTokenLength || parts.Length != 3)
        {
            return (null, "The user token is not a compact JWT.");
        }

        var header = Decode(parts[0]);
        var payload = Decode(parts[1]);
        var signature = Decode(parts[2]);
        if (header is null || payload is null || signature is null)
        {
            return (null, "The user token is not a compact JWT.");
        }

        try
        {
            using (var headerJson = JsonDocument.Parse(header))
            {
                if (headerJson.RootElement.ValueKind != JsonValueKind.Object
                    || !headerJson.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String
                    || alg.GetString() != "HS256")
                {
                    return (null, "The user token must be signed with HS256.");
                }
            }

            var expected = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, signature))
            {
                return (null, "The user token's signature is not valid for this site.");
            }

            using var claims = JsonDocument.Parse(payload);
            var root = claims.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "The user token's payload is not a JSON object.");
            }

            if (root.TryGetProperty("aud", out var aud) && !IsAudience(aud, siteId))
            {
                return (null, "The user token is for another site.");
            }

            if (!root.TryGetProperty("exp", out var exp) || !TryNumericDate(exp, out var expires))
            {
                return (null, "The user token has no expiry (exp).");
            }

            // Compared as now ± skew, never expires ± skew, which could overflow at the far end of the calendar.
            if (expires <= now - ClockSkew)
            {
                return (null, "The user token has expired.");
            }

            if (expires > now + MaxLifetime + ClockSkew)
            {
                return (null, "The user token's expiry (exp) is more than 24 hours away.");
            }

            if (root.TryGetProperty("nbf", out var nbf))
            {
                if (!TryNumericDate(nbf, out var notBefore))
                {
                    return (null, "The user token's nbf is not a NumericDate.");
                }

                if (notBefore > now + ClockSkew)
                {
                    return (null, "The user token is not valid yet.");
                }
            }

            var sub = StringClaim(root, "sub");
            var name = StringClaim(root, "name");
            var email = StringClaim(root, "email");
            return AuthorKeys.IsValidUserId(sub) && !string.IsNullOrWhiteSpace(name)
                ? (new VouchedAuthor(sub!, name!, string.IsNullOrWhiteSpace(email) ? null : email), null)
                : (null, "The user token needs a sub (1–128 printable characters) and a name.");
        }
        catch (JsonException)
        {
            return (null, "The user token is not a compact JWT.");
        }
    }

    /// <summary><c>aud</c> is one string or an array of strings (RFC 7519 4.1.3); the site id must be one of them.</summary>
    private static bool IsAudience(JsonElement aud, string siteId) => aud.ValueKind switch
    {
        JsonValueKind.String => aud.GetString() == siteId,
        JsonValueKind.Array => aud.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == siteId),
        _ => false,
    };

    /// <summary>A NumericDate (RFC 7519 2): seconds since 1970, possibly with a fraction; clamped to what a date can hold.</summary>
    private static bool TryNumericDate(JsonElement claim, out DateTimeOffset at)
    {
        if (claim.ValueKind != JsonValueKind.Number || !claim.TryGetDouble(out var seconds) || !double.IsFinite(seconds))
        {
            at = default;
            return false;
        }

        at = DateTimeOffset.UnixEpoch.AddMilliseconds(Math.Floor(Math.Clamp(seconds, 0, MaxUnixSeconds) * 1000));
        return true;
    }

    private static string? StringClaim(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[]? Decode(string part)
    {
        try
        {
            return part.Length == 0 ? null : Base64Url.DecodeFromChars(part);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
