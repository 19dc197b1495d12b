using System.Text.Json;
using System.Text.Json.Serialization;

namespace Comments.Moderation.Ml;

/// <summary>
/// What was trained, on which data, how well it does and which thresholds it ships with.
/// Written by <c>train</c> (and <c>evaluate</c> for the figures); read at start-up.
/// </summary>
public sealed record ModelCard
{
    public const string FileName = "model-card.json";

    public required string Version { get; init; }

    public required DateTimeOffset TrainedAt { get; init; }

    public required HashingSettings Hashing { get; init; }

    public required string Featurisation { get; init; }

    public required TrainingPlan Plan { get; init; }

    /// <summary>The static word-vector table both models' features read (null when they use none).</summary>
    public WordVectorsCard? WordVectors { get; init; }

    public required ModelEntry Toxicity { get; init; }

    public required ModelEntry Spam { get; init; }

    /// <summary>The default policy's thresholds, chosen on held-out (out-of-fold) predictions.</summary>
    public required ScoreThresholdsCard Thresholds { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A file for people to read, never embedded in HTML: "->" and "≥" stay as written.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public static ModelCard Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"Model card {path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model card {path} is not valid: {e.Message}", e);
        }
    }

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
}

public sealed record ModelEntry
{
    public required string ModelFile { get; init; }

    public required string ModelSha256 { get; init; }

    public string? IdfFile { get; init; }

    public string? IdfSha256 { get; init; }

    public required string Trainer { get; init; }

    public required IReadOnlyList<DataFile> TrainingData { get; init; }

    public required int TrainingRows { get; init; }

    /// <summary>The linear model's own calibration (in its zip too); with <see cref="Trees"/>, the blend's is <c>Trees.Calibration</c>.</summary>
    public required PlattCard Calibration { get; init; }

    /// <summary>A tree model averaged with the linear one (toxicity); null when the model is linear alone.</summary>
    public TreeBlendCard? Trees { get; init; }

    /// <summary>Cross-validated figures from <c>evaluate</c>; null until it has run.</summary>
    public EvaluationCard? Evaluation { get; init; }

    /// <summary>Cross-validated ROC-AUC of the alternatives compared at training time.</summary>
    public IReadOnlyList<Comparison> Comparisons { get; init; } = [];
}

public sealed record WordVectorsCard(string File, string Sha256, int Pieces, int Dimensions, string Source);

/// <summary>
/// The blend's tree half: a FastTree model over the <paramref name="Features"/> dense features, and the
/// blend's probability 1 / (1 + exp(slope · m + offset)) with m = LinearCoefficient · linear margin + TreeCoefficient · tree score.
/// </summary>
public sealed record TreeBlendCard(
    string ModelFile, string ModelSha256, string Trainer, int Features, double LinearCoefficient, double TreeCoefficient, PlattCard Calibration);

public sealed record PlattCard(double Slope, double Offset, string FittedOn);

public sealed record ScoreThresholdsCard(double ToxicityHold, double ToxicityReject, double SpamHold, double SpamReject, string ChosenOn)
{
    public Scoring.ScoreThresholds AsThresholds() => new(ToxicityHold, ToxicityReject, SpamHold, SpamReject);
}

public sealed record Comparison(string Candidate, double RocAuc, double? OrdinaryTrafficRocAuc, string Protocol);

public sealed record EvaluationCard
{
    public required string Protocol { get; init; }

    public required int Rows { get; init; }

    public required int Positives { get; init; }

    public required double RocAuc { get; init; }

    public required double PrAuc { get; init; }

    public double? Accuracy { get; init; }

    /// <summary>Accuracy with each held-out group's calibration fitted on the other groups only.</summary>
    public double? AccuracyCrossFittedCalibration { get; init; }

    public IReadOnlyList<GroupFigure> PerGroup { get; init; } = [];

    public required IReadOnlyList<ThresholdFigure> AtThresholds { get; init; }

    public OperatingPoint? OrdinaryTraffic { get; init; }

    /// <summary>The shipped model on a functional test suite, when evaluate or train was given one (--functional-tests).</summary>
    public FunctionalTestsCard? FunctionalTests { get; init; }
}

public sealed record GroupFigure(string Group, int Rows, double RocAuc, double Accuracy);

public sealed record ThresholdFigure(string Name, double Threshold, double Precision, double Recall, double FlaggedShareOfNegatives);

/// <summary>The default policy on the ordinary-traffic proxy, in shares of the held-out rows.</summary>
public sealed record OperatingPoint
{
    public required string Data { get; init; }

    public required int Rows { get; init; }

    public required int Toxic { get; init; }

    public required double RocAuc { get; init; }

    public required double PrAuc { get; init; }

    public required double ToxicAutoApproved { get; init; }

    public required double ToxicRejected { get; init; }

    public required double CleanHeldOrRejected { get; init; }

    public required double CleanAutoRejected { get; init; }

    /// <summary>The same shares with thresholds chosen on the other folds only (cross-fitted), a less optimistic check.</summary>
    public OperatingShares? CrossFitted { get; init; }

    public double? CleanHeldOrRejectedBySpamModel { get; init; }

    /// <summary>A hosted model's published scores on the same rows, when evaluate was given them (--hosted-scores).</summary>
    public HostedModelFigures? HostedModel { get; init; }
}

public sealed record OperatingShares(double ToxicAutoApproved, double CleanHeldOrRejected, double CleanAutoRejected);
