using Comments.Moderation.Scoring;

namespace Comments.Moderation.Ml;

/// <summary>
/// How comment text becomes hashed n-gram counts. Stored in the model card: a model only makes
/// sense with the exact settings it was trained with.
/// </summary>
public sealed record HashingSettings(int HashBits, int WordNgrams, int CharMin, int CharMax, bool Lexicon = false)
{
    /// <summary>Dimensions of the word-vector block (0: none); its values are the comment vector times <see cref="VectorScale"/>.</summary>
    public int VectorDimensions { get; init; }

    public float VectorScale { get; init; } = 1;

    public static readonly HashingSettings Default = new(20, 2, 2, 5, Lexicon: true);

    public int Buckets => 1 << HashBits;

    /// <summary>The signal features, the lexicon ones when <see cref="Lexicon"/> is on, then the word-vector block.</summary>
    public int DenseCount => TextFeatures.SignalCount + (Lexicon ? TextFeatures.LexiconCount : 0) + VectorDimensions;

    /// <summary>Where the word-vector block starts among the dense features.</summary>
    public int VectorOffset => TextFeatures.SignalCount + (Lexicon ? TextFeatures.LexiconCount : 0);

    /// <summary>Hashed buckets first, then the dense features.</summary>
    public int FeatureCount => Buckets + DenseCount;
}

/// <summary>
/// The n-gram counts and dense signals of one comment, before any model-specific weighting.
/// Word 1..n-grams and character n-grams of the normalised text are hashed (FNV-1a over UTF-16
/// code units, then a murmur finaliser: stable across processes and machines) into two separate
/// count maps, so each block can be L2-normalised on its own.
/// </summary>
public sealed class TextFeatures
{
    public const int SignalCount = 10;

    public const int LexiconCount = 8;

    public static readonly IReadOnlyList<string> DenseNames =
    [
        "links", "domains", "email", "phone", "capitals", "longest run", "length", "digits", "exclamations", "non-ascii",
        "insults", "rude words", "profanity", "slurs", "threats", "second person", "second person + insult", "disguised words",
    ];

    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;
    private const uint WordSeed = 0x9E3779B9;
    private const uint BigramSeed = 0x85EBCA6B;
    private const uint CharSeed = 0xC2B2AE35;

    private readonly HashingSettings settings;
    private readonly uint mask;

    private readonly WordVectors? vectors;

