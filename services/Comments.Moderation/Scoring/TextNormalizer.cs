using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Comments.Moderation.Scoring;

/// <summary>
/// Folds hostile spellings of a comment into one plain form for matching word lists.
/// The output is never shown to anyone: it deliberately mangles some ordinary text
/// (for example "mp3" becomes "mpe") so that "1d10t" and "іdіоt" become "idiot".
/// </summary>
public static partial class TextNormalizer
{
    /// <summary>Prefix of the single token a URL is reduced to, e.g. <c>url:example.com</c>.</summary>
    public const string UrlTokenPrefix = "url:";

    public static string Normalize(string text) => Normalize(text, out _);

    // One pass for RuleScorer, which needs both; links equals CountLinks(text).
    internal static string Normalize(string text, out int links)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = Clean(text);
        var output = new StringBuilder(cleaned.Length + 16);
        var wordsStart = 0;
        links = 0;
        foreach (var match in UrlPattern().EnumerateMatches(cleaned))
        {
            links++;
            var url = cleaned.AsSpan(match.Index, match.Length).TrimEnd(UrlTrailingPunctuation);
            AppendWords(output, cleaned.AsSpan(wordsStart, match.Index - wordsStart));
            output.Append(' ').Append(UrlTokenPrefix).Append(Domain(url)).Append(' ');
            // Punctuation trimmed off the URL goes back to the words, like any sentence end.
            wordsStart = match.Index + url.Length;
        }
        AppendWords(output, cleaned.AsSpan(wordsStart));
        return CollapseWhitespace(output);
    }

    /// <summary>
    /// Word tokens of normalised text: runs of letters, digits and inner apostrophes;
    /// <c>url:domain</c> tokens are kept whole.
    /// </summary>
    public static IReadOnlyList<string> Tokens(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var tokens = new List<string>();
        var i = 0;
        while (i < normalized.Length)
        {
            var start = i;
            if (IsUrlTokenAt(normalized, i))
            {
                while (i < normalized.Length && !char.IsWhiteSpace(normalized[i]))
                {
                    i++;
                }
                tokens.Add(normalized[start..i]);
            }
            else if (IsTokenChar(normalized[i]))
            {
                while (i < normalized.Length && IsTokenChar(normalized[i]))
                {
                    i++;
                }
                // Quotes around a word ('idiot') must not hide it.
                var token = normalized.AsSpan(start, i - start).Trim('\'');
                if (!token.IsEmpty)
                {
                    tokens.Add(token.ToString());
                }
            }
            else
            {
                i++;
            }
        }
        return tokens;
    }

    /// <summary>Number of http://, https:// and www. links in raw comment text.</summary>
    public static int CountLinks(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Cleaned first so a zero-width space or full-width letters cannot hide a link.
        return UrlPattern().Count(Clean(text));
    }

    [GeneratedRegex(@"(?<![\p{L}\p{N}_])(?:https?://|www\.)[^\s<>""'`]+", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();

    private const string UrlTrailingPunctuation = ".,;:!?)]}*";

    // Characters that stand for letters inside a word; see Leet.
    private static readonly SearchValues<char> LeetSymbols = SearchValues.Create("0134578@$!|");

    // Between the letters of "f u c k", "f.u.c.k", "f-u-c-k", "f_u_c_k", "f*u*c*k".
    private static readonly SearchValues<char> SpacingSeparators = SearchValues.Create(" .-_*");

    // Compatibility forms, format characters (zero-width, soft hyphen, BOM, bidi controls),
    // control characters and case. Lone surrogates become U+FFFD so Normalize cannot throw.
    private static string Clean(string text)
    {
        // Most comments are plain ASCII: nothing to decompose, only case and controls.
        if (Ascii.IsValid(text) && !text.AsSpan().ContainsAnyInRange('\0', '\u001F') && !text.Contains('\u007F', StringComparison.Ordinal))
        {
            return text.ToLowerInvariant();
        }
        var builder = new StringBuilder(text.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in text.EnumerateRunes())
        {
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Format:
                    break;
                case UnicodeCategory.Control:
                    if (Rune.IsWhiteSpace(rune))
                    {
                        builder.Append(' ');
                    }
                    break;
                default:
                    builder.Append(utf16[..rune.EncodeToUtf16(utf16)]);
                    break;
            }
        }
        return builder.ToString().Normalize(NormalizationForm.FormKC).ToLowerInvariant();
    }

    private static string Domain(ReadOnlySpan<char> url)
    {
        if (url.StartsWith("https://", StringComparison.Ordinal))
        {
            url = url[8..];
        }
        else if (url.StartsWith("http://", StringComparison.Ordinal))
        {
            url = url[7..];
        }
        var pathStart = url.IndexOfAny("/?#\\");
        if (pathStart >= 0)
        {
            url = url[..pathStart];
        }
        url = url[(url.LastIndexOf('@') + 1)..];
        var portStart = url.IndexOf(':');
        if (portStart >= 0)
        {
            url = url[..portStart];
        }
        url = url.TrimEnd('.');
        // www.example.com and example.com are the same site for counting and spam signals.
        if (url.StartsWith("www.", StringComparison.Ordinal))
        {
            url = url[4..];
        }
        return url.ToString();
    }

    private static void AppendWords(StringBuilder output, ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty)
        {
            return;
        }
        var chars = StripDiacritics(segment).ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = FoldHomoglyph(chars[i]);
        }
        var length = JoinSpacedLetters(chars);
        ApplyLeet(chars.AsSpan(0, length));
        output.Append(' ').Append(chars, 0, length).Append(' ');
    }

    private static string StripDiacritics(ReadOnlySpan<char> segment)
    {
        if (Ascii.IsValid(segment))
        {
            return segment.ToString();
        }
        var decomposed = segment.ToString().Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark))
            {
                builder.Append(c);
            }
        }
        return builder.ToString().Normalize(NormalizationForm.FormC);
    }

    // Input is already lower case.
    private static char FoldHomoglyph(char c) => c switch
    {
        // Cyrillic а е о р с у х і ј ѕ к м т н в
        '\u0430' => 'a',
        '\u0435' => 'e',
        '\u043E' => 'o',
        '\u0440' => 'p',
        '\u0441' => 'c',
        '\u0443' => 'y',
        '\u0445' => 'x',
        '\u0456' => 'i',
        '\u0458' => 'j',
        '\u0455' => 's',
        '\u043A' => 'k',
        '\u043C' => 'm',
        '\u0442' => 't',
        '\u043D' => 'h',
        '\u0432' => 'b',
        // Greek ο α ε ι κ ν ρ τ υ χ
        '\u03BF' => 'o',
        '\u03B1' => 'a',
        '\u03B5' => 'e',
        '\u03B9' => 'i',
        '\u03BA' => 'k',
        '\u03BD' => 'v',
        '\u03C1' => 'p',
        '\u03C4' => 't',
        '\u03C5' => 'u',
        '\u03C7' => 'x',
        // Typographic apostrophes, so "don’t" and "don't" are one token.
        '\u2018' or '\u2019' or '\u02BC' => '\'',
        // Only URL extraction may produce "url:" tokens; a typed "url:idiot" must still match idiot.
        ':' => ' ',
        _ => c,
    };

    // Joins chains of at least three one-character items ("f u c k", "s.h.1.t") with at least
    // two real letters among them, so "1 2 3" and "e.g." are left alone. Works in place and
    // returns the new length.
    private static int JoinSpacedLetters(Span<char> chars)
    {
        var write = 0;
        var read = 0;
        while (read < chars.Length)
        {
            if (IsSingleItemAt(chars, read))
            {
                var items = 1;
                var letters = char.IsLetter(chars[read]) ? 1 : 0;
                var chainEnd = read + 1;
                while (true)
                {
                    var next = chainEnd;
                    while (next < chars.Length && SpacingSeparators.Contains(chars[next]))
                    {
                        next++;
                    }
                    if (next == chainEnd || next >= chars.Length || !IsSingleItemAt(chars, next))
                    {
                        break;
                    }
                    items++;
                    letters += char.IsLetter(chars[next]) ? 1 : 0;
                    chainEnd = next + 1;
                }
                if (items >= 3 && letters >= 2)
                {
                    for (; read < chainEnd; read++)
                    {
                        if (!SpacingSeparators.Contains(chars[read]))
                        {
                            chars[write++] = chars[read];
                        }
                    }
                    continue;
                }
            }
            chars[write++] = chars[read++];
        }
        return write;
    }

    private static bool IsSingleItemAt(ReadOnlySpan<char> chars, int i) =>
        (char.IsLetter(chars[i]) || LeetSymbols.Contains(chars[i]))
        && (i == 0 || !IsWordChar(chars[i - 1]))
        && (i + 1 == chars.Length || !IsWordChar(chars[i + 1]));

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || LeetSymbols.Contains(c);

    // Leetspeak only inside a run of letters/digits/symbols that has a real letter, so "5,000",
    // "$20" and "!!!" stay as they are. Trailing "!" and "|" are punctuation ("idiot!"), not "i".
    private static void ApplyLeet(Span<char> chars)
    {
        var i = 0;
        while (i < chars.Length)
        {
            if (!IsWordChar(chars[i]))
            {
                i++;
                continue;
            }
            var start = i;
            var hasLetter = false;
            while (i < chars.Length && IsWordChar(chars[i]))
            {
                hasLetter |= char.IsLetter(chars[i]);
                i++;
            }
            if (!hasLetter)
            {
                continue;
            }
            var end = i;
            while (end > start && chars[end - 1] is '!' or '|')
            {
                end--;
            }
            for (var k = start; k < end; k++)
            {
                chars[k] = Leet(chars[k]);
            }
        }
    }

    private static char Leet(char c) => c switch
    {
        '0' => 'o',
        '1' or '!' or '|' => 'i',
        '3' => 'e',
        '4' or '@' => 'a',
        '5' or '$' => 's',
        '7' => 't',
        '8' => 'b',
        _ => c,
    };

    private static string CollapseWhitespace(StringBuilder text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var chunk in text.GetChunks())
        {
            foreach (var c in chunk.Span)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = builder.Length > 0;
                    continue;
                }
                if (pendingSpace)
                {
                    builder.Append(' ');
                    pendingSpace = false;
                }
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    // Normalize maps every other ':' to a space, so "url:" only ever starts a URL token.
    private static bool IsUrlTokenAt(string text, int i) =>
        text.AsSpan(i).StartsWith(UrlTokenPrefix, StringComparison.Ordinal);

    // Spacing marks are part of words in scripts such as Devanagari.
    private static bool IsTokenChar(char c) =>
        char.IsLetterOrDigit(c) || c == '\'' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpacingCombiningMark;
}
