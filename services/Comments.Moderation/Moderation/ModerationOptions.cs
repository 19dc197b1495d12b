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

    /// <summary>Hold/reject thresholds on the model scores; out of the box the model card's operating point.</summary>
    public ThresholdOptions DefaultThresholds { get; set; } = new();

    /// <summary>Merges a site's stored policy (JSON, any field optional) over these defaults.</summary>
    public SitePolicy Resolve(string? sitePolicyJson)
    {
        var stored = string.IsNullOrWhiteSpace(sitePolicyJson)
            ? null
            : JsonSerializer.Deserialize<StoredPolicy>(sitePolicyJson, StoredPolicy.Json);
        var site = stored?.Thresholds;
        var thresholds = new ScoreThresholds(
            Probability(site?.ToxicityHold) ?? DefaultThresholds.ToxicityHold,
            Probability(site?.ToxicityReject) ?? DefaultThresholds.ToxicityReject,
            Probability(site?.SpamHold) ?? DefaultThresholds.SpamHold,
            Probability(site?.SpamReject) ?? DefaultThresholds.SpamReject);
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

/// <summary>Configured default thresholds (section Moderation:DefaultThresholds), each a probability.</summary>
public sealed class ThresholdOptions
{
    /// <summary>Each in 0..1 and each hold threshold at most its reject threshold.</summary>
    public bool IsValid() =>
        new[] { ToxicityHold, ToxicityReject, SpamHold, SpamReject }.All(t => t is >= 0 and <= 1)
        && ToxicityHold <= ToxicityReject && SpamHold <= SpamReject;

    public double ToxicityHold { get; set; } = ScoreThresholds.Default.ToxicityHold;

    public double ToxicityReject { get; set; } = ScoreThresholds.Default.ToxicityReject;

    public double SpamHold { get; set; } = ScoreThresholds.Default.SpamHold;

    public double SpamReject { get; set; } = ScoreThresholds.Default.SpamReject;
}
