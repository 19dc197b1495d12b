using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace Comments.Api.Comments;

/// <param name="Author">One of the site's users, accepted only from the site's backend with its site key.</param>
public sealed record SubmitCommentRequest(string? AuthorName, string? AuthorEmail, string? Body, Guid? ParentId, Authors.SiteAuthor? Author = null);

/// <summary>A submission that passed validation: trimmed, NFC-normalised, line ends as <c>\n</c>.</summary>
public sealed record ValidComment(string AuthorName, string? AuthorEmail, string Body, Guid? ParentId);

/// <summary>The server's limits on a submission; the widget mirrors them.</summary>
public static class CommentInput
{
    public const int MaxBodyLength = 5000;
    public const int MaxAuthorNameLength = 80;
    public const int MaxEmailLength = 254;
    public const int MaxArticleIdLength = 200;

    public static (ValidComment? Comment, Dictionary<string, string[]> Errors) Validate(SubmitCommentRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);

        var body = Clean(request.Body, allowLineBreaks: true, out var bodyError);
        bodyError ??= LengthError(body, 1, MaxBodyLength, "The comment");
        if (bodyError is not null)
        {
            errors["body"] = [bodyError];
        }

        var name = Clean(request.AuthorName, allowLineBreaks: false, out var nameError);
        nameError ??= LengthError(name, 1, MaxAuthorNameLength, "The name");
        if (nameError is not null)
        {
            errors["authorName"] = [nameError];
        }

        string? email = null;
        if (!string.IsNullOrWhiteSpace(request.AuthorEmail))
        {
            email = request.AuthorEmail.Trim();
            if (!IsEmail(email))
            {
                errors["authorEmail"] = ["The email address is not valid."];
            }
        }

        return errors.Count > 0
            ? (null, errors)
            : (new ValidComment(name!, email, body!, request.ParentId), errors);
    }

    public static bool IsValidArticleId(string articleId) =>
        articleId.Length is > 0 and <= MaxArticleIdLength
        && articleId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or ':');

    /// <summary>Unicode code points, the unit a reader perceives and the widget's counter counts.</summary>
    public static int CountCodePoints(string text) => text.EnumerateRunes().Count();

    private static string? Clean(string? raw, bool allowLineBreaks, out string? error)
    {
        error = null;
        if (raw is null)
        {
            error = "This field is required.";
            return null;
        }

        string text;
        try
        {
            text = raw.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Normalize(NormalizationForm.FormC).Trim();
        }
        catch (ArgumentException)
        {
            error = "The text contains invalid Unicode.";
            return null;
        }

        foreach (var c in text)
        {
            var isAllowedBreak = allowLineBreaks && c is '\n' or '\t';
            if (char.IsControl(c) && !isAllowedBreak)
            {
                error = allowLineBreaks
                    ? "The text contains control characters; only line breaks and tabs are allowed."
                    : "The text contains line breaks or control characters.";
                return null;
            }
        }

        return text;
    }

    private static string? LengthError(string? text, int min, int max, string what)
    {
        if (text is null)
        {
            return null;
        }

        var length = CountCodePoints(text);
        return length < min
            ? $"{what} must not be empty."
            : length > max ? string.Create(CultureInfo.InvariantCulture, $"{what} may be at most {max} characters (it has {length}).") : null;
    }

    private static bool IsEmail(string email) =>
        email.Length <= MaxEmailLength
        && MailAddress.TryCreate(email, out var address)
        && string.Equals(address.Address, email, StringComparison.Ordinal)
        && address.Host.Contains('.', StringComparison.Ordinal)
        && !address.Host.StartsWith('.') && !address.Host.EndsWith('.');
}
