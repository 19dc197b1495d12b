using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Text;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Ml;

/// <summary>
/// Static word-piece vectors distilled from a sentence encoder (all-MiniLM-L6-v2): every piece of
/// the encoder's WordPiece vocabulary was encoded once on its own (the <c>distill</c> tool), so a
/// comment's vector is the weighted mean of its pieces' vectors, L2-normalised: the encoder's
/// sense of words (synonyms, misspellings it splits into known pieces) at a table lookup's cost.
/// Stored as signed bytes with a scale per piece, plus a weight per piece (IDF over the training
/// texts, which holds back "the" and "of").
/// </summary>
public sealed class WordVectors
{
    public const string FileName = "word-vectors.bin";

    private const int MaxWordLength = 100;
    private static readonly byte[] Magic = "CMWV1\n"u8.ToArray();

    private readonly Dictionary<string, int> index;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup;
    private readonly sbyte[] values;
    private readonly float[] scales;
    private readonly float[] weights;
    // scale x weight per piece: a piece adds values x factor.
    private readonly float[] factors;
    // Longest piece in characters (without a "##" prefix): no longer candidate can match, so a hostile 100-letter word
    // costs 100 x this many lookups, not 100 x 100.
    private readonly int longestPiece;

    private WordVectors(string[] pieces, sbyte[] values, float[] scales, float[] weights, int dimensions, string hash)
    {
        Pieces = pieces;
        index = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (var i = 0; i < pieces.Length; i++)
        {
            if (!index.TryAdd(pieces[i], i))
            {
                throw new InvalidDataException($"Word vectors list the piece '{pieces[i]}' twice.");
            }
        }
        lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        longestPiece = pieces.Max(p => p.StartsWith("##", StringComparison.Ordinal) ? p.Length - 2 : p.Length);
        this.values = values;
        this.scales = scales;
        this.weights = weights;
        factors = new float[pieces.Length];
        for (var row = 0; row < pieces.Length; row++)
        {
            factors[row] = scales[row] * weights[row];
        }
        Dimensions = dimensions;
        Sha256 = hash;
    }

    public int Dimensions { get; }

    public IReadOnlyList<string> Pieces { get; }

    /// <summary>SHA-256 of the file's bytes: the model card records which table a model was trained with.</summary>
    public string Sha256 { get; }

    /// <summary>A piece's stored vector (before its weight), or null for a piece the table does not hold.</summary>
    public float[]? VectorOf(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (!index.TryGetValue(piece, out var row))
        {
            return null;
        }
        return [.. values.AsSpan(row * Dimensions, Dimensions).ToArray().Select(v => v * scales[row])];
    }

