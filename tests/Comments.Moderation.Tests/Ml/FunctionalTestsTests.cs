using Comments.Moderation.Cli;
using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class FunctionalTestsTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "functional-" + Guid.NewGuid().ToString("N"));

    public FunctionalTestsTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // HateCheck's layout: an unnamed index column first, quoted cases with commas and doubled quotes, a space before the comma.
    private string WriteSuite(params string[] records)
    {
        var path = Path.Combine(directory, "suite.csv");
        File.WriteAllText(path, ",functionality,case_id,test_case,label_gold,target_ident\n" + string.Join("\n", records) + "\n");
        return path;
    }

    [Fact]
    public void CountsTheCasesFlaggedAtTheHoldThresholdAndRejectedAsTheWorkerWouldPerFunctionalityAndPerGoldLabel()
    {
        var path = WriteSuite(
            "0,threat,1,You lot will pay. ,hateful,x",
            "1,threat,2,\"Watch out, you lot. \",hateful,x",
            "2,threat,3,We will visit you lot. ,hateful,x",
            "3,neutral,4,\"I said \"\"you lot\"\" once. \",non-hateful,x",
            "4,neutral,5,You lot are here. ,non-hateful,x");
        var scores = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["You lot will pay."] = 0.9,
            ["Watch out, you lot."] = 0.5,
            ["We will visit you lot."] = 0.1,
            ["I said \"you lot\" once."] = 0.95,
            ["You lot are here."] = 0.5,
        };

        // The quoting case reaches the reject threshold but the worker holds it (the quoted-words rule).
        var card = FunctionalTests.Run(path, text => (scores[text], scores[text] >= 0.9 && !text.Contains('"', StringComparison.Ordinal)), holdThreshold: 0.5, rejectThreshold: 0.9);

        Assert.Equal((5, 0.5, 0.9), (card.Cases, card.HoldThreshold, card.RejectThreshold));
        Assert.Equal((Math.Round(2 / 3.0, 4), 1.0), (card.HatefulFlagged, card.NonHatefulFlagged));
        Assert.Equal((Math.Round(1 / 3.0, 4), 0.0), (card.HatefulRejected, card.NonHatefulRejected));
        Assert.Equal((Math.Round(1 / 3.0, 4), 0.5), (card.HatefulRejectedByModel, card.NonHatefulRejectedByModel));
        Assert.Equal(
            [
                new FunctionalityFigure("threat", "hateful", 3, Math.Round(2 / 3.0, 4), Math.Round(1 / 3.0, 4), Math.Round(1 / 3.0, 4)),
                new FunctionalityFigure("neutral", "non-hateful", 2, 1, 0, 0.5),
            ],
            card.PerFunctionality);
        // Of the 6 hateful/non-hateful pairs, 1.5 ranked right: (0.9, 0.5), and the tie (0.5, 0.5) counts half.
        Assert.Equal(0.25, card.RocAuc);
        Assert.Equal(TrainingData.Sha256(path), card.Sha256);
    }

    [Fact]
    public void AGoldLabelOtherThanHatefulOrNonHatefulIsRefusedWithItsRecord()
    {
        var path = WriteSuite("0,threat,1,You lot will pay. ,hateful,x", "1,threat,2,Nice day. ,neutral,x");

        var error = Assert.Throws<InvalidDataException>(() => FunctionalTests.Read(path));

        Assert.Contains("record 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("'neutral'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateRefusesAMissingFunctionalTestsFileBeforeItCrossValidates()
    {
        var options = CommandOptions.Parse(["--models", ShippedModels.Directory, "--data", directory, "--functional-tests", Path.Combine(directory, "none.csv")]);

        // The data folder is empty: a cross-validation would fail on the missing training files instead.
        var error = Assert.Throws<FileNotFoundException>(() => TrainCommand.Evaluate(options, TextWriter.Null));

        Assert.Contains("functional tests file", error.Message, StringComparison.Ordinal);
    }
}
