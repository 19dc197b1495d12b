using System.Buffers.Binary;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

namespace Comments.Moderation.Ml;

/// <summary>
/// The shipped toxicity and spam models with their card, loaded from a folder. Every file is
/// checked against the card's SHA-256, so a missing, truncated or swapped file fails loudly.
/// </summary>
public sealed class ModelBundle
{
    public const string ToxicityModelFile = "toxicity.zip";
    public const string ToxicityIdfFile = "toxicity.idf";
    public const string SpamModelFile = "spam.zip";
    public const string SpamIdfFile = "spam.idf";
    public const string ToxicityTreesFile = "toxicity-trees.zip";

    private ModelBundle(ModelCard card, LinearTextModel toxicity, TreeBlend? toxicityTrees, LinearTextModel spam)
    {
        Card = card;
        Toxicity = toxicity;
        ToxicityTrees = toxicityTrees;
        Spam = spam;
    }

    public ModelCard Card { get; }

    /// <summary>The toxicity model's linear half (all of it when <see cref="ToxicityTrees"/> is null).</summary>
    public LinearTextModel Toxicity { get; }

    /// <summary>The tree model averaged with <see cref="Toxicity"/>, when the card has one.</summary>
    public TreeBlend? ToxicityTrees { get; }

    public LinearTextModel Spam { get; }

    public string Version => Card.Version;

    /// <summary>Models/ beside the program (the build copies them there).</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "Models");

