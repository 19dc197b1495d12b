using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Comments.Api.Tests.Authors;

/// <summary>Signs user tokens the way a site's backend does (compact JWT, HS256), and forges the ones it must not accept.</summary>
public static class UserTokens
{
    public static string Sign(string secret, object claims, string alg = "HS256")
    {
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" }));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>An unsigned token (<c>alg: none</c>), the classic forgery.</summary>
    public static string WithoutSignature(object claims) =>
        Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "none", typ = "JWT" })) + "." + Encode(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".";

    public static long In(TimeSpan fromNow) => DateTimeOffset.UtcNow.Add(fromNow).ToUnixTimeSeconds();

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
