using System.Text.RegularExpressions;

namespace Comments.Moderation.Scoring;

/// <summary>
/// The words a commenter quotes: spans in double quotes (straight "…", curly “…” and ”…”, „…“, «…», »…«, fullwidth
/// ＂…＂, 「…」 and 『…』) and lines that start with "&gt;". A comment that quotes abuse to condemn or report it
/// ("Calling editors "terrorists" breaks the rules") carries the abuse's words; <see cref="Ml.MlScorer"/> scores
/// the comment without them before it rejects. Apostrophes and single quotes are left alone (they mostly mark
/// contractions and possessives).
/// </summary>
public static partial class QuotedText
{
    /// <summary>A comment's own words: at least this many outside the quotes, or the quotes are all it says.</summary>
    public const int MinimumOwnWords = 3;

    /// <summary>
    /// The comment with its quoted spans blanked out, or null when it quotes nothing or says fewer than
    /// <see cref="MinimumOwnWords"/> words of its own (a bare quoted insult is the insult). A contraction
    /// ("isn't") is one word.
    /// </summary>
    public static string? Outside(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var quotes = 0;
        var outside = Quoted().Replace(body, _ =>
        {
            quotes++;
            return " ";
        });
        return quotes == 0 || Word().Count(outside) < MinimumOwnWords ? null : outside;
    }

    // Bounded to one line each (an unclosed quote never swallows the rest of the comment).
    [GeneratedRegex("\"[^\"\\n]*\"|[“”][^“”\\n]*”|„[^“”\\n]*[“”]|«[^»\\n]*»|»[^«\\n]*«|＂[^＂\\n]*＂|「[^」\\n]*」|『[^』\\n]*』|^[ \\t]*>[^\\n]*",
        RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Quoted();

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*", RegexOptions.CultureInvariant)]
    private static partial Regex Word();
}
