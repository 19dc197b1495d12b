using Comments.Moderation.Scoring;

namespace Comments.Moderation.Ml;

/// <summary>
/// How comment text becomes hashed n-gram counts. Stored in the model card: a model only makes
/// sense with the exact settings it was trained with.
/// </summary>
public sealed record HashingSettings(int HashBits, int WordNgrams, int CharMin, int CharMax)
{
    public static readonly HashingSettings Default = new(20, 2, 2, 5);

    public int Buckets => 1 << HashBits;

    /// <summary>Hashed buckets first, then the dense features.</summary>
    public int FeatureCount => Buckets + TextFeatures.DenseCount;
}

/// <summary>
/// The n-gram counts and dense signals of one comment, before any model-specific weighting.
/// Word 1..n-grams and character n-grams of the normalised text are hashed (FNV-1a over UTF-16
/// code units, then a murmur finaliser: stable across processes and machines) into two separate
/// count maps, so each block can be L2-normalised on its own.
/// </summary>
public sealed class TextFeatures
{
    public const int DenseCount = 10;

    public static readonly IReadOnlyList<string> DenseNames =
    [
        "links", "domains", "email", "phone", "capitals", "longest run", "length", "digits", "exclamations", "non-ascii",
    ];

    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;
    private const uint WordSeed = 0x9E3779B9;
    private const uint BigramSeed = 0x85EBCA6B;
    private const uint CharSeed = 0xC2B2AE35;

    private readonly HashingSettings settings;
    private readonly uint mask;

    public TextFeatures(HashingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.HashBits is < 10 or > 24 || settings.WordNgrams is < 0 or > 3
            || (settings.CharMax > 0 && (settings.CharMin < 1 || settings.CharMin > settings.CharMax || settings.CharMax > 8)))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings, "Unsupported hashing settings.");
        }
        this.settings = settings;
        mask = (uint)settings.Buckets - 1;
    }

    public HashingSettings Settings => settings;

    public CountMap Words { get; } = new();

    public CountMap Chars { get; } = new();

    public float[] Dense { get; } = new float[DenseCount];

    /// <summary>Replaces the contents with the features of <paramref name="text"/>.</summary>
    public void Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Words.Clear();
        Chars.Clear();
        var normalized = TextNormalizer.Normalize(text, out var links);
        if (settings.WordNgrams > 0)
        {
            AddWordNgrams(normalized);
        }
        if (settings.CharMax > 0)
        {
            AddCharNgrams(normalized);
        }
        AddDense(text, normalized, links);
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
