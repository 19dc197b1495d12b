using Comments.Moderation.Cli;
using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class HostedComparisonTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hosted-" + Guid.NewGuid().ToString("N"));

    public HostedComparisonTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void AThresholdWithinTheCleanBudgetCatchesThePositivesAboveTheFirstCleanScorePastIt()
    {
        // 100 clean comments, 2 may be flagged: the two at 0.9 are, the rest at 0.1 are not.
        var clean = Enumerable.Repeat(0.1, 98).Concat([0.9, 0.9]);
        double[] scores = [.. clean, 0.95, 0.9, 0.5, 0.05];
        bool[] labels = [.. Enumerable.Repeat(false, 100), true, true, true, true];

        Assert.Equal(0.75, HostedComparison.CaughtWithin(scores, labels, 0.02), 10);
    }

    [Fact]
    public void TiedCleanScoresOverTheBudgetAreNotLetOverTheThreshold()
    {
        // Three clean comments tie at 0.9 where only two may be flagged: the threshold must sit above 0.9.
        var clean = Enumerable.Repeat(0.1, 97).Concat([0.9, 0.9, 0.9]);
        double[] scores = [.. clean, 0.95, 0.9, 0.5];
        bool[] labels = [.. Enumerable.Repeat(false, 100), true, true, true];

        Assert.Equal(1 / 3.0, HostedComparison.CaughtWithin(scores, labels, 0.02), 10);
    }

    [Fact]
    public void RowsAreMatchedByIdAndThoseWithoutAHostedScoreAreCountedNotCompared()
    {
        string[] ids = ["a", "b", "c", "d", "e", "f"];
        double[] ours = [0.1, 0.2, 0.3, 0.8, 0.9, 0.95];
        bool[] toxic = [false, false, false, true, true, true];
        // The hosted model ranks one clean comment above a toxic one; "f" has no hosted score.
        var hosted = new Dictionary<string, double> { ["a"] = 0.1, ["b"] = 0.7, ["c"] = 0.2, ["d"] = 0.6, ["e"] = 0.9, ["x"] = 0.5 };

        var figures = HostedComparison.Compare("hosted", ids, ours, toxic, hosted, resamples: 200);

        Assert.Equal((5, 2, 1), (figures.Rows, figures.Toxic, figures.Unmatched));
        Assert.Equal(1, figures.Ours.RocAuc);
        Assert.Equal(5 / 6.0, figures.Hosted.RocAuc, 4);
        Assert.Equal(Math.Round(1 - 5 / 6.0, 4), figures.RocAucDifference);
        Assert.InRange(figures.RocAucDifference, figures.RocAucDifferenceLow, figures.RocAucDifferenceHigh);
        Assert.True(figures.RocAucDifferenceLow >= 0, "ours never ranks worse on any resample");
    }

    [Fact]
    public void AScoresFileForOtherRowsIsRefusedInsteadOfComparedOnNothing()
    {
        var error = Assert.Throws<InvalidDataException>(() => HostedComparison.Compare(
            "hosted", ["a", "b"], [0.1, 0.9], [false, true], new Dictionary<string, double> { ["z"] = 0.5 }));

        Assert.Contains("match 0 of 2 rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoresAreReadByIdFromACsvWithQuotedMultiLineTextColumns()
    {
        var path = Write("id,text,parent,label,api\r\n1.2.3,\"a comment, \"\"quoted\"\"\nover two lines\",parent,0,0.1323\r\n4.5.6,short,,1,0.38809999999999995\r\n");

        var scores = HostedComparison.ReadScores(path, "api");

        Assert.Equal(new Dictionary<string, double> { ["1.2.3"] = 0.1323, ["4.5.6"] = 0.38809999999999995 }, scores);
    }

    [Theory]
    [InlineData("id,api\n1,0.5\n2,1.5\n", "record 3: '1.5' in column 'api' is not a score between 0 and 1")]
    [InlineData("id,api\n1,0.5\n2,high\n", "record 3: 'high' in column 'api'")]
    [InlineData("id,api\n1,0.5\n1,0.6\n", "record 3: id '1' appears twice")]
    [InlineData("id,score\n1,0.5\n", "no 'api' column")]
    public void ABadScoresFileIsRefusedWithTheRecordAtFault(string content, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => HostedComparison.ReadScores(Write(content), "api"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateRefusesHostedOptionsWithoutTheirFileAndAMissingFileBeforeCrossValidating()
    {
        var withoutFile = CommandOptions.Parse(["--models", ShippedModels.Directory, "--data", folder, "--hosted-column", "api"]);
        var missing = CommandOptions.Parse(["--models", ShippedModels.Directory, "--data", folder, "--hosted-scores", Path.Combine(folder, "none.csv")]);

        var refused = Assert.Throws<ArgumentException>(() => TrainCommand.Evaluate(withoutFile, TextWriter.Null));
        // The data folder is empty: reaching the cross-validation would fail on the training files instead.
        var notFound = Assert.Throws<FileNotFoundException>(() => TrainCommand.Evaluate(missing, TextWriter.Null));

        Assert.Contains("give the file too", refused.Message, StringComparison.Ordinal);
        Assert.Contains("hosted-model scores file", notFound.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainAndEvaluateJoinTheHostedScoresToTheOrdinaryTrafficRowsByIdAndKeepThemInTheCard()
    {
        // Small data sets of our own (about a minute for train plus evaluate): the ordinary-traffic file's toxic rows are
        // irregular, so scores paired with the wrong rows would not rank them perfectly.
        var data = Path.Combine(folder, "data");
        var models = Path.Combine(folder, "models");
        Directory.CreateDirectory(models);
        File.Copy(Path.Combine(ShippedModels.Directory, WordVectors.FileName), Path.Combine(models, WordVectors.FileName));
        bool Toxic(int i) => i % 4 == 0 || i == 7 || i == 30;
        SmallTrainingData.Write(data, Toxic);
        var exact = Write("id,api\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"talk-{i},{(Toxic(i) ? "0.9" : "0.1")}\n")));
        var reversed = Write("id,api\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"talk-{i},{(Toxic(i) ? "0.1" : "0.9")}\n")));

        TrainCommand.Run(CommandOptions.Parse(["--data", data, "--models", models, "--hosted-scores", exact, "--hosted-name", "exact"]), TextWriter.Null);
        var trained = ModelCard.Read(Path.Combine(models, ModelCard.FileName)).Toxicity.Evaluation!.OrdinaryTraffic!.HostedModel!;
        TrainCommand.Evaluate(CommandOptions.Parse(["--data", data, "--models", models, "--hosted-scores", reversed]), TextWriter.Null);
        var evaluated = ModelCard.Read(Path.Combine(models, ModelCard.FileName)).Toxicity.Evaluation!.OrdinaryTraffic!.HostedModel!;

        Assert.Equal(("exact", 40, 12, 0, 1.0), (trained.Source, trained.Rows, trained.Toxic, trained.Unmatched, trained.Hosted.RocAuc));
        Assert.Equal((40, 12, 0.0), (evaluated.Rows, evaluated.Toxic, evaluated.Hosted.RocAuc));
        Assert.StartsWith("hosted model (", evaluated.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void TheComparisonIsPrintedWithBothScorersAndTheInterval()
    {
        var figures = HostedComparison.Compare(
            "Perspective API", ["a", "b", "c", "d"], [0.1, 0.2, 0.8, 0.9], [false, false, true, true],
            new Dictionary<string, double> { ["a"] = 0.3, ["b"] = 0.2, ["c"] = 0.1, ["d"] = 0.9 }, resamples: 100);
        var card = new EvaluationCard
        {
            Protocol = "p", Rows = 4, Positives = 2, RocAuc = 1, PrAuc = 1, AtThresholds = [],
            OrdinaryTraffic = new OperatingPoint
            {
                Data = "d", Rows = 4, Toxic = 2, RocAuc = 1, PrAuc = 1, ToxicAutoApproved = 0, ToxicRejected = 1,
                CleanHeldOrRejected = 0, CleanAutoRejected = 0, HostedModel = figures,
            },
        };
        using var output = new StringWriter();

        Evaluation.Print(output, "toxicity", card);

        var text = output.ToString();
        Assert.Contains("against Perspective API on the same 4 rows (2 toxic; 0 rows without a hosted score left out)", text, StringComparison.Ordinal);
        Assert.Contains("ours   ROC-AUC 1.0000", text, StringComparison.Ordinal);
        Assert.Contains("hosted ROC-AUC 0.5000", text, StringComparison.Ordinal);
        Assert.Contains("ROC-AUC ours - hosted +0.5000, 95 % paired bootstrap interval [", text, StringComparison.Ordinal);
    }

    private string Write(string content)
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(path, content);
        return path;
    }
}
