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
    internal static string Normalize(string text, out int links) => Normalize(text, out links, out _);

    /// <summary>
    /// Also counts the hostile spellings undone: homoglyphs folded, spaced-out words joined and
    /// leetspeak runs read (a model feature: disguise itself is a signal).
    /// </summary>
    internal static string Normalize(string text, out int links, out int folds)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = Clean(text);
        var output = new StringBuilder(cleaned.Length + 16);
        var wordsStart = 0;
        links = 0;
        folds = 0;
        foreach (var match in UrlPattern().EnumerateMatches(cleaned))
        {
            links++;
            var url = cleaned.AsSpan(match.Index, match.Length).TrimEnd(UrlTrailingPunctuation);
            AppendWords(output, cleaned.AsSpan(wordsStart, match.Index - wordsStart), ref folds);
            output.Append(' ').Append(UrlTokenPrefix).Append(Domain(url)).Append(' ');
            // Punctuation trimmed off the URL goes back to the words, like any sentence end.
            wordsStart = match.Index + url.Length;
        }
        AppendWords(output, cleaned.AsSpan(wordsStart), ref folds);
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
        var position = 0;
        while (TryReadToken(normalized, ref position, out var token))
        {
            tokens.Add(normalized[token]);
        }
        return tokens;
    }

    // Tokens without allocating them, for RuleScorer's hot path.
    internal static bool TryReadToken(string normalized, ref int position, out Range token)
    {
        while (position < normalized.Length)
        {
            var start = position;
            if (IsUrlTokenAt(normalized, position))
            {
                while (position < normalized.Length && !char.IsWhiteSpace(normalized[position]))
                {
                    position++;
                }
                token = start..position;
                return true;
            }
            if (!IsTokenChar(normalized[position]))
            {
                position++;
                continue;
            }
            while (position < normalized.Length && IsTokenChar(normalized[position]))
            {
                position++;
            }
            // Quotes around a word ('idiot') must not hide it.
            var end = position;
            while (start < end && normalized[start] == '\'')
            {
                start++;
            }
            while (end > start && normalized[end - 1] == '\'')
            {
                end--;
            }
            if (start < end)
            {
                token = start..end;
                return true;
            }
        }
        token = default;
        return false;
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

    private static readonly SearchValues<char> AsciiControls = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    // Compatibility forms, format characters (zero-width, soft hyphen, BOM, bidi controls),
    // control characters, case and accents. Lone surrogates are dropped so Normalize cannot throw.
    private static string Clean(string text)
    {
        // Most comments are plain ASCII: no compatibility forms or format characters.
        if (Ascii.IsValid(text))
        {
            var lower = text.ToLowerInvariant();
            return lower.AsSpan().ContainsAny(AsciiControls) ? WithoutAsciiControls(lower) : lower;
        }
        var chars = new char[text.Length];
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                // A pair is kept unless it is a format character (tag characters); a lone surrogate is dropped.
                if (char.IsSurrogatePair(text, i))
                {
                    if (CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])) != UnicodeCategory.Format)
                    {
                        chars[length++] = c;
                        chars[length++] = text[i + 1];
                    }
                    i++;
                }
                continue;
            }
            switch (char.GetUnicodeCategory(c))
            {
                case UnicodeCategory.Format:
                    break;
                case UnicodeCategory.Control:
                    if (char.IsWhiteSpace(c))
                    {
                        chars[length++] = ' ';
                    }
                    break;
                default:
                    chars[length++] = c;
                    break;
            }
        }
        // Lower case last: "İ" only becomes a lower-case "i" once its dot is stripped.
        return StripDiacritics(new string(chars, 0, length).Normalize(NormalizationForm.FormKC)).ToLowerInvariant();
    }

    private static string WithoutAsciiControls(string text)
    {
        var chars = new char[text.Length];
        var length = 0;
        foreach (var c in text)
        {
            if (!AsciiControls.Contains(c))
            {
                chars[length++] = c;
            }
            else if (char.IsWhiteSpace(c))
            {
                chars[length++] = ' ';
            }
        }
        return new string(chars, 0, length);
    }

    private static ReadOnlySpan<char> Domain(ReadOnlySpan<char> url)
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
        return url;
    }

    private static void AppendWords(StringBuilder output, ReadOnlySpan<char> segment, ref int folds)
    {
        if (segment.IsEmpty)
        {
            return;
        }
        char[] chars;
        if (Ascii.IsValid(segment))
        {
            chars = segment.ToArray();
            chars.AsSpan().Replace(':', ' ');
        }
        else
        {
            chars = segment.ToArray();
            for (var i = 0; i < chars.Length; i++)
            {
                var folded = FoldHomoglyph(chars[i]);
                folds += folded != chars[i] && char.IsLetter(folded) ? 1 : 0;
                chars[i] = folded;
            }
        }
        var length = JoinSpacedLettersAndReadLeet(chars, ref folds);
        output.Append(' ').Append(chars, 0, length).Append(' ');
    }

    private static string StripDiacritics(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var chars = new char[decomposed.Length];
        var length = 0;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark))
            {
                chars[length++] = c;
            }
        }
        return new string(chars, 0, length).Normalize(NormalizationForm.FormC);
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

    // One pass over runs of letters/digits/leet symbols, compacting in place; returns the new length.
    // Chains of at least three one-character runs ("f u c k", "s.h.1.t") with at least two real
    // letters are joined, so "1 2 3" and "e.g." stay apart. Leetspeak is read only in runs that
    // have a real letter, so "5,000", "$20" and "!!!" stay as they are.
    private static int JoinSpacedLettersAndReadLeet(Span<char> chars, ref int folds)
    {
        var write = 0;
        var read = 0;
        while (read < chars.Length)
        {
            if (!IsWordChar(chars[read]))
            {
                chars[write++] = chars[read++];
                continue;
            }
            var runStart = write;
            if (IsSpacedChainAt(chars, read, out var chainEnd))
            {
                for (; read < chainEnd; read++)
                {
                    if (!SpacingSeparators.Contains(chars[read]))
                    {
                        chars[write++] = chars[read];
                    }
                }
                ReadLeet(chars[runStart..write]);
                folds++;
                continue;
            }
            var hasLetter = false;
            var hasLeet = false;
            while (read < chars.Length && IsWordChar(chars[read]))
            {
                var c = chars[read++];
                hasLetter |= char.IsLetter(c);
                hasLeet |= LeetSymbols.Contains(c);
                chars[write++] = c;
            }
            if (hasLetter && hasLeet)
            {
                folds += ReadLeet(chars[runStart..write]) ? 1 : 0;
            }
        }
        return write;
    }

    // Called at the start of a run, so the left side is already a boundary.
    private static bool IsSpacedChainAt(ReadOnlySpan<char> chars, int start, out int chainEnd)
    {
        chainEnd = start + 1;
        if (!IsSingleItemAt(chars, start))
        {
            return false;
        }
        var items = 1;
        var letters = char.IsLetter(chars[start]) ? 1 : 0;
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
        return items >= 3 && letters >= 2;
    }

    private static bool IsSingleItemAt(ReadOnlySpan<char> chars, int i) =>
        (char.IsLetter(chars[i]) || LeetSymbols.Contains(chars[i]))
        && (i + 1 == chars.Length || !IsWordChar(chars[i + 1]));

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || LeetSymbols.Contains(c);

    // Trailing "!" and "|" are punctuation ("idiot!"), not "i". Returns whether anything was read as a letter.
    private static bool ReadLeet(Span<char> run)
    {
        var end = run.Length;
        while (end > 0 && run[end - 1] is '!' or '|')
        {
            end--;
        }
        var changed = false;
        for (var i = 0; i < end; i++)
        {
            var letter = Leet(run[i]);
            changed |= letter != run[i];
            run[i] = letter;
        }
        return changed;
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
        var chars = new char[text.Length];
        text.CopyTo(0, chars, text.Length);
        var length = 0;
        var pendingSpace = false;
        foreach (var c in chars)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = length > 0;
                continue;
            }
            if (pendingSpace)
            {
                chars[length++] = ' ';
                pendingSpace = false;
            }
            chars[length++] = c;
        }
        return new string(chars, 0, length);
    }

    // Normalize maps every other ':' to a space, so "url:" only ever starts a URL token.
    private static bool IsUrlTokenAt(string text, int i) =>
        text.AsSpan(i).StartsWith(UrlTokenPrefix, StringComparison.Ordinal);

    // Spacing marks are part of words in scripts such as Devanagari.
    private static bool IsTokenChar(char c) =>
        char.IsLetterOrDigit(c) || c == '\'' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpacingCombiningMark;
}
