using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Comments.Api.Reports;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Api.Moderation;

/// <summary>
/// A site's moderation settings, stored as its policy JSON (read by the worker for every comment, so a change applies to the next
/// one). Null fields fall back to the worker's configured defaults; <c>reportThreshold</c> to the Api's.
/// </summary>
public sealed record SiteSettingsDocument(
    string? Mode,
    JsonElement? Thresholds,
    IReadOnlyList<string>? BannedWords,
    IReadOnlyList<string>? SuspectWords,
    int? MaxLinks,
    int? ReportThreshold,
    SiteRateLimit? RateLimit = null);

/// <summary>Seconds between two comments from one client address and from one author; 0 turns a limit off.</summary>
public sealed record SiteRateLimit(int? PerClientSeconds, int? PerAuthorSeconds);

public static class SiteSettings
{
    public const int MaxWords = 1000;
    public const int MaxWordLength = 100;

    private static readonly string[] Modes = ["auto", "premoderate", "postmoderate"];
    private static readonly string[] ThresholdNames = ["toxicityHold", "toxicityReject", "spamHold", "spamReject"];
    private static readonly string[] KnownFields = ["mode", "thresholds", "bannedWords", "suspectWords", "maxLinks", "reportThreshold", "rateLimit"];

    public static async Task<Results<Ok<SiteSettingsDocument>, ProblemHttpResult>> GetSettings(
        string siteId, NpgsqlDataSource dataSource, DatabaseResilience resilience, IOptions<ReportOptions> reportOptions,
        CancellationToken cancellationToken)
    {
        var policy = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand("SELECT policy::text FROM sites WHERE id = @site");
            command.Parameters.AddWithValue("site", siteId);
            return (string?)await command.ExecuteScalarAsync(ct);
        }, cancellationToken);

        return policy is null
            ? Problems.UnknownSite(siteId)
            : TypedResults.Ok(Read(policy, reportOptions.Value.DefaultThreshold));
    }

    public static async Task<Results<Ok<SiteSettingsDocument>, ValidationProblem, ProblemHttpResult>> PutSettings(
        string siteId, HttpRequest httpRequest, ClaimsPrincipal user, NpgsqlDataSource dataSource, DatabaseResilience resilience,
        IOptions<ReportOptions> reportOptions, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var (request, problem) = await Http.JsonBody.ReadAsync<SiteSettingsDocument>(httpRequest, ModerationInput.MaxRequestBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = Validate(request!);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The settings were not saved.");
        }

        var moderator = Moderator.From(user);
        var saved = await resilience.Pipeline.ExecuteAsync(async ct =>
        {
            var now = time.GetUtcNow();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            string? before;
            await using (var load = new NpgsqlCommand("SELECT policy::text FROM sites WHERE id = @site FOR UPDATE", connection, transaction))
            {
                load.Parameters.AddWithValue("site", siteId);
                before = (string?)await load.ExecuteScalarAsync(ct);
            }

            if (before is null)
            {
                return null;
            }

            var after = Merge(before, request!);
            await using (var update = new NpgsqlCommand("UPDATE sites SET policy = @policy::jsonb WHERE id = @site", connection, transaction))
            {
                update.Parameters.AddWithValue("site", siteId);
                update.Parameters.AddWithValue("policy", after);
                await update.ExecuteNonQueryAsync(ct);
            }

            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(siteId, moderator, "settings",
                Details: new { before = JsonSerializer.Deserialize<JsonElement>(before), after = JsonSerializer.Deserialize<JsonElement>(after) }),
                now, ct);
            await transaction.CommitAsync(ct);
            return after;
        }, cancellationToken);

        if (saved is null)
        {
            return Problems.UnknownSite(siteId);
        }

        var logger = loggerFactory.CreateLogger(ModerationLog.Category);
        ModerationLog.SettingsChanged(logger, moderator.Id, siteId);
        return TypedResults.Ok(Read(saved, reportOptions.Value.DefaultThreshold));
    }

    /// <summary>The site's report threshold from its stored policy JSON.</summary>
    public static int ReportThresholdOf(string policyJson, int defaultThreshold) =>
        JsonNode.Parse(policyJson) is JsonObject policy && policy["reportThreshold"] is JsonValue value && value.TryGetValue<int>(out var threshold)
            ? threshold
            : defaultThreshold;

    private static SiteSettingsDocument Read(string policyJson, int defaultThreshold)
    {
        var stored = JsonSerializer.Deserialize<SiteSettingsDocument>(policyJson, JsonSerializerOptions.Web)!;
        return stored with { ReportThreshold = stored.ReportThreshold ?? defaultThreshold };
    }

    /// <summary>Replaces the settings' fields (a null field is removed) and keeps any other field of the policy untouched.</summary>
    private static string Merge(string storedJson, SiteSettingsDocument settings)
    {
        var policy = JsonNode.Parse(storedJson) as JsonObject ?? [];
        foreach (var field in KnownFields)
        {
            policy.Remove(field);
        }

        var fields = JsonSerializer.SerializeToNode(settings, JsonSerializerOptions.Web)!.AsObject();
        foreach (var (name, value) in fields)
        {
            if (value is not null)
            {
                policy[name] = value.DeepClone();
            }
        }

        return policy.ToJsonString();
    }

    private static Dictionary<string, string[]> Validate(SiteSettingsDocument settings)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (settings.Mode is not null && !Modes.Contains(settings.Mode, StringComparer.Ordinal))
        {
            errors["mode"] = [$"One of {string.Join(", ", Modes)}."];
        }

        ValidateWords(settings.BannedWords, "bannedWords", errors);
        ValidateWords(settings.SuspectWords, "suspectWords", errors);
        if (settings.MaxLinks is < 0 or > 100)
        {
            errors["maxLinks"] = ["Between 0 and 100."];
        }

        if (settings.ReportThreshold is < 1 or > 100)
        {
            errors["reportThreshold"] = ["Between 1 and 100."];
        }

        if (settings.RateLimit is { PerClientSeconds: < 0 or > 86_400 } or { PerAuthorSeconds: < 0 or > 86_400 })
        {
            errors["rateLimit"] = ["perClientSeconds and perAuthorSeconds: between 0 (no limit) and 86400."];
        }

        if (settings.Thresholds is { } thresholds && ThresholdsError(thresholds) is { } error)
        {
            errors["thresholds"] = [error];
        }

        return errors;
    }

    private static void ValidateWords(IReadOnlyList<string>? words, string field, Dictionary<string, string[]> errors)
    {
        if (words is null)
        {
            return;
        }

        if (words.Count > MaxWords)
        {
            errors[field] = [$"At most {MaxWords} entries."];
        }
        else if (words.Any(w => string.IsNullOrWhiteSpace(w) || w.Length > MaxWordLength || w.Any(char.IsControl)))
        {
            errors[field] = [$"Each entry must be 1–{MaxWordLength} characters without control characters."];
        }
    }

    /// <summary>
    /// The worker's score thresholds: <c>toxicityHold</c>, <c>toxicityReject</c>, <c>spamHold</c>, <c>spamReject</c>, each a
    /// probability, each hold at most its reject. Anything else is refused, so a typo cannot silently fall back to a default.
    /// </summary>
    private static string? ThresholdsError(JsonElement thresholds)
    {
        const string Shape = "An object with any of toxicityHold, toxicityReject, spamHold, spamReject: numbers in 0..1, hold <= reject.";
        if (thresholds.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (thresholds.ValueKind != JsonValueKind.Object)
        {
            return Shape;
        }

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var entry in thresholds.EnumerateObject())
        {
            if (!ThresholdNames.Contains(entry.Name, StringComparer.Ordinal) || entry.Value.ValueKind != JsonValueKind.Number
                || entry.Value.GetDouble() is < 0 or > 1)
            {
                return Shape;
            }

            values[entry.Name] = entry.Value.GetDouble();
        }

        bool Ordered(string hold, string reject) =>
            !values.TryGetValue(hold, out var h) || !values.TryGetValue(reject, out var r) || h <= r;

        return Ordered("toxicityHold", "toxicityReject") && Ordered("spamHold", "spamReject") ? null : Shape;
    }
}
