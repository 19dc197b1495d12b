using System.Collections.Concurrent;
using System.Globalization;

namespace Comments.Moderation.Scoring;

/// <summary>
/// Scores a comment against the site's banned/suspect word lists and link limit.
/// Compiled word lists are cached per instance, so register one instance for the process.
/// </summary>
public sealed class RuleScorer : ICommentScorer
{
    /// <summary>1 when any banned entry matched, else 0.</summary>
    public const string BannedScore = "rules.banned";

    /// <summary>1 when any suspect entry matched, else 0.</summary>
    public const string SuspectScore = "rules.suspect";

    /// <summary>
    /// min(1, links / (MaxLinks + 1)): 0 without links, below 1 while within the limit,
    /// exactly 1 from the first link over it.
    /// </summary>
    public const string LinksScore = "rules.links";

    // Sites mostly share a handful of lists; the bound only stops a flood of distinct lists
    // from growing memory. Clearing when full is enough: compiling a list costs microseconds.
    private const int MatcherCacheCapacity = 256;

    private readonly ConcurrentDictionary<WordListKey, WordListMatcher> matchers = new();

    public ScoreCard Score(string body, SitePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(policy);

        var tokens = new TokenizedText(TextNormalizer.Normalize(body, out var links));
        var findings = new List<Finding>();

        var banned = MatcherFor(policy.BannedWords).Matches(tokens);
        foreach (var entry in banned)
        {
            findings.Add(new Finding(Verdict.Reject, "banned word: " + entry));
        }
        var suspect = MatcherFor(policy.SuspectWords).Matches(tokens);
        foreach (var entry in suspect)
        {
            findings.Add(new Finding(Verdict.Hold, "suspect word: " + entry));
        }

        // A negative limit is a configuration mistake; treat it as "no links allowed".
        var maxLinks = Math.Max(0, policy.MaxLinks);
        if (links > maxLinks)
        {
            findings.Add(new Finding(Verdict.Hold, links.ToString(CultureInfo.InvariantCulture) + " links"));
        }

        var scores = new Dictionary<string, double>(3, StringComparer.Ordinal)
        {
            [BannedScore] = banned.Length > 0 ? 1 : 0,
            [SuspectScore] = suspect.Length > 0 ? 1 : 0,
            [LinksScore] = Math.Min(1, links / (maxLinks + 1.0)),
        };
        return new ScoreCard(scores, findings);
    }

