using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace Comments.Reader.Threads;

/// <summary>
/// Renders a stored comment body as HTML. Every character the user typed is escaped; the only
/// markup produced is <c>&lt;p&gt;</c>, <c>&lt;br&gt;</c> and <c>&lt;a&gt;</c> to http(s) URLs.
/// </summary>
public static partial class SafeHtml
{
    private const int MaxHrefLength = 2_000;
    private const int MaxLinkTextLength = 60;
    private const string LinkAttributes = "rel=\"nofollow ugc noopener\" target=\"_blank\"";

    // Escapes & < > " ' + and controls but leaves non-ASCII letters readable (Zoë, привет, 日本語).
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    // Characters a sentence puts after a URL; ')' is only stripped when it has no '(' to match.
    private static readonly SearchValues<char> TrailingPunctuation = SearchValues.Create(".,;:!?)'’”»");

    public static string Render(string body)
    {
        ArgumentNullException.ThrowIfNull(body);

        var html = new StringBuilder(body.Length + 16);
        foreach (var block in ParagraphBreak().Split(body.ReplaceLineEndings("\n")))
        {
            if (string.IsNullOrWhiteSpace(block))
            {
                continue;
            }

            html.Append("<p>");
            var lines = block.Trim().Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (i > 0)
                {
                    html.Append("<br>");
                }

                AppendLine(html, lines[i]);
            }

            html.Append("</p>");
        }

        return html.ToString();
    }

    private static void AppendLine(StringBuilder html, string line)
    {
        var written = 0;
        foreach (var candidate in UrlCandidate().EnumerateMatches(line))
        {
            var url = TrimTrailingPunctuation(line.AsSpan(candidate.Index, candidate.Length)).ToString();
            var href = url.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? "https://" + url : url;
            if (href.Length > MaxHrefLength)
            {
                // Too long to link: it stays in the text run and is escaped with it.
                continue;
            }

            html.Append(Encoder.Encode(line[written..candidate.Index]))
                .Append("<a href=\"").Append(Encoder.Encode(href)).Append("\" ").Append(LinkAttributes).Append('>')
                .Append(Encoder.Encode(LinkText(url)))
                .Append("</a>");
            written = candidate.Index + url.Length;
        }

        html.Append(Encoder.Encode(line[written..]));
    }

    private static ReadOnlySpan<char> TrimTrailingPunctuation(ReadOnlySpan<char> url)
    {
        while (TrailingPunctuation.Contains(url[^1]))
        {
            if (url[^1] == ')' && url.Count('(') >= url.Count(')'))
            {
                break;
            }

            url = url[..^1];
        }

        return url;
    }

    private static string LinkText(string url)
    {
        if (url.Length <= MaxLinkTextLength)
        {
            return url;
        }

        var cut = MaxLinkTextLength - 1;
        if (char.IsHighSurrogate(url[cut - 1]))
        {
            cut--;
        }

        return string.Concat(url.AsSpan(0, cut), "…");
    }

    // Two or more newlines, counting whitespace-only lines as blank.
    [GeneratedRegex(@"\n(?:[^\S\n]*\n)+")]
    private static partial Regex ParagraphBreak();

    // Only http(s):// and www. ever start a link, never inside a word or an e-mail address; the host
    // must start with a letter or digit. A URL ends at whitespace or at a character URLs cannot
    // contain raw (< > " `), so typed markup can never reach the href.
    [GeneratedRegex(@"(?<![\p{L}\p{N}_@.])(?:https?://|www\.)[\p{L}\p{N}][^\s<>""`]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlCandidate();
}