    /// <exception cref="ModelLoadException">A file is missing, corrupt or does not match the card.</exception>
    public static ModelBundle Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var cardPath = Path.Combine(directory, ModelCard.FileName);
        if (!File.Exists(cardPath))
        {
            throw new ModelLoadException($"Model card {Path.GetFullPath(cardPath)} is missing.");
        }
        ModelCard card;
        try
        {
            card = ModelCard.Read(cardPath);
        }
        catch (InvalidDataException e)
        {
            throw new ModelLoadException(e.Message, e);
        }
        var ml = new MLContext(ModelTrainer.Seed);
        var vectors = LoadVectors(directory, card);
        var toxicity = LoadModel(ml, directory, card.Toxicity, card.Hashing, vectors);
        if (card.Plan.ToxicityTrees is not null && card.Toxicity.Trees is null)
        {
            throw new ModelLoadException("The model card's plan blends a tree model into toxicity but the card names no tree file.");
        }
        var trees = card.Toxicity.Trees is { } treesEntry ? LoadTrees(ml, directory, treesEntry, card.Hashing) : null;
        var spam = LoadModel(ml, directory, card.Spam, card.Hashing, vectors);
        return new ModelBundle(card, toxicity, trees, spam);
    }

    /// <summary>The toxicity probability: the linear model's, or the blend's when there are trees.</summary>
    public double ToxicityProbability(TextFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return ToxicityTrees is { } trees ? trees.Probability(Toxicity.Score(features), features.Dense) : Toxicity.Probability(features);
    }

    /// <summary>A tree model named by the card, checked against its SHA-256 and the dense features it must read.</summary>
    public static TreeBlend LoadTrees(MLContext ml, string directory, TreeBlendCard entry, HashingSettings hashing)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(hashing);
        var path = Path.Combine(directory, entry.ModelFile);
        var bytes = ReadChecked(path, entry.ModelSha256);
        if (entry.Features != hashing.DenseCount)
        {
            throw new ModelLoadException($"Tree model {path} reads {entry.Features} dense features; the card's hashing settings have {hashing.DenseCount}.");
        }
        try
        {
            // ML.NET finds the loader of a saved FastTree model only in assemblies it was told about.
            ml.ComponentCatalog.RegisterAssembly(typeof(FastTreeBinaryModelParameters).Assembly);
            using var stream = new MemoryStream(bytes, writable: false);
            var model = ml.Model.Load(stream, out _);
            return new TreeBlend(TreeEnsemble.From(model, hashing.DenseCount), entry.LinearCoefficient, entry.TreeCoefficient,
                entry.Calibration.Slope, entry.Calibration.Offset);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelLoadException($"Tree model file {path} could not be read: {e.Message}", e);
        }
    }

    /// <summary>The word-vector table the card's features need, checked against the card; null when they need none.</summary>
    public static WordVectors? LoadVectors(string directory, ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (card.Hashing.VectorDimensions == 0)
        {
            return null;
        }
        if (card.WordVectors is not { } entry)
        {
            throw new ModelLoadException("The model card's features use word vectors but it names no word-vector file.");
        }
        var path = Path.Combine(directory, entry.File);
        var bytes = ReadChecked(path, entry.Sha256);
        try
        {
            var vectors = WordVectors.Parse(bytes, path, entry.Sha256.ToLowerInvariant());
            if (vectors.Dimensions != card.Hashing.VectorDimensions)
            {
                throw new ModelLoadException($"Word vectors {path} have {vectors.Dimensions} dimensions; the card's features need {card.Hashing.VectorDimensions}.");
            }
            return vectors;
        }
        catch (InvalidDataException e)
        {
            throw new ModelLoadException(e.Message, e);
        }
    }

    public static LinearTextModel LoadModel(MLContext ml, string directory, ModelEntry entry, HashingSettings hashing, WordVectors? vectors)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(entry);
        var modelPath = Path.Combine(directory, entry.ModelFile);
        var bytes = ReadChecked(modelPath, entry.ModelSha256);
        ITransformer model;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            model = ml.Model.Load(stream, out _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelLoadException($"Model file {modelPath} could not be read by ML.NET: {e.Message}", e);
        }
        float[] weights;
        float bias;
        double slope, offset;
        try
        {
            (weights, bias) = ModelTrainer.LinearParameters(model);
            (slope, offset) = ModelTrainer.PlattParameters(model);
        }
        catch (InvalidDataException e)
        {
            throw new ModelLoadException($"Model file {modelPath}: {e.Message}", e);
        }
        if (weights.Length != hashing.FeatureCount)
        {
            throw new ModelLoadException(
                $"Model file {modelPath} has {weights.Length} weights; the card's hashing settings need {hashing.FeatureCount}.");
        }
        float[]? idf = null;
        if (entry.IdfFile is not null)
        {
            var idfPath = Path.Combine(directory, entry.IdfFile);
            idf = ReadIdf(ReadChecked(idfPath, entry.IdfSha256), hashing.Buckets, idfPath);
        }
        return new LinearTextModel(hashing, idf, weights, bias, slope, offset, vectors);
    }

    internal static byte[] ReadChecked(string path, string? sha256)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"Model file {Path.GetFullPath(path)} is missing.");
        }
        var bytes = File.ReadAllBytes(path);
        var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException(
                $"Model file {Path.GetFullPath(path)} is corrupt or not the one the model card describes (SHA-256 {actual}, card says {sha256}).");
        }
        return bytes;
    }

    // "IDF1", bucket count, then one little-endian float per bucket.
    private static readonly byte[] IdfMagic = "IDF1"u8.ToArray();

    public static byte[] WriteIdf(float[] idf)
    {
        ArgumentNullException.ThrowIfNull(idf);
        var bytes = new byte[8 + idf.Length * 4];
        IdfMagic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), idf.Length);
        for (var i = 0; i < idf.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + i * 4), idf[i]);
        }
        return bytes;
    }

    private static float[] ReadIdf(byte[] bytes, int buckets, string path)
    {
        if (bytes.Length != 8 + buckets * 4 || !bytes.AsSpan(0, 4).SequenceEqual(IdfMagic)
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) != buckets)
        {
            throw new ModelLoadException($"IDF file {path} does not hold {buckets} values.");
        }
        var idf = new float[buckets];
        for (var i = 0; i < buckets; i++)
        {
            idf[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + i * 4));
        }
        return idf;
    }
}

/// <summary>The shipped models cannot be used; the worker must not start without them.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message) : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
