using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Comments.Moderation.Ml;

/// <summary>
/// Toxicity training examples the project wrote itself (<c>Ml/written-examples.txt</c>, embedded in
/// the assembly): sentences about groups of people, each template written out once per group, hateful
/// and clean alike, plus a few threats and harmless uses of violent words. The shared data has few
/// attacks on groups and many mere mentions of them; these rows teach the model the statement, not the
/// group's name. They join the training folds only: never scored, never counted in a figure.
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
    /// The rows of the embedded file, hateful ones at <paramref name="toxicWeight"/> and clean ones at
    /// <paramref name="cleanWeight"/>, and the card's entry for them.
    /// </summary>
    public static (IReadOnlyList<LabelledText> Rows, DataFile File) Load(float toxicWeight, float cleanWeight)
    {
        var text = Text();
        var rows = Expand(text, toxicWeight, cleanWeight);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return (rows, new DataFile("services/Comments.Moderation/Ml/" + Group, sha, rows.Count, rows.Count(r => r.Label))
        {
            Use = FormattableString.Invariant(
                $"written by the project: templates about groups of people written out once per group, hateful and clean, plus threats; toxicity only, hateful rows at weight {toxicWeight} and clean ones at {cleanWeight}, in every training fold and never scored (no figure counts them)"),
        });
    }

    /// <summary>Parses the file format (see the file's header) into labelled rows, in file order, duplicates dropped.</summary>
    public static IReadOnlyList<LabelledText> Expand(string text, float toxicWeight, float cleanWeight)
    {
        ArgumentNullException.ThrowIfNull(text);
        var groups = new List<(string Plural, string Singular, string Article)>();
        var templates = new List<(string Line, bool Toxic, bool PerGroup, int LineNumber)>();
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
                if (section is not ("groups" or "toxic, for each group" or "clean, for each group" or "toxic" or "clean"))
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
                default:
                    var perGroup = section.EndsWith("for each group", StringComparison.Ordinal);
                    var hasPlaceholder = line.Contains('{', StringComparison.Ordinal);
                    if (perGroup != hasPlaceholder)
                    {
                        throw new InvalidDataException(perGroup
                            ? $"Written examples, line {lineNumber}: a sentence for each group needs {{P}}, {{S}} or {{a S}}."
                            : $"Written examples, line {lineNumber}: placeholders belong in a 'for each group' section.");
                    }
                    templates.Add((line, section.StartsWith("toxic", StringComparison.Ordinal), perGroup, lineNumber));
                    break;
            }
        }
        if (templates.Any(t => t.PerGroup) && groups.Count == 0)
        {
            throw new InvalidDataException("Written examples: sentences for each group, but no [groups].");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<LabelledText>();
        foreach (var (line, toxic, perGroup, number) in templates)
        {
            foreach (var sentence in perGroup ? groups.Select(g => Fill(line, g, number)) : [Capitalised(line)])
            {
                if (seen.Add(sentence))
                {
                    rows.Add(new LabelledText(sentence, toxic, Group, toxic ? toxicWeight : cleanWeight));
                }
            }
        }
        return rows;
    }

    private static string Fill(string template, (string Plural, string Singular, string Article) group, int lineNumber)
    {
        var filled = template
            .Replace("{a S}", group.Article + " " + group.Singular, StringComparison.Ordinal)
            .Replace("{P}", group.Plural, StringComparison.Ordinal)
            .Replace("{S}", group.Singular, StringComparison.Ordinal);
        return filled.Contains('{', StringComparison.Ordinal) || filled.Contains('}', StringComparison.Ordinal)
            ? throw new InvalidDataException($"Written examples, line {lineNumber}: unknown placeholder in '{template}' (use {{P}}, {{S}} or {{a S}}).")
            : Capitalised(filled);
    }

    // "an" before a written vowel; a group line names the article where that is wrong ("Ukrainians | Ukrainian | a").
    private static string Article(string word) => "aeiouAEIOU".Contains(word[0], StringComparison.Ordinal) ? "an" : "a";

    private static string Capitalised(string sentence) =>
        char.ToUpper(sentence[0], CultureInfo.InvariantCulture) + sentence[1..];
}
