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
    public static (IReadOnlyList<LabelledText> Rows, DataFile File) Load(float toxicWeight, float cleanWeight, float targetWeight = 0)
    {
        var text = Text();
        var rows = Expand(text, toxicWeight, cleanWeight, targetWeight);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return (rows, new DataFile("services/Comments.Moderation/Ml/" + Group, sha, rows.Count, rows.Count(r => r.Label))
        {
            Use = FormattableString.Invariant(
                $"written by the project: templates about groups of people written out once per group, hateful and clean, plus threats, at weight {toxicWeight} (hateful) and {cleanWeight} (clean)")
                + (targetWeight > 0
                    ? FormattableString.Invariant($"; insults aimed at things (clean) and at people (toxic), written out once per thing and per person, at weight {targetWeight}")
                    : "")
                + "; toxicity only, in every training fold and never scored (no figure counts them)",
        });
    }

    private static readonly string[] Lists = ["group", "thing", "person"];

    /// <summary>
    /// Parses the file format (see the file's header) into labelled rows, in file order, duplicates dropped.
    /// Sentences for each thing or person are at <paramref name="targetWeight"/>; other hateful ones at
    /// <paramref name="toxicWeight"/> and other clean ones at <paramref name="cleanWeight"/>. Rows at weight 0 are left out.
    /// </summary>
    public static IReadOnlyList<LabelledText> Expand(string text, float toxicWeight, float cleanWeight, float targetWeight = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        var groups = new List<(string Plural, string Singular, string Article)>();
        var things = new List<string>();
        var people = new List<string>();
        var templates = new List<(string Line, bool Toxic, string? For, int LineNumber)>();
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
                if (section is not ("groups" or "things" or "people" or "toxic" or "clean")
                    && !Lists.Any(l => section == "toxic, for each " + l || section == "clean, for each " + l))
                {
                    throw new InvalidDataException($"Written examples, line {lineNumber}: unknown section [{section}].");
                }
                continue;
            }
            switch (section)
            {
                case null:
                    throw new InvalidDataException($"Written examples, line {lineNumber}: a sentence before any [section].");
                case "groups":
                    var parts = line.Split('|', StringSplitOptions.TrimEntries);
                    if (parts.Length is not (2 or 3) || parts.Any(p => p.Length == 0) || (parts.Length == 3 && parts[2] is not ("a" or "an")))
                    {
                        throw new InvalidDataException($"Written examples, line {lineNumber}: a group is 'plural | singular' or 'plural | singular | a/an', not '{line}'.");
                    }
                    groups.Add((parts[0], parts[1], parts.Length == 3 ? parts[2] : Article(parts[1])));
                    break;
                case "things":
                    things.Add(line);
                    break;
                case "people":
                    people.Add(line);
                    break;
                default:
                    var target = section.Contains(", for each ", StringComparison.Ordinal) ? section[(section.LastIndexOf(' ') + 1)..] : null;
                    var placeholders = Placeholders.Where(p => line.Contains(p.Text, StringComparison.Ordinal)).Select(p => p.List).Distinct().ToList();
                    if (target is null ? placeholders.Count > 0 || line.Contains('{', StringComparison.Ordinal) : !placeholders.SequenceEqual([target]))
                    {
                        throw new InvalidDataException(target is null
                            ? $"Written examples, line {lineNumber}: placeholders belong in a 'for each' section."
                            : $"Written examples, line {lineNumber}: a sentence for each {target} needs {(target == "group" ? "{P}, {S} or {a S}" : target == "thing" ? "{T}" : "{R}")} and no other placeholder.");
                    }
                    templates.Add((line, section.StartsWith("toxic", StringComparison.Ordinal), target, lineNumber));
                    break;
            }
        }
        foreach (var (list, count) in new[] { ("group", groups.Count), ("thing", things.Count), ("person", people.Count) })
        {
            if (count == 0 && templates.Any(t => t.For == list))
            {
                throw new InvalidDataException($"Written examples: sentences for each {list}, but no [{(list == "person" ? "people" : list + "s")}].");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<LabelledText>();
        foreach (var (line, toxic, target, number) in templates)
        {
            var weight = target is "thing" or "person" ? targetWeight : toxic ? toxicWeight : cleanWeight;
            IEnumerable<string> sentences = target switch
            {
                "group" => groups.Select(g => Fill(line, g, number)),
                "thing" => things.Select(t => Checked(line.Replace("{T}", t, StringComparison.Ordinal), line, number)),
                "person" => people.Select(r => Checked(line.Replace("{R}", r, StringComparison.Ordinal), line, number)),
                _ => [line],
            };
            foreach (var sentence in sentences.Select(Capitalised))
            {
                if (weight > 0 && seen.Add(sentence))
                {
                    rows.Add(new LabelledText(sentence, toxic, Group, weight));
                }
            }
        }
        return rows;
    }

    private static readonly (string Text, string List)[] Placeholders =
        [("{P}", "group"), ("{S}", "group"), ("{a S}", "group"), ("{T}", "thing"), ("{R}", "person")];

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
