using Comments.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Comments.Api.Moderation;

/// <summary>The vocabulary and limits of moderator input, shared by the endpoints and mirrored by the console.</summary>
public static class ModerationInput
{
    public const long MaxRequestBytes = 256 * 1024;
    public const int MaxNoteLength = 500;
    public const int MaxBulkIds = 100;

    public static readonly string[] RejectReasons = ["spam", "toxic", "off_topic", "personal_info", "other"];

    public static readonly string[] Statuses = ["pending", "approved", "held", "rejected", "reported"];

    /// <summary>Reads a JSON body that may be left out entirely (no content): then the caller's defaults apply.</summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadOptionalAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.ContentLength == 0 || (request.ContentLength is null && request.ContentType is null)
            ? (null, null)
            : await JsonBody.ReadAsync<T>(request, MaxRequestBytes, ct);
    }

    /// <summary>Trims a free-text note; null when absent, an error when too long or with control characters other than line breaks.</summary>
    public static string? Note(string? raw, string field, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var note = raw.Trim();
        if (note.EnumerateRunes().Count() > MaxNoteLength)
        {
            errors[field] = [$"At most {MaxNoteLength} characters."];
        }
        else if (note.Any(c => char.IsControl(c) && c is not '\n' and not '\t'))
        {
            errors[field] = ["Control characters are not allowed."];
        }

        return note;
    }

    public static void Status(string? status, string field, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (status is not null && !Statuses.Contains(status, StringComparer.Ordinal))
        {
            errors[field] = [$"One of {string.Join(", ", Statuses)}."];
        }
    }
}
