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
/// (<c>{"rateLimit":{"perClientSeconds":3,"perAuthorSeconds":3}}</c>; 0 turns a limit off). <see cref="SubmissionWriter"/>
/// checks them in the database under transaction-scoped advisory locks, so they hold across any number of Api instances
/// and concurrent requests.
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

    private sealed record StoredPolicy(StoredRateLimit? RateLimit);

    private sealed record StoredRateLimit(int? PerClientSeconds, int? PerAuthorSeconds);
}
