using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Moderation;

/// <summary>The policy a site gets for every field its own policy leaves out.</summary>
public sealed class ModerationOptions
{
    public const string SectionName = "Moderation";

    public ModerationMode DefaultMode { get; set; } = ModerationMode.Auto;

    public List<string> DefaultBannedWords { get; set; } = [];

    public List<string> DefaultSuspectWords { get; set; } = [];

    [Range(0, 100)]
    public int DefaultMaxLinks { get; set; } = 2;

    /// <summary>Merges a site's stored policy (JSON, any field optional) over these defaults.</summary>
    public SitePolicy Resolve(string? sitePolicyJson)
    {
        var stored = string.IsNullOrWhiteSpace(sitePolicyJson)
            ? null
            : JsonSerializer.Deserialize<StoredPolicy>(sitePolicyJson, StoredPolicy.Json);
        return new SitePolicy(
            stored?.Mode ?? DefaultMode,
            (IReadOnlyList<string>?)stored?.BannedWords ?? DefaultBannedWords,
            (IReadOnlyList<string>?)stored?.SuspectWords ?? DefaultSuspectWords,
            stored?.MaxLinks ?? DefaultMaxLinks);
    }

    private sealed record StoredPolicy(ModerationMode? Mode, string[]? BannedWords, string[]? SuspectWords, int? MaxLinks)
    {
        public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
    }
}
