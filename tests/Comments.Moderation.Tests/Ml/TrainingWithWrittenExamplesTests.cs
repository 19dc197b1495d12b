using Comments.Moderation.Cli;
using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Ml;

/// <summary>train's cross-validation on small data of our own, with the project's written examples in the toxicity set.</summary>
public sealed class TrainingWithWrittenExamplesTests : IDisposable
{
    private static readonly TrainingPlan Without = new(
        new HashingSettings(14, 2, 2, 4), BucketScale.Idf, [0.1f, 0.3f], [0.1f], SpamOrdinaryNegatives: 40, SpamOrdinaryWeight: 0.05f,
        SpamScale: BucketScale.None, SpamLexicon: false, ToxicityTrees: new TreeBlendPlan(Trees: 5, Leaves: 4, LearningRate: 0.2, Weight: 0.3));

    private static readonly TrainingPlan With = Without with { WrittenToxicWeight = 0.1f, WrittenCleanWeight = 0.4f, WrittenTargetWeight = 0.2f };

    private readonly string data = Path.Combine(Path.GetTempPath(), "data-" + Guid.NewGuid().ToString("N"));

    public TrainingWithWrittenExamplesTests() => SmallTrainingData.Write(data);

    public void Dispose() => Directory.Delete(data, recursive: true);

    [Fact]
    public void WrittenExamplesTrainInEveryFoldButAreNeverScoredNorCountedInAFigure()
    {
        var without = new Training(Without, TextWriter.Null).CrossValidateAll(data);
        var with = new Training(With, TextWriter.Null).CrossValidateAll(data);

        var written = Enumerable.Range(0, with.Toxicity.Count).Where(i => with.Toxicity.Groups[i] == WrittenExamples.Group).ToArray();
        var shared = Enumerable.Range(0, with.Toxicity.Count).Except(written).ToArray();
        var rows = WrittenExamples.Load(0.1f, 0.4f, 0.2f).Rows;
        Assert.Equal(rows.Select(r => (r.Label, r.Weight)), written.Select(i => (with.Toxicity.Labels[i], with.Toxicity.Weights[i])));
        Assert.Equal([0.1f, 0.2f, 0.4f], rows.Select(r => r.Weight).Distinct().Order());
        // Never tested: no out-of-fold margin, in the linear model, the trees or the blend.
        Assert.All(written, i => Assert.Equal(ModelTrainer.TrainingOnly, with.ToxicityCv.Folds[i]));
        Assert.All(written, i => Assert.True(double.IsNaN(with.ToxicityCv.Margins[i])));
        Assert.All(written, i => Assert.True(double.IsNaN(with.ToxicityCv.Blend!.TreeMargins[i])));
        // Calibration and the blend's scaling are fitted on the shared rows alone: a NaN there would make every probability NaN.
        Assert.All(shared, i => Assert.True(double.IsFinite(with.ToxicityCv.Probabilities[i])));
        // The shared rows keep the folds they have without the written examples, so figures compare fold for fold...
        Assert.Equal(without.ToxicityCv.Folds, shared.Select(i => with.ToxicityCv.Folds[i]));
        // ...and the written examples changed the models those folds were scored by.
        Assert.NotEqual(without.ToxicityCv.Margins, shared.Select(i => with.ToxicityCv.Margins[i]));

        var card = Evaluation.Toxicity(with.Toxicity, with.ToxicityCv, ScoreThresholds.Default,
            Evaluation.Ordinary([0.1, 0.9], [false, true], [0, 1], [0, 0], [false, false], ScoreThresholds.Default, [0.9, 0.1], [true, false]));
        Assert.Equal((120, 30), (card.Rows, card.Positives));
        Assert.False(double.IsNaN(card.RocAuc));
        Assert.DoesNotContain(card.PerGroup, g => g.Group == WrittenExamples.Group);
        Assert.Contains("written examples in every training fold, never scored", card.Protocol, StringComparison.Ordinal);
        Assert.Contains(with.ToxicityFiles, f => f.Path.EndsWith(WrittenExamples.Group, StringComparison.Ordinal) && f.Rows == written.Length);
    }

    [Fact]
    public void TheSpamModelNeverSeesTheWrittenExamples()
    {
        var without = new Training(Without, TextWriter.Null).CrossValidateAll(data);
        var with = new Training(With, TextWriter.Null).CrossValidateAll(data);

        Assert.Equal(without.Spam.Count, with.Spam.Count);
        Assert.Equal(without.SpamCv.Margins, with.SpamCv.Margins);
    }

    [Fact]
    public void EvaluateRefusesModelsTrainedWithOtherWrittenExamplesThanThisBuildCarries()
    {
        var models = ShippedModels.CopyTo(Path.Combine(data, "models"));
        var cardPath = Path.Combine(models, ModelCard.FileName);
        var card = ModelCard.Read(cardPath);
        var files = card.Toxicity.TrainingData
            .Select(f => f.Path.EndsWith(WrittenExamples.Group, StringComparison.Ordinal) ? f with { Sha256 = new string('0', 64) } : f)
            .ToList();
        (card with { Toxicity = card.Toxicity with { TrainingData = files } }).Write(cardPath);

        var error = Assert.Throws<ArgumentException>(() => TrainCommand.Evaluate(CommandOptions.Parse(["--models", models, "--data", data]), TextWriter.Null));

        Assert.Contains("train again", error.Message, StringComparison.Ordinal);
    }
}
