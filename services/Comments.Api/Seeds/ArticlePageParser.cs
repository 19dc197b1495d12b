using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Comments.Api.Seeds;

public sealed record ArticlePage(string Id, string Title, IReadOnlyList<string> Paragraphs);

/// <summary>
/// Turns a scraped news page (plain text, one block per line) into a title and its paragraphs,
/// dropping the site chrome around the article.
/// </summary>
public static partial class ArticlePageParser
{
    private const string ReadMore = "READ MORE";

    // Whole-line matches only, so a real one-word paragraph ("Yes.", "Silence") is never dropped.
    private static readonly FrozenSet<string> NavigationLines = new[]
    {
        "Pages", "Home", "Menu", "Search", "Share", "Tweet", "Advertisement", "Newer Post", "Older Post",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static ArticlePage Parse(string id, string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(text);

        var lines = MeaningfulLines(text);
        string? title = null;
        var paragraphs = new List<string>();
        var skipTeaser = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (IsCommentStub(line))
            {
                // The stub after the article starts the comments UI; a comment count in the header is chrome.
                if (paragraphs.Count > 0)
                {
                    break;
                }

                continue;
            }

            if (skipTeaser)
            {
                skipTeaser = false;
                continue;
            }

            if (line.Equals(ReadMore, StringComparison.OrdinalIgnoreCase))
            {
                // "READ MORE" introduces the headline of another story on the next line.
                skipTeaser = true;
                continue;
            }

            if (NavigationLines.Contains(line))
            {
                continue;
            }

            if (title is null)
            {
                title = line;
                continue;
            }

            if (line.Equals(title, StringComparison.OrdinalIgnoreCase)
                || IsDashedCopyOfNextLine(line, i + 1 < lines.Count ? lines[i + 1] : null))
            {
                continue;
            }

            paragraphs.Add(line);
        }

        return title is null
            ? throw new FormatException($"Article page '{id}' has no title line.")
            : new ArticlePage(id, title, [.. paragraphs]);
    }

    private static List<string> MeaningfulLines(string text) =>
        [.. text.ReplaceLineEndings("\n")
            .Split('\n')
            .Select(line => Whitespace().Replace(line, " ").Trim())
            .Where(line => line.Length > 0)];

    private static bool IsCommentStub(string line) =>
        line.Equals("Post a Comment", StringComparison.OrdinalIgnoreCase) || CommentCount().IsMatch(line);

    // Subheadings appear twice ("- End of Diplomacy -", then "End of Diplomacy"): keep the plain form.
    private static bool IsDashedCopyOfNextLine(string line, string? next)
    {
        var dashed = DashedHeading().Match(line);
        return dashed.Success && next is not null
            && dashed.Groups["heading"].Value.Equals(next, StringComparison.OrdinalIgnoreCase);
    }

    // Any Unicode whitespace (NBSP included) plus the invisible zero-width space and BOM scrapes leave behind.
    [GeneratedRegex(@"[\s\u200B\uFEFF]+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(?:[0-9]+|No) Comments?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CommentCount();

    [GeneratedRegex(@"^[-–—]+\s*(?<heading>.+?)\s*[-–—]*\.?$")]
    private static partial Regex DashedHeading();
}
