using System.Buffers;
using System.Globalization;
using System.Text;

namespace Comments.Api.Authors;

/// <summary>
/// Author keys, the one key bans, author history and per-author limits go by: the keyed email hash (64 hex digits) for
/// readers who typed an email, <c>user:&lt;id&gt;</c> for readers the site vouched for (site key or signed user token).
/// </summary>
public static class AuthorKeys
{
    public const string UserPrefix = "user:";
    public const int MaxUserIdLength = 128;

    public static string KindOf(string authorKey)
    {
        ArgumentNullException.ThrowIfNull(authorKey);
        return authorKey.StartsWith(UserPrefix, StringComparison.Ordinal) ? "user" : "email";
    }

    /// <summary>1–128 printable characters: no control, format or unassigned code points, no surrounding white space.</summary>
    public static bool IsValidUserId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxUserIdLength || char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]))
        {
            return false;
        }

        var rest = id.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done)
            {
                return false;
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned:
                    return false;
            }

            rest = rest[used..];
        }

        return true;
    }
}