    public TextFeatures(HashingSettings settings, WordVectors? vectors = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.HashBits is < 10 or > 24 || settings.WordNgrams is < 0 or > 3
            || (settings.CharMax > 0 && (settings.CharMin < 1 || settings.CharMin > settings.CharMax || settings.CharMax > 8)))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings, "Unsupported hashing settings.");
        }
        if (settings.VectorDimensions > 0 && vectors?.Dimensions != settings.VectorDimensions)
        {
            throw new ArgumentException(
                $"These settings need word vectors of {settings.VectorDimensions} dimensions; got {(vectors is null ? "none" : vectors.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture))}.",
                nameof(vectors));
        }
        this.vectors = settings.VectorDimensions > 0 ? vectors : null;
        this.settings = settings;
        mask = (uint)settings.Buckets - 1;
        Dense = new float[settings.DenseCount];
    }

    public HashingSettings Settings => settings;

    public CountMap Words { get; } = new();

    public CountMap Chars { get; } = new();

    public float[] Dense { get; }

    /// <summary>Replaces the contents with the features of <paramref name="text"/>.</summary>
    public void Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Words.Clear();
        Chars.Clear();
        var normalized = TextNormalizer.Normalize(text, out var links, out var folds);
        if (settings.WordNgrams > 0)
        {
            AddWordNgrams(normalized);
        }
        if (settings.CharMax > 0)
        {
            AddCharNgrams(normalized);
        }
        AddDense(text, normalized, links);
        if (settings.Lexicon)
        {
            AddLexicon(text, normalized, folds);
        }
        if (vectors is not null)
        {
            var block = Dense.AsSpan(settings.VectorOffset, settings.VectorDimensions);
            vectors.Embed(normalized, block);
            if (settings.VectorScale != 1)
            {
                foreach (ref var value in block)
                {
                    value *= settings.VectorScale;
                }
            }
        }
    }

    public WordVectors? Vectors => vectors;

    // Counts of hand-listed words by kind, how personal the comment is, and disguise; each scaled to 0..1.
    private void AddLexicon(string text, string normalized, int folds)
    {
        Span<int> kinds = stackalloc int[7];
        int tokens = 0, personalInsults = 0, lastSecondPerson = -100;
        var position = 0;
        while (TextNormalizer.TryReadToken(normalized, ref position, out var range))
        {
            var kind = Lexicon.Of(normalized.AsSpan()[range]);
            kinds[(int)kind]++;
            if (kind == Lexicon.Kind.SecondPerson)
            {
                lastSecondPerson = tokens;
            }
            else if (kind is Lexicon.Kind.Insult or Lexicon.Kind.Profanity or Lexicon.Kind.Slur && tokens - lastSecondPerson <= 4)
            {
                // "you idiot", "you are such an idiot", "your stupid ...".
                personalInsults++;
            }
            tokens++;
        }
        var offset = SignalCount;
        Dense[offset] = LogScale(kinds[(int)Lexicon.Kind.Insult]);
        Dense[offset + 1] = LogScale(kinds[(int)Lexicon.Kind.Rude]);
        Dense[offset + 2] = LogScale(kinds[(int)Lexicon.Kind.Profanity]);
        Dense[offset + 3] = LogScale(kinds[(int)Lexicon.Kind.Slur]);
        Dense[offset + 4] = LogScale(kinds[(int)Lexicon.Kind.Threat]);
        Dense[offset + 5] = tokens == 0 ? 0 : Math.Min(1f, 5f * kinds[(int)Lexicon.Kind.SecondPerson] / tokens);
        Dense[offset + 6] = LogScale(personalInsults);
        Dense[offset + 7] = LogScale(folds + MaskedWords(text));
    }

    private static float LogScale(int count) => Math.Min(1f, MathF.Log(1 + count) / MathF.Log(6));

    // "f**k", "sh#t", "a$$": a letter, then a run of mask symbols, then a letter.
    private static int MaskedWords(string text)
    {
        var count = 0;
        for (var i = 1; i < text.Length - 1; i++)
        {
            if (text[i] is '*' or '#' && char.IsLetter(text[i - 1]))
            {
                var end = i;
                while (end < text.Length && text[end] is '*' or '#')
                {
                    end++;
                }
                if (end < text.Length && char.IsLetter(text[end]))
                {
                    count++;
                }
                i = end;
            }
        }
        return count;
    }

    private void AddWordNgrams(string normalized)
    {
        var position = 0;
        uint previous = 0, beforePrevious = 0;
        var count = 0;
        while (TextNormalizer.TryReadToken(normalized, ref position, out var range))
        {
            var token = normalized.AsSpan()[range];
            var hash = FnvOffset;
            foreach (var c in token)
            {
                hash = (hash ^ c) * FnvPrime;
            }
            Words.Add(Bucket(hash ^ WordSeed));
            if (settings.WordNgrams >= 2 && count >= 1)
            {
                Words.Add(Bucket((previous * 31 + hash) ^ BigramSeed));
            }
            if (settings.WordNgrams >= 3 && count >= 2)
            {
                Words.Add(Bucket(((beforePrevious * 31 + previous) * 31 + hash) ^ BigramSeed ^ WordSeed));
            }
            beforePrevious = previous;
            previous = hash;
            count++;
        }
    }

    // Over " text ", so word starts and ends are n-grams of their own ("sh" at a word start).
    private void AddCharNgrams(string normalized)
    {
        var length = normalized.Length + 2;
        for (var start = 0; start + settings.CharMin <= length; start++)
        {
            var hash = FnvOffset ^ CharSeed;
            var end = Math.Min(length, start + settings.CharMax);
            for (var i = start; i < end; i++)
            {
                var c = i == 0 || i == length - 1 ? ' ' : normalized[i - 1];
                hash = (hash ^ c) * FnvPrime;
                var n = i - start + 1;
                if (n >= settings.CharMin)
                {
                    Chars.Add(Bucket(hash + (uint)n));
                }
            }
        }
    }

    private int Bucket(uint hash) => (int)(Mix(hash) & mask);

    // murmur3 fmix32: FNV's low bits alone are poorly spread.
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }

    // Signals that matter for spam and shouting, each scaled to about 0..1 like the normalised n-gram blocks.
    private void AddDense(string text, string normalized, int links)
    {
        int letters = 0, capitals = 0, digits = 0, exclamations = 0, nonAscii = 0, longestRun = 0, run = 0;
        int phoneDigits = 0, phoneGap = 0;
        var phone = false;
        var email = false;
        var previous = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            run = c == previous ? run + 1 : 1;
            longestRun = Math.Max(longestRun, run);
            previous = c;
            if (char.IsLetter(c))
            {
                letters++;
                capitals += char.IsUpper(c) ? 1 : 0;
                nonAscii += c > 127 ? 1 : 0;
            }
            else if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c == '!')
            {
                exclamations++;
            }
            else if (c == '@' && i > 0 && char.IsLetterOrDigit(text[i - 1]) && LooksLikeDomainAt(text, i + 1))
            {
                email = true;
            }

            // Seven or more digits with at most single separators between them: a phone number.
            if (char.IsAsciiDigit(c))
            {
                phoneDigits++;
                phoneGap = 0;
                phone |= phoneDigits >= 7;
            }
            else if (phoneDigits > 0 && c is ' ' or '-' or '.' or '(' or ')' or '+' && phoneGap == 0)
            {
                phoneGap++;
            }
            else
            {
                phoneDigits = 0;
                phoneGap = 0;
            }
        }

        Dense[0] = MathF.Log(1 + links) / MathF.Log(11);
        Dense[1] = Math.Min(1f, CountDomains(normalized) / 3f);
        Dense[2] = email ? 1 : 0;
        Dense[3] = phone ? 1 : 0;
        Dense[4] = letters == 0 ? 0 : (float)capitals / letters;
        Dense[5] = Math.Min(1f, (longestRun - 1) / 9f);
        Dense[6] = MathF.Log(1 + text.Length) / MathF.Log(5001);
        Dense[7] = text.Length == 0 ? 0 : Math.Min(1f, 4f * digits / text.Length);
        Dense[8] = Math.Min(1f, exclamations / 5f);
        Dense[9] = letters == 0 ? 0 : (float)nonAscii / letters;
    }

    private static bool LooksLikeDomainAt(string text, int start)
    {
        var i = start;
        while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '-'))
        {
            i++;
        }
        return i > start && i + 2 < text.Length && text[i] == '.' && char.IsLetter(text[i + 1]);
    }

    private static int CountDomains(string normalized)
    {
        var count = 0;
        var seen = 0;
        var position = 0;
        while ((position = normalized.IndexOf(TextNormalizer.UrlTokenPrefix, position, StringComparison.Ordinal)) >= 0)
        {
            var end = normalized.IndexOf(' ', position);
            var domain = normalized.AsSpan(position, (end < 0 ? normalized.Length : end) - position);
            // A 32-bit set of domain hashes: exact enough for "how many different sites".
            var hash = FnvOffset;
            foreach (var c in domain)
            {
                hash = (hash ^ c) * FnvPrime;
            }
            var bit = 1 << (int)(Mix(hash) & 31);
            if ((seen & bit) == 0)
            {
                seen |= bit;
                count++;
            }
            position += domain.Length;
        }
        return count;
    }
}

