using Comments.Moderation.Cli;
using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Ml;

/// <summary>train's cross-validation on small data sets we write, with and without a site's moderator decisions.</summary>
public sealed class TrainingWithSiteDecisionsTests : IDisposable
{
    private static readonly HashingSettings Small = new(14, 2, 2, 4);

    private static readonly TrainingPlan Plan = new(
        Small, BucketScale.Idf, [0.1f], [0.1f], SpamOrdinaryNegatives: 40, SpamOrdinaryWeight: 0.05f, SpamScale: BucketScale.None,
        SpamLexicon: false, ToxicityTrees: new TreeBlendPlan(Trees: 5, Leaves: 4, LearningRate: 0.2, Weight: 0.3), SiteDecisionWeight: 2);

    private readonly string data = Path.Combine(Path.GetTempPath(), "data-" + Guid.NewGuid().ToString("N"));

    public TrainingWithSiteDecisionsTests()
    {
        SmallTrainingData.Write(data);
        using (var writer = new StreamWriter(Path.Combine(data, "decisions.csv")))
        {
            Csv.WriteRecord(writer, SiteDecisions.Columns);
            for (var i = 0; i < 30; i++)
            {
                var (text, toxic, spam) = (i % 3) switch
                {
                    0 => ($"{SmallTrainingData.Nasty[i % 8]} reader {i}", "1", ""),
                    1 => ($"{SmallTrainingData.Ads[i % 8]} offer {i}", "", "1"),
                    _ => ($"{SmallTrainingData.Nice[i % 8]} reader {i}", "0", "0"),
                };
                Csv.WriteRecord(writer, [text, toxic, spam, "s", "x", "", "2026-11-28T00:00:00Z", i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }
        }
    }

    public void Dispose() => Directory.Delete(data, recursive: true);

    [Fact]
    public void ASitesDecisionsJoinBothModelsAsTheirOwnGroupAtThePlansWeight()
    {
        var decisions = Path.Combine(data, "decisions.csv");

        var result = new Training(Plan, TextWriter.Null).CrossValidateAll(data, decisions);

        const string group = "site decisions (decisions.csv)";
        var toxicityRows = Enumerable.Range(0, result.Toxicity.Count).Where(i => result.Toxicity.Groups[i] == group).ToArray();
        var spamRows = Enumerable.Range(0, result.Spam.Count).Where(i => result.Spam.Groups[i] == group).ToArray();
        Assert.Equal((20, 10), (toxicityRows.Length, toxicityRows.Count(i => result.Toxicity.Labels[i])));
        Assert.Equal((20, 10), (spamRows.Length, spamRows.Count(i => result.Spam.Labels[i])));
        Assert.All(toxicityRows, i => Assert.Equal(2f, result.Toxicity.Weights[i]));
        Assert.All(spamRows, i => Assert.Equal(2f, result.Spam.Weights[i]));
        // Scored out of fold like every other row, but spam is still calibrated and judged on held-out videos only.
        Assert.DoesNotContain(spamRows, i => double.IsNaN(result.SpamCv.Margins[i]));
        Assert.Equal(80, result.SpamEvaluationRows.Length);
        Assert.DoesNotContain(result.SpamEvaluationRows, i => result.Spam.Groups[i] == group);
        var file = Assert.Single(result.ToxicityFiles, f => f.Path == "decisions.csv");
        Assert.Equal((TrainingData.Sha256(decisions), 20, 10), (file.Sha256, file.Rows, file.Positives));
        Assert.Contains(result.SpamFiles, f => f.Path == "decisions.csv" && f.Rows == 20);
        var card = Evaluation.Toxicity(result.Toxicity, result.ToxicityCv, ScoreThresholds.Default,
            Evaluation.Ordinary([0.1, 0.9], [false, true], [0, 1], [0, 0], [false, false], ScoreThresholds.Default, [0.9, 0.1], [true, false]));
        Assert.Contains(card.PerGroup, g => g.Group == group && g.Rows == 20);
        Assert.Contains("moderator decisions", card.Protocol, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutASitesDecisionsTheSetsAreTheSharedDataAlone()
    {
        var result = new Training(Plan, TextWriter.Null).CrossValidateAll(data);

        Assert.Equal(120, result.Toxicity.Count);
        Assert.Equal(120, result.Spam.Count);
        Assert.Equal(2, result.ToxicityFiles.Count);
    }

    [Fact]
    public void EvaluateRefusesSiteDecisionsTheCardsModelsWereNotTrainedWith()
    {
        var options = CommandOptions.Parse(["--models", ShippedModels.Directory, "--data", data, "--site-decisions", Path.Combine(data, "decisions.csv")]);

        var error = Assert.Throws<ArgumentException>(() => TrainCommand.Evaluate(options, TextWriter.Null));

        Assert.Contains("without site decisions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateNeedsTheSameSiteDecisionsTheCardsModelsWereTrainedWith()
    {
        var models = ShippedModels.CopyTo(Path.Combine(data, "models"));
        var cardPath = Path.Combine(models, ModelCard.FileName);
        var card = ModelCard.Read(cardPath);
        var decisions = Path.Combine(data, "decisions.csv");
        var trainedWith = new DataFile("decisions.csv", TrainingData.Sha256(decisions), 20, 10) { Use = SiteDecisions.UsePrefix + " (export-decisions)" };
        (card with { Toxicity = card.Toxicity with { TrainingData = [.. card.Toxicity.TrainingData, trainedWith] } }).Write(cardPath);
        var other = Path.Combine(data, "other.csv");
        File.WriteAllText(other, "Text,Toxic,Spam\nhello,0,0\n");

        var missing = Assert.Throws<ArgumentException>(() => TrainCommand.Evaluate(CommandOptions.Parse(["--models", models, "--data", data]), TextWriter.Null));
        var wrong = Assert.Throws<ArgumentException>(() => TrainCommand.Evaluate(
            CommandOptions.Parse(["--models", models, "--data", data, "--site-decisions", other]), TextWriter.Null));

        Assert.Contains("--site-decisions", missing.Message, StringComparison.Ordinal);
        Assert.Contains("not the site decisions file", wrong.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("give their folder with --models", "--site-decisions", "decisions.csv")]
    [InlineData("no option --site-decision ", "--site-decision", "decisions.csv", "--models", "elsewhere")]
    [InlineData("give the file too", "--site-weight", "2", "--models", "elsewhere")]
    public void TrainRefusesWhatWouldSilentlyTrainTheWrongModelsOrWriteThemIntoTheRepository(string refusal, params string[] args)
    {
        var options = CommandOptions.Parse([.. args.Select(a => a == "elsewhere" ? Path.Combine(data, a) : a), "--data", data]);

        var error = Assert.Throws<ArgumentException>(() => TrainCommand.Run(options, TextWriter.Null));

        Assert.Contains(refusal, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(data, "elsewhere")));
    }
}
