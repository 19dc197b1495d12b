using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Ml;

public sealed class ModelCardTests
{
    private static ModelCard Card => ShippedModels.Bundle.Card;

    [Fact]
    public void DefaultThresholdsAreTheCardsOperatingPoint()
    {
        var t = Card.Thresholds;

        Assert.Equal(new ScoreThresholds(t.ToxicityHold, t.ToxicityReject, t.SpamHold, t.SpamReject), ScoreThresholds.Default);
    }

    [Fact]
    public void HoldThresholdsAreAtMostRejectThresholds()
    {
        Assert.True(Card.Thresholds.ToxicityHold <= Card.Thresholds.ToxicityReject);
        Assert.True(Card.Thresholds.SpamHold <= Card.Thresholds.SpamReject);
    }

    [Fact]
    public void RecordsEveryTrainingFileWithItsHashAndCounts()
    {
        foreach (var entry in new[] { Card.Toxicity, Card.Spam })
        {
            Assert.NotEmpty(entry.TrainingData);
            Assert.All(entry.TrainingData, file =>
            {
                Assert.Matches("^[0-9a-f]{64}$", file.Sha256);
                // A file used only for extra negatives says so.
                Assert.InRange(file.Positives, file.Use is null ? 1 : 0, file.Rows - 1);
            });
            Assert.Equal(entry.TrainingData.Sum(f => f.Rows), entry.TrainingRows);
        }
        Assert.Equal(
            [TrainingData.JigsawFile, TrainingData.OrdinaryTrafficFile, "services/Comments.Moderation/Ml/" + WrittenExamples.Group],
            Card.Toxicity.TrainingData.Select(f => f.Path));
    }

    [Fact]
    public void TheFiguresCountTheScoredRowsOnlyAndTheFunctionalTestsUseTheCardsThresholds()
    {
        var toxicity = Assert.IsType<EvaluationCard>(Card.Toxicity.Evaluation);
        var written = Card.Toxicity.TrainingData.Single(f => f.Path.EndsWith(WrittenExamples.Group, StringComparison.Ordinal));
        var functional = Assert.IsType<FunctionalTestsCard>(toxicity.FunctionalTests);

        Assert.Equal(Card.Toxicity.TrainingRows, toxicity.Rows + written.Rows);
        Assert.Equal((Card.Thresholds.ToxicityHold, Card.Thresholds.ToxicityReject), (functional.HoldThreshold, functional.RejectThreshold));
        Assert.Equal(functional.Cases, functional.PerFunctionality.Sum(f => f.Cases));
    }

    [Fact]
    public void TheShippedModelsWereTrainedOnTheWrittenExamplesThisBuildCarries()
    {
        var written = Card.Toxicity.TrainingData.Single(f => f.Path.EndsWith(WrittenExamples.Group, StringComparison.Ordinal));
        var (rows, file) = WrittenExamples.Load(Card.Plan.WrittenToxicWeight, Card.Plan.WrittenCleanWeight, Card.Plan.WrittenTargetWeight);

        // Editing Ml/written-examples.txt means training again (train), so the card says what the models learned from.
        Assert.Equal(file.Sha256, written.Sha256);
        Assert.Equal((rows.Count, rows.Count(r => r.Label)), (written.Rows, written.Positives));
        Assert.Equal(file.Use, written.Use);
    }

    [Fact]
    public void HoldsTheCrossValidatedFiguresOfBothModels()
    {
        var toxicity = Assert.IsType<EvaluationCard>(Card.Toxicity.Evaluation);
        var spam = Assert.IsType<EvaluationCard>(Card.Spam.Evaluation);

        Assert.InRange(toxicity.RocAuc, 0.5, 1);
        Assert.NotNull(toxicity.OrdinaryTraffic);
        Assert.InRange(spam.RocAuc, 0.5, 1);
        Assert.Equal(["Psy", "KatyPerry", "LMFAO", "Eminem", "wikipedia"], spam.PerGroup.Select(g => g.Group));
    }

    [Fact]
    public void GivesSpamAccuracyAlsoWithCalibrationFittedWithoutTheHeldOutVideo()
    {
        var spam = Assert.IsType<EvaluationCard>(Card.Spam.Evaluation);

        Assert.InRange(Assert.IsType<double>(spam.AccuracyCrossFittedCalibration), 0.5, 1);
        Assert.Contains("evaluation rows only", Card.Spam.Calibration.FittedOn, StringComparison.Ordinal);
    }
}
