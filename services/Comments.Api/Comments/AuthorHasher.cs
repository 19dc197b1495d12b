using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Comments.Api.Comments;

public sealed class AuthorHashOptions
{
    public const string SectionName = "Comments";

    /// <summary>Secret key for the keyed hash of author emails (never stored in the clear).</summary>
    [Required, MinLength(32)]
    public string AuthorHashKey { get; set; } = string.Empty;
}

/// <summary>Emails are kept only as HMAC-SHA256(site + email): stable per site for bans, useless if the table leaks.</summary>
public sealed class AuthorHasher(IOptions<AuthorHashOptions> options)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.AuthorHashKey);

    public string Hash(string siteId, string email)
    {
        var input = Encoding.UTF8.GetBytes($"{siteId}\n{email.ToUpperInvariant()}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, input));
    }
}