    private WordListMatcher MatcherFor(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count == 0)
        {
            return WordListMatcher.Empty;
        }
        if (matchers.TryGetValue(new WordListKey(words), out var cached))
        {
            return cached;
        }
        // Copied so a caller mutating its list later cannot change a cached key.
        var snapshot = new WordListKey(words.ToArray());
        var compiled = WordListMatcher.Compile(snapshot.Words);
        if (matchers.Count >= MatcherCacheCapacity)
        {
            matchers.Clear();
        }
        matchers.TryAdd(snapshot, compiled);
        return compiled;
    }

    // Equal when the lists hold the same entries in the same order.
    private readonly struct WordListKey : IEquatable<WordListKey>
    {
        private readonly int hash;

        public WordListKey(IReadOnlyList<string> words)
        {
            Words = words;
            // Hashed on every Score call, so only lengths and end characters: Equals settles the rest.
            var hashCode = new HashCode();
            foreach (var word in words)
            {
                hashCode.Add(word.Length);
                if (word.Length > 0)
                {
                    hashCode.Add(word[0]);
                    hashCode.Add(word[^1]);
                }
            }
            hash = hashCode.ToHashCode();
        }

        public IReadOnlyList<string> Words { get; }

        public bool Equals(WordListKey other)
        {
            if (hash != other.hash || Words.Count != other.Words.Count)
            {
                return false;
            }
            for (var i = 0; i < Words.Count; i++)
            {
                if (!string.Equals(Words[i], other.Words[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is WordListKey other && Equals(other);

        public override int GetHashCode() => hash;
    }

    /// <summary>
    /// A word list compiled for whole-word matching of normalised tokens. Repeated letters are
    /// compared as runs: a token run matches an entry run of the same length, or a shorter one
    /// when the token stretches it to three or more letters. So "stuuupid" and "assss" match
    /// "stupid" and "ass", while "good" (an ordinary double letter) does not match "god".
    /// </summary>
    private sealed class WordListMatcher
    {
        public static readonly WordListMatcher Empty = new([], new Dictionary<string, Pattern[]>(StringComparer.Ordinal));

        private readonly string[] entries;
        private readonly Dictionary<string, Pattern[]>.AlternateLookup<ReadOnlySpan<char>> byFirstSkeleton;

        private WordListMatcher(string[] entries, Dictionary<string, Pattern[]> byFirstSkeleton)
        {
            this.entries = entries;
            this.byFirstSkeleton = byFirstSkeleton.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public static WordListMatcher Compile(IReadOnlyList<string> list)
        {
            var entries = new List<string>();
            var entryByNormalized = new Dictionary<string, int>(StringComparer.Ordinal);
            var patterns = new Dictionary<string, List<Pattern>>(StringComparer.Ordinal);
            foreach (var written in list)
            {
                var words = TextNormalizer.Tokens(TextNormalizer.Normalize(written));
                var normalized = string.Join(' ', words);
                // Entries that normalise alike ("idiot", "IDIOT", "1d10t") are one entry, reported as first written.
                if (words.Count == 0 || !entryByNormalized.TryAdd(normalized, entries.Count))
                {
                    continue;
                }
                var index = entries.Count;
                entries.Add(written);
                AddPattern(patterns, new Pattern(index, [.. words.Select(RunWord.Of)]));
                if (words.Count > 1)
                {
                    // "k i l l  y o u r s e l f" and "#killyourself" arrive as one token.
                    AddPattern(patterns, new Pattern(index, [RunWord.Of(string.Concat(words))]));
                }
            }
            return new WordListMatcher(
                [.. entries],
                patterns.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
        }

        /// <summary>Entries found in the text, each once, in list order.</summary>
        public string[] Matches(TokenizedText text)
        {
            if (entries.Length == 0)
            {
                return [];
            }
            bool[]? found = null;
            for (var i = 0; i < text.Count; i++)
            {
                if (!byFirstSkeleton.TryGetValue(text.Skeleton(i), out var candidates))
                {
                    continue;
                }
                foreach (var pattern in candidates)
                {
                    if (pattern.MatchesAt(text, i))
                    {
                        found ??= new bool[entries.Length];
                        found[pattern.Entry] = true;
                    }
                }
            }
            return found is null ? [] : [.. entries.Where((_, e) => found[e])];
        }

        private static void AddPattern(Dictionary<string, List<Pattern>> patterns, Pattern pattern)
        {
            var key = pattern.Words[0].Letters;
            if (!patterns.TryGetValue(key, out var list))
            {
                list = [];
                patterns.Add(key, list);
            }
            list.Add(pattern);
        }
    }

    // Normalised text split into tokens once per comment and shared by both lists; each token
    // also has its skeleton (letters with repeats collapsed), the key of WordListMatcher's index.
    private sealed class TokenizedText
    {
        private readonly string text;
        private readonly char[] skeletons;
        private readonly List<(Range Token, Range Skeleton)> tokens = [];

        public TokenizedText(string normalized)
        {
            text = normalized;
            skeletons = new char[normalized.Length];
            var skeletonLength = 0;
            var position = 0;
            while (TextNormalizer.TryReadToken(normalized, ref position, out var token))
            {
                var start = skeletonLength;
                skeletonLength += RunWord.WriteSkeleton(normalized.AsSpan()[token], skeletons.AsSpan(start));
                tokens.Add((token, start..skeletonLength));
            }
        }

        public int Count => tokens.Count;

        public ReadOnlySpan<char> Token(int index) => text.AsSpan()[tokens[index].Token];

        public ReadOnlySpan<char> Skeleton(int index) => skeletons.AsSpan()[tokens[index].Skeleton];
    }

    private sealed record Pattern(int Entry, RunWord[] Words)
    {
        public bool MatchesAt(TokenizedText text, int start)
        {
            if (start + Words.Length > text.Count)
            {
                return false;
            }
            for (var w = 0; w < Words.Length; w++)
            {
                if (!Words[w].Matches(text.Token(start + w)))
                {
                    return false;
                }
            }
            return true;
        }
    }

    // A word as runs of equal characters: "assss" is Letters "as" with Runs [1, 4].
    private sealed record RunWord(string Letters, int[] Runs)
    {
        public static RunWord Of(string word)
        {
            var letters = new char[word.Length];
            var runs = new int[word.Length];
            var count = 0;
            for (var i = 0; i < word.Length; i++)
            {
                if (i == 0 || word[i] != word[i - 1])
                {
                    letters[count++] = word[i];
                }
                runs[count - 1]++;
            }
            return new RunWord(new string(letters, 0, count), runs[..count]);
        }

        public static int WriteSkeleton(ReadOnlySpan<char> word, Span<char> destination)
        {
            var length = 0;
            for (var i = 0; i < word.Length; i++)
            {
                if (i == 0 || word[i] != word[i - 1])
                {
                    destination[length++] = word[i];
                }
            }
            return length;
        }

        public bool Matches(ReadOnlySpan<char> token)
        {
            var position = 0;
            for (var r = 0; r < Runs.Length; r++)
            {
                if (position >= token.Length || token[position] != Letters[r])
                {
                    return false;
                }
                var runEnd = position + 1;
                while (runEnd < token.Length && token[runEnd] == token[position])
                {
                    runEnd++;
                }
                var length = runEnd - position;
                if (length != Runs[r] && (length < 3 || length < Runs[r]))
                {
                    return false;
                }
                position = runEnd;
            }
            return position == token.Length;
        }
    }
}
