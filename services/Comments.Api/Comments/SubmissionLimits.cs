using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Npgsql;

namespace Comments.Api.Comments;

public sealed class SubmissionOptions
{
    public const string SectionName = "Submissions";

    /// <summary>Seconds between two comments from one client address, for sites that set none (like Coral: 3).</summary>
    [Range(0, 86_400)]
    public int DefaultPerClientSeconds { get; set; } = 3;

    /// <summary>Seconds between two comments from one author (by email), for sites that set none.</summary>
    [Range(0, 86_400)]
    public int DefaultPerAuthorSeconds { get; set; } = 3;
}

/// <summary>
/// One comment per window per client and per author, as the site's policy says
/// (<c>{"rateLimit":{"perClientSeconds":3,"perAuthorSeconds":3}}</c>; 0 turns a limit off). Checked in the database under
/// a transaction-scoped advisory lock, so it holds across any number of Api instances and concurrent requests.
/// </summary>
public sealed record SubmissionLimits(TimeSpan PerClient, TimeSpan PerAuthor)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static SubmissionLimits Of(string policyJson, SubmissionOptions defaults)
    {
        var stored = JsonSerializer.Deserialize<StoredPolicy>(policyJson, Json)?.RateLimit;
        return new SubmissionLimits(
            TimeSpan.FromSeconds(Math.Max(0, stored?.PerClientSeconds ?? defaults.DefaultPerClientSeconds)),
            TimeSpan.FromSeconds(Math.Max(0, stored?.PerAuthorSeconds ?? defaults.DefaultPerAuthorSeconds)));
    }

    /// <summary>Locks this sender for the rest of the transaction, then answers when it last commented on the site.</summary>
    public static async Task<DateTimeOffset?> LastCommentAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string siteId, string column, string key, CancellationToken ct)
    {
        // The column name comes from our own code, never from input.
        await using var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock(hashtextextended(@site || ':{column}:' || @key, 0));
            SELECT max(created_at) FROM comments WHERE site_id = @site AND {column} = @key;
            """, connection, transaction);
        command.Parameters.AddWithValue("site", siteId);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
    }

    private sealed record StoredPolicy(StoredRateLimit? RateLimit);

    private sealed record StoredRateLimit(int? PerClientSeconds, int? PerAuthorSeconds);
}