    /// <summary>Quantises float vectors (each row to signed bytes with its own scale).</summary>
    public static WordVectors Create(IReadOnlyList<string> pieces, IReadOnlyList<float[]> vectors, IReadOnlyList<float> weights)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(weights);
        if (pieces.Count == 0 || vectors.Count != pieces.Count || weights.Count != pieces.Count)
        {
            throw new ArgumentException("Pieces, vectors and weights must be non-empty and of one length.");
        }
        var dimensions = vectors[0].Length;
        var values = new sbyte[pieces.Count * dimensions];
        var scales = new float[pieces.Count];
        for (var row = 0; row < pieces.Count; row++)
        {
            var vector = vectors[row];
            if (vector.Length != dimensions)
            {
                throw new ArgumentException($"Vector {row} has {vector.Length} dimensions, not {dimensions}.");
            }
            var max = vector.Max(MathF.Abs);
            scales[row] = max > 0 ? max / 127f : 0;
            for (var j = 0; j < dimensions; j++)
            {
                values[row * dimensions + j] = max > 0 ? (sbyte)Math.Round(vector[j] / scales[row]) : (sbyte)0;
            }
        }
        var bytes = Serialize(pieces, values, scales, weights, dimensions);
        return new WordVectors([.. pieces], values, scales, [.. weights], dimensions, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    public void Write(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllBytes(path, Serialize(Pieces, values, scales, weights, Dimensions));
    }

    /// <summary>Reads a table; a missing, truncated or foreign file is an error naming the file.</summary>
    public static WordVectors Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Word vectors '{path}' not found.", path);
        }
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Reads a table from a file's bytes; <paramref name="path"/> names it in errors. A caller that has already
    /// hashed the bytes (and checked them against the card) passes the hash so it is not computed twice.
    /// </summary>
    public static WordVectors Parse(byte[] bytes, string path, string? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("not a word-vector table");
            }
            var count = reader.ReadInt32();
            var dimensions = reader.ReadInt32();
            // Each row holds at least a length byte, two floats and its values: a header promising more than the file holds is damaged.
            if (count is < 1 or > 1_000_000 || dimensions is < 1 or > 4096 || (long)count * (dimensions + 9) > bytes.Length)
            {
                throw new InvalidDataException($"implausible size {count} x {dimensions}");
            }
            var pieces = new string[count];
            var scales = new float[count];
            var weights = new float[count];
            var values = new sbyte[count * dimensions];
            for (var row = 0; row < count; row++)
            {
                pieces[row] = reader.ReadString();
                scales[row] = reader.ReadSingle();
                weights[row] = reader.ReadSingle();
                var raw = reader.ReadBytes(dimensions);
                if (raw.Length != dimensions || !float.IsFinite(scales[row]) || !float.IsFinite(weights[row]))
                {
                    throw new InvalidDataException($"row {row} is damaged");
                }
                Buffer.BlockCopy(raw, 0, values, row * dimensions, dimensions);
            }
            if (reader.BaseStream.Position != bytes.Length)
            {
                throw new InvalidDataException("trailing bytes");
            }
            return new WordVectors(pieces, values, scales, weights, dimensions, sha256 ?? Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or DecoderFallbackException or ArgumentException or FormatException or IOException)
        {
            throw new InvalidDataException($"Word vectors '{path}' are corrupt: {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>
    /// Writes the comment's vector into <paramref name="into"/> (length <see cref="Dimensions"/>):
    /// the weighted mean of the pieces of <paramref name="normalized"/>'s tokens, L2-normalised, all
    /// zero when no piece is known.
    /// </summary>
    public void Embed(string normalized, Span<float> into) => Embed(normalized, into, null);

    /// <summary>The rows of the pieces <paramref name="normalized"/> is made of, in order (for the weights' document counts).</summary>
    public List<int> PiecesOf(string normalized)
    {
        var pieces = new List<int>();
        Embed(normalized, new float[Dimensions], pieces);
        return pieces;
    }

    private void Embed(string normalized, Span<float> into, List<int>? seen)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (into.Length != Dimensions)
        {
            throw new ArgumentException($"Expected {Dimensions} values.", nameof(into));
        }
        into.Clear();
        Span<char> buffer = stackalloc char[MaxWordLength + 2];
        var position = 0;
        while (TextNormalizer.TryReadToken(normalized, ref position, out var range))
        {
            var token = normalized.AsSpan()[range];
            // Tokens are runs of letters, digits and inner apostrophes (and url:domain whole); as BERT's basic tokenizer
            // does, letters and digits make words and any other character ("'", ":", ".") is a piece of its own.
            // Unlike it, CJK characters are not split one by one (a run of them is matched greedily like any word).
            var start = 0;
            for (var i = 0; i <= token.Length; i++)
            {
                if (i < token.Length && char.IsLetterOrDigit(token[i]))
                {
                    continue;
                }
                if (i > start)
                {
                    AddWord(token[start..i], buffer, into, seen);
                }
                if (i < token.Length && lookup.TryGetValue(token.Slice(i, 1), out var symbol))
                {
                    Add(symbol, into, seen);
                }
                start = i + 1;
            }
        }
        float squares = 0;
        foreach (var value in into)
        {
            squares += value * value;
        }
        if (squares > 0)
        {
            var norm = MathF.Sqrt(squares);
            for (var j = 0; j < into.Length; j++)
            {
                into[j] /= norm;
            }
        }
    }

    // Greedy longest-match-first WordPiece; a word with an unknown stretch adds nothing (BERT makes it [UNK]).
    private void AddWord(ReadOnlySpan<char> word, Span<char> buffer, Span<float> into, List<int>? seen)
    {
        if (word.Length > MaxWordLength)
        {
            return;
        }
        Span<int> found = stackalloc int[word.Length];
        var count = 0;
        var start = 0;
        while (start < word.Length)
        {
            var match = -1;
            var end = Math.Min(word.Length, start + longestPiece);
            for (; end > start; end--)
            {
                ReadOnlySpan<char> candidate;
                if (start == 0)
                {
                    candidate = word[..end];
                }
                else
                {
                    buffer[0] = '#';
                    buffer[1] = '#';
                    word[start..end].CopyTo(buffer[2..]);
                    candidate = buffer[..(end - start + 2)];
                }
                if (lookup.TryGetValue(candidate, out var row))
                {
                    match = row;
                    break;
                }
            }
            if (match < 0)
            {
                return;
            }
            found[count++] = match;
            start = end;
        }
        foreach (var row in found[..count])
        {
            Add(row, into, seen);
        }
    }

    private void Add(int row, Span<float> into, List<int>? seen)
    {
        seen?.Add(row);
        var source = values.AsSpan(row * Dimensions, Dimensions);
        var factor = factors[row];
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // 32 bytes at a time, widened to four vectors of 8 floats: the same products and sums as the
            // scalar loop below (int-to-float is exact; one rounding for the product, one for the sum).
            var scale = Vector256.Create(factor);
            for (; j <= into.Length - 32; j += 32)
            {
                var (low, high) = Vector256.Widen(Vector256.Create<sbyte>(source[j..]));
                var (a, b) = Vector256.Widen(low);
                var (c, d) = Vector256.Widen(high);
                AddScaled(into[j..], a, scale);
                AddScaled(into[(j + 8)..], b, scale);
                AddScaled(into[(j + 16)..], c, scale);
                AddScaled(into[(j + 24)..], d, scale);
            }
        }
        for (; j < into.Length; j++)
        {
            into[j] += source[j] * factor;
        }
    }

    private static void AddScaled(Span<float> into, Vector256<int> values, Vector256<float> scale)
    {
        var product = Vector256.ConvertToSingle(values) * scale;
        (Vector256.Create<float>(into) + product).CopyTo(into);
    }

    private static byte[] Serialize(IReadOnlyList<string> pieces, sbyte[] values, float[] scales, IReadOnlyList<float> weights, int dimensions)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(pieces.Count);
            writer.Write(dimensions);
            for (var row = 0; row < pieces.Count; row++)
            {
                writer.Write(pieces[row]);
                writer.Write(scales[row]);
                writer.Write(weights[row]);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan(row * dimensions, dimensions)));
            }
        }
        return stream.ToArray();
    }
}
