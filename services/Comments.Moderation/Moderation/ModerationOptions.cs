using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Moderation;

/// <summary>The policy a site gets for every field its own policy leaves out.</summary>
public sealed class ModerationOptions
{
    public const string SectionName = "Moderation";

    public ModerationMode DefaultMode { get; set; } = ModerationMode.Auto;

    /// <summary>Folder with the model card and model files; empty means Models/ beside the program.</summary>
    public string? ModelDirectory { get; set; }

    public List<string> DefaultBannedWords { get; set; } = [];

    public List<string> DefaultSuspectWords { get; set; } = [];

    [Range(0, 100)]
    public int DefaultMaxLinks { get; set; } = 2;

    /// <summary>Hold/reject thresholds on the model scores; each one not configured is the loaded model card's.</summary>
    public ThresholdOptions DefaultThresholds { get; set; } = new();

    /// <summary>Merges a site's stored policy (JSON, any field optional) over these defaults.</summary>
    public SitePolicy Resolve(string? sitePolicyJson)
    {
        var stored = string.IsNullOrWhiteSpace(sitePolicyJson)
            ? null
            : JsonSerializer.Deserialize<StoredPolicy>(sitePolicyJson, StoredPolicy.Json);
        var site = stored?.Thresholds;
        var defaults = DefaultThresholds.Resolved;
        var thresholds = new ScoreThresholds(
            Probability(site?.ToxicityHold) ?? defaults.ToxicityHold,
            Probability(site?.ToxicityReject) ?? defaults.ToxicityReject,
            Probability(site?.SpamHold) ?? defaults.SpamHold,
            Probability(site?.SpamReject) ?? defaults.SpamReject);
        return new SitePolicy(
            stored?.Mode ?? DefaultMode,
            (IReadOnlyList<string>?)stored?.BannedWords ?? DefaultBannedWords,
            (IReadOnlyList<string>?)stored?.SuspectWords ?? DefaultSuspectWords,
            stored?.MaxLinks ?? DefaultMaxLinks,
            thresholds);
    }

    // A stored threshold outside 0..1 is a mistake in the site's policy, not a reason to drop the comment.
    private static double? Probability(double? value) => value is >= 0 and <= 1 ? value : null;

    private sealed record StoredThresholds(double? ToxicityHold, double? ToxicityReject, double? SpamHold, double? SpamReject);

    private sealed record StoredPolicy(
        ModerationMode? Mode, string[]? BannedWords, string[]? SuspectWords, int? MaxLinks, StoredThresholds? Thresholds)
    {
        public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
    }
}

/// <summary>
/// Configured default thresholds (section Moderation:DefaultThresholds), each a probability. One left
/// unset is the loaded model card's (<see cref="FillFrom"/>; the worker does that at start), so models
/// retrained on a site's own decisions bring their own operating point; without a card, <see cref="ScoreThresholds.Default"/>.
/// </summary>
public sealed class ThresholdOptions
{
    public double? ToxicityHold { get; set; }

    public double? ToxicityReject { get; set; }

    public double? SpamHold { get; set; }

    public double? SpamReject { get; set; }

    /// <summary>The thresholds in force: each configured one, else the shipped default.</summary>
    public ScoreThresholds Resolved => new(
        ToxicityHold ?? ScoreThresholds.Default.ToxicityHold, ToxicityReject ?? ScoreThresholds.Default.ToxicityReject,
        SpamHold ?? ScoreThresholds.Default.SpamHold, SpamReject ?? ScoreThresholds.Default.SpamReject);

    /// <summary>Each in 0..1 and each hold threshold at most its reject threshold.</summary>
    public bool IsValid()
    {
        var t = Resolved;
        return new[] { t.ToxicityHold, t.ToxicityReject, t.SpamHold, t.SpamReject }.All(v => v is >= 0 and <= 1)
            && t.ToxicityHold <= t.ToxicityReject && t.SpamHold <= t.SpamReject;
    }

    /// <summary>Sets every threshold not configured to <paramref name="thresholds"/>' (the model card's).</summary>
    public void FillFrom(ScoreThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        ToxicityHold ??= thresholds.ToxicityHold;
        ToxicityReject ??= thresholds.ToxicityReject;
        SpamHold ??= thresholds.SpamHold;
        SpamReject ??= thresholds.SpamReject;
    }
}
