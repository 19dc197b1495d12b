using System.Globalization;
using Npgsql;

namespace Comments.Moderation.Ml;

/// <summary>
/// A site's own moderator decisions as training data: <c>export-decisions</c> writes them from the
/// database, <c>train --site-decisions</c> adds them to the shared datasets. Only what a moderator
/// asserted becomes a label: an approval says "neither toxic nor spam"; a rejection for
/// <c>toxic</c> says toxic (and nothing about spam), for <c>spam</c> spam (and nothing about
/// toxicity). Other rejections (off topic, personal information, a banned author, …) and every
/// decision the worker made alone are left out.
/// </summary>
public static class SiteDecisions
{
    public static IReadOnlyList<string> Columns { get; } = ["Text", "Toxic", "Spam", "Site", "Decision", "Reason", "DecidedAt", "CommentId"];

    /// <summary>The card marks a training file of moderator decisions with this <see cref="DataFile.Use"/> prefix.</summary>
    public const string UsePrefix = "a site's moderator decisions";

    /// <summary>What an export wrote and left out.</summary>
    public sealed record ExportSummary(int Rows, int Toxic, int Spam, int Clean, int LeftOut);

    /// <summary>
    /// Writes each comment whose current status is a moderator's latest approve or reject, oldest
    /// decision first, as RFC 4180 CSV with <see cref="Columns"/>. Toxic and Spam are 1, 0 or empty (not asserted).
    /// </summary>
    public static async Task<ExportSummary> ExportAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<string>? sites, DateTimeOffset? since, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(output);
        // The latest moderator approve/reject of each comment, straight from the audit log (no per-comment
        // lookups), kept only while the comment still has the status that decision gave it.
        await using var command = dataSource.CreateCommand(
            """
            SELECT c.id, c.site_id, c.body, d.action, d.reason, d.created_at
            FROM (
                SELECT DISTINCT ON (a.comment_id) a.comment_id, a.action, a.reason, a.after_status, a.created_at
                FROM moderation_audit a
                WHERE a.comment_id IS NOT NULL AND a.moderator_id IS NOT NULL AND a.action IN ('approve', 'reject')
                  AND (@sites::text[] IS NULL OR a.site_id = ANY(@sites))
                ORDER BY a.comment_id, a.id DESC) d
            JOIN comments c ON c.id = d.comment_id AND c.status = d.after_status
            WHERE @since::timestamptz IS NULL OR d.created_at >= @since
            ORDER BY d.created_at, c.id
            """);
        // An operator's one-off read of the whole log: no request deadline applies.
        command.CommandTimeout = 0;
        command.Parameters.Add(new NpgsqlParameter<string[]?>("sites", sites is { Count: > 0 } ? [.. sites] : null) { DataTypeName = "text[]" });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("since", since?.ToUniversalTime()) { DataTypeName = "timestamptz" });
        await using var reader = await command.ExecuteReaderAsync(ct);
        Csv.WriteRecord(output, Columns);
        int rows = 0, toxic = 0, spam = 0, clean = 0, leftOut = 0;
        while (await reader.ReadAsync(ct))
        {
            var action = reader.GetString(3);
            var reason = reader.IsDBNull(4) ? null : reader.GetString(4);
            var (toxicLabel, spamLabel) = Labels(action, reason);
            if (toxicLabel is null && spamLabel is null)
            {
                leftOut++;
                continue;
            }
            rows++;
            toxic += toxicLabel == true ? 1 : 0;
            spam += spamLabel == true ? 1 : 0;
            clean += toxicLabel == false && spamLabel == false ? 1 : 0;
            Csv.WriteRecord(output,
            [
                reader.GetString(2), Flag(toxicLabel), Flag(spamLabel), reader.GetString(1), action, reason ?? "",
                reader.GetFieldValue<DateTimeOffset>(5).ToString("O", CultureInfo.InvariantCulture), reader.GetGuid(0).ToString(),
            ]);
        }
        return new ExportSummary(rows, toxic, spam, clean, leftOut);
    }

    /// <summary>The labels a moderator's action asserts: (toxic, spam), each null when it says nothing.</summary>
    public static (bool? Toxic, bool? Spam) Labels(string action, string? reason) => (action, reason) switch
    {
        ("approve", _) => (false, false),
        ("reject", "toxic") => (true, null),
        ("reject", "spam") => (null, true),
        _ => (null, null),
    };

    private static string Flag(bool? label) => label switch { true => "1", false => "0", null => "" };

    /// <summary>The rows of an exported file for each model, at <paramref name="weight"/>, and the file as the card records it.</summary>
    public static (List<LabelledText> Toxicity, List<LabelledText> Spam, DataFile ToxicityFile, DataFile SpamFile) Load(string path, float weight)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Site decisions file {Path.GetFullPath(path)} is missing (write it with export-decisions).", path);
        }
        if (!(weight > 0) || float.IsInfinity(weight))
        {
            throw new ArgumentException($"The site decisions' weight must be a positive number, not {weight}.", nameof(weight));
        }
        var table = Csv.ReadTable(path);
        var text = table.Column("Text");
        var toxicColumn = table.Column("Toxic");
        var spamColumn = table.Column("Spam");
        var group = "site decisions (" + Path.GetFileName(path) + ")";
        var toxicity = new List<LabelledText>();
        var spam = new List<LabelledText>();
        for (var i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            if (Parse(row[toxicColumn], "Toxic", i, path) is { } isToxic)
            {
                toxicity.Add(new LabelledText(row[text], isToxic, group, weight));
            }
            if (Parse(row[spamColumn], "Spam", i, path) is { } isSpam)
            {
                spam.Add(new LabelledText(row[text], isSpam, group, weight));
            }
        }
        if (toxicity.Count == 0 && spam.Count == 0)
        {
            throw new InvalidDataException($"Site decisions file {path} has no labelled rows.");
        }
        var sha = TrainingData.Sha256(path);
        var use = FormattableString.Invariant($"{UsePrefix} (export-decisions) at weight {weight}, spread over the folds");
        return (toxicity, spam,
            new DataFile(Path.GetFileName(path), sha, toxicity.Count, toxicity.Count(r => r.Label)) { Use = use },
            new DataFile(Path.GetFileName(path), sha, spam.Count, spam.Count(r => r.Label)) { Use = use });
    }

    private static bool? Parse(string value, string column, int row, string path) => value.Trim() switch
    {
        "" => null,
        "0" => false,
        "1" => true,
        _ => throw new InvalidDataException($"Site decisions file {path}, data row {row + 1}: {column} must be 1, 0 or empty, not '{value}'."),
    };
}
