using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Comments.Moderation.Ml;

/// <summary>
/// Toxicity training examples the project wrote itself (<c>Ml/written-examples.txt</c>, embedded in
/// the assembly): sentences about groups of people, each template written out once per group, hateful
/// and clean alike, plus a few threats and harmless uses of violent words; and harsh words written out
/// once per thing (clean: "What a stupid policy.") and once per person (toxic: "What a stupid mayor.").
/// The shared data has few attacks on groups and many mere mentions of them, and calls "stupid" toxic
/// whatever it is aimed at; these rows teach the model the statement and its target, not a name or a
/// word. They join the training folds only: never scored, never counted in a figure.
/// </summary>
public static class WrittenExamples
{
    /// <summary>The group (and card file name) of these rows.</summary>
    public const string Group = "written-examples.txt";

    private const string Resource = "written-examples.txt";

    /// <summary>The embedded file's text.</summary>
    public static string Text()
    {
        using var stream = typeof(WrittenExamples).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The embedded resource {Resource} is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The rows of the embedded file at their weights (see <see cref="Expand"/>) and the card's entry for them.
    /// </summary>
    public static (IReadOnlyList<LabelledText> Rows, DataFile File) Load(float toxicWeight, float cleanWeight, float targetWeight)
    {
        var text = Text();
        var rows = Expand(text, toxicWeight, cleanWeight, targetWeight);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return (rows, new DataFile("services/Comments.Moderation/Ml/" + Group, sha, rows.Count, rows.Count(r => r.Label))
        {
            Use = FormattableString.Invariant(
                $"written by the project: templates about groups of people written out once per group, hateful and clean, plus threats, at weight {toxicWeight} (hateful) and {cleanWeight} (clean)")
                + (targetWeight > 0
                    ? FormattableString.Invariant($"; harsh words about things (clean) and about people (toxic, with clean sentences about the same people), written out once per thing and per person, at weight {targetWeight}")
                    : "")
                + "; toxicity only, in every training fold and never scored (no figure counts them)",
        });
    }

    // The lists a sentence can be written out over: the list's section, its placeholders, and whether its
    // sentences are at the target weight (things and people) or at the hateful/clean weights (groups).
    private sealed record ListKind(string Name, string Section, string[] Placeholders, bool Target);

    private static readonly ListKind[] Kinds =
    [
        new("group", "groups", ["{P}", "{S}", "{a S}"], Target: false),
        new("thing", "things", ["{T}"], Target: true),
        new("person", "people", ["{R}"], Target: true),
    ];

    /// <summary>
    /// Parses the file format (see the file's header) into labelled rows, in file order; a sentence written
    /// twice is a mistake in the file. Sentences for each thing or person are at <paramref name="targetWeight"/>;
    /// other hateful ones at <paramref name="toxicWeight"/> and other clean ones at <paramref name="cleanWeight"/>.
    /// Rows at weight 0 are left out.
    /// </summary>
    public static IReadOnlyList<LabelledText> Expand(string text, float toxicWeight, float cleanWeight, float targetWeight)
    {
        ArgumentNullException.ThrowIfNull(text);
        var groups = new List<(string Plural, string Singular, string Article)>();
        var entries = Kinds.Where(k => k.Target).ToDictionary(k => k.Section, _ => new List<string>(), StringComparer.Ordinal);
        var templates = new List<(string Line, bool Toxic, ListKind? For, int LineNumber)>();
        string? section = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                if (section is not ("toxic" or "clean") && !Kinds.Any(k => section == k.Section || section == "toxic, for each " + k.Name || section == "clean, for each " + k.Name))
                {
                    throw new InvalidDataException($"Written examples, line {lineNumber}: unknown section [{section}].");
                }
                continue;
            }
            if (section is null)
            {
                throw new InvalidDataException($"Written examples, line {lineNumber}: a sentence before any [section].");
            }
            if (section == "groups")
            {
                var parts = line.Split('|', StringSplitOptions.TrimEntries);
                if (parts.Length is not (2 or 3) || parts.Any(p => p.Length == 0) || (parts.Length == 3 && parts[2] is not ("a" or "an")))
                {
                    throw new InvalidDataException($"Written examples, line {lineNumber}: a group is 'plural | singular' or 'plural | singular | a/an', not '{line}'.");
                }
                groups.Add((parts[0], parts[1], parts.Length == 3 ? parts[2] : Article(parts[1])));
            }
            else if (entries.TryGetValue(section, out var list))
            {
                if (line.IndexOfAny(['|', '{', '}']) >= 0 || list.Contains(line, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"Written examples, line {lineNumber}: an entry of [{section}] is one noun, once, without '|', '{{' or '}}', not '{line}'.");
                }
                list.Add(line);
            }
            else
            {
                var kind = Array.Find(Kinds, k => section.EndsWith(", for each " + k.Name, StringComparison.Ordinal));
                var used = Kinds.Where(k => k.Placeholders.Any(p => line.Contains(p, StringComparison.Ordinal))).ToList();
                if (kind is null ? used.Count > 0 || line.Contains('{', StringComparison.Ordinal) : used.Count != 1 || used[0] != kind)
                {
                    throw new InvalidDataException(kind is null
                        ? $"Written examples, line {lineNumber}: placeholders belong in a 'for each' section."
                        : $"Written examples, line {lineNumber}: a sentence for each {kind.Name} needs {string.Join(", ", kind.Placeholders[..^1]) + (kind.Placeholders.Length > 1 ? " or " : "") + kind.Placeholders[^1]} and no other placeholder.");
                }
                templates.Add((line, section.StartsWith("toxic", StringComparison.Ordinal), kind, lineNumber));
            }
        }
        foreach (var kind in Kinds)
        {
            var count = kind.Target ? entries[kind.Section].Count : groups.Count;
            if (count == 0 && templates.Any(t => t.For == kind))
            {
                throw new InvalidDataException($"Written examples: sentences for each {kind.Name}, but no [{kind.Section}].");
            }
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = new List<LabelledText>();
        foreach (var (line, toxic, kind, number) in templates)
        {
            var weight = kind is { Target: true } ? targetWeight : toxic ? toxicWeight : cleanWeight;
            IEnumerable<string> sentences = kind switch
            {
                null => [line],
                { Target: false } => groups.Select(g => Fill(line, g, number)),
                _ => entries[kind.Section].Select(e => Checked(line.Replace(kind.Placeholders[0], e, StringComparison.Ordinal), line, number)),
            };
            foreach (var sentence in sentences.Select(Capitalised))
            {
                if (!seen.TryAdd(sentence, number))
                {
                    throw new InvalidDataException($"Written examples, line {number}: '{sentence}' is also written by line {seen[sentence]}.");
                }
                if (weight > 0)
                {
                    rows.Add(new LabelledText(sentence, toxic, Group, weight));
                }
            }
        }
        return rows;
    }

    private static string Fill(string template, (string Plural, string Singular, string Article) group, int lineNumber) =>
        Checked(template
            .Replace("{a S}", group.Article + " " + group.Singular, StringComparison.Ordinal)
            .Replace("{P}", group.Plural, StringComparison.Ordinal)
            .Replace("{S}", group.Singular, StringComparison.Ordinal), template, lineNumber);

    private static string Checked(string filled, string template, int lineNumber) =>
        filled.Contains('{', StringComparison.Ordinal) || filled.Contains('}', StringComparison.Ordinal)
            ? throw new InvalidDataException($"Written examples, line {lineNumber}: unknown placeholder in '{template}' (use {{P}}, {{S}} or {{a S}} for groups, {{T}} for things, {{R}} for people).")
            : filled;

    // "an" before a written vowel; a group line names the article where that is wrong ("Ukrainians | Ukrainian | a").
    private static string Article(string word) => "aeiouAEIOU".Contains(word[0], StringComparison.Ordinal) ? "an" : "a";

    private static string Capitalised(string sentence) =>
        char.ToUpper(sentence[0], CultureInfo.InvariantCulture) + sentence[1..];
}