/// <summary>An open-addressing map from bucket to count, reused across comments without allocating.</summary>
public sealed class CountMap
{
    private int[] keys = new int[256];
    private float[] counts = new float[256];
    private int[] used = new int[128];

    public int Count { get; private set; }

    public int KeyAt(int i) => keys[used[i]];

    public float CountAt(int i) => counts[used[i]];

    public void Clear()
    {
        for (var i = 0; i < Count; i++)
        {
            keys[used[i]] = -1;
        }
        Count = 0;
    }

    public void Add(int key)
    {
        if (Count * 2 >= keys.Length)
        {
            Grow();
        }
        var slotMask = keys.Length - 1;
        var slot = (key * -1640531535) & slotMask;
        while (true)
        {
            var existing = keys[slot];
            if (existing == key)
            {
                counts[slot]++;
                return;
            }
            if (existing == -1)
            {
                keys[slot] = key;
                counts[slot] = 1;
                used[Count++] = slot;
                return;
            }
            slot = (slot + 1) & slotMask;
        }
    }

    private void Grow()
    {
        var oldKeys = keys;
        var oldCounts = counts;
        var oldUsed = used;
        var oldCount = Count;
        keys = new int[oldKeys.Length * 2];
        Array.Fill(keys, -1);
        counts = new float[keys.Length];
        used = new int[keys.Length / 2];
        Count = 0;
        for (var i = 0; i < oldCount; i++)
        {
            var slot = oldUsed[i];
            var key = oldKeys[slot];
            var c = oldCounts[slot];
            Add(key);
            counts[used[Count - 1]] = c;
        }
    }

    public CountMap()
    {
        Array.Fill(keys, -1);
    }
}
