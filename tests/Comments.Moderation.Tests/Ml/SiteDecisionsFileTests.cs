using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

/// <summary>What a moderator's decision asserts, and an exported file read back as training rows.</summary>
public sealed class SiteDecisionsFileTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "decision-files-" + Guid.NewGuid().ToString("N"));

    public SiteDecisionsFileTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [InlineData("approve", null, false, false)]
    [InlineData("reject", "toxic", true, null)]
    [InlineData("reject", "spam", null, true)]
    [InlineData("reject", "off_topic", null, null)]
    [InlineData("reject", "personal_info", null, null)]
    [InlineData("reject", "author_banned", null, null)]
    public void AModeratorsActionAssertsOnlyWhatItSays(string action, string? reason, bool? toxic, bool? spam)
    {
        Assert.Equal((toxic, spam), SiteDecisions.Labels(action, reason));
    }

    [Fact]
    public void AnExportedFileGivesEachModelTheRowsLabelledForItAtTheWeight()
    {
        var path = Path.Combine(directory, "rows.csv");
        File.WriteAllText(path,
            "Text,Toxic,Spam,Site,Decision,Reason,DecidedAt,CommentId\n" +
            "\"Fine, thanks\nfor this\",0,0,s,approve,,2026-11-28T00:00:00Z,1\n" +
            "You are vermin,1,,s,reject,toxic,2026-11-28T00:00:00Z,2\n" +
            "Buy pills,,1,s,reject,spam,2026-11-28T00:00:00Z,3\n");

        var (toxicity, spam, toxicityFile, spamFile) = SiteDecisions.Load(path, 2.5f);

        Assert.Equal([("Fine, thanks\nfor this", false), ("You are vermin", true)], toxicity.Select(r => (r.Text, r.Label)));
        Assert.Equal([("Fine, thanks\nfor this", false), ("Buy pills", true)], spam.Select(r => (r.Text, r.Label)));
        Assert.All(toxicity.Concat(spam), r => Assert.Equal((2.5f, "site decisions (rows.csv)"), (r.Weight, r.Group)));
        Assert.Equal(("rows.csv", 2, 1), (toxicityFile.Path, toxicityFile.Rows, toxicityFile.Positives));
        Assert.Equal((2, 1), (spamFile.Rows, spamFile.Positives));
        Assert.Equal(TrainingData.Sha256(path), toxicityFile.Sha256);
        Assert.StartsWith(SiteDecisions.UsePrefix, toxicityFile.Use, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Text,Toxic,Spam\nhello,yes,\n", "row 1")]
    [InlineData("Text,Toxic,Spam\nhello,,\n", "no labelled rows")]
    [InlineData("Text,Spam\nhello,1\n", "Toxic")]
    public void AFileThatIsNotAnExportIsAClearError(string content, string expected)
    {
        var path = Path.Combine(directory, "bad.csv");
        File.WriteAllText(path, content);

        var error = Assert.Throws<InvalidDataException>(() => SiteDecisions.Load(path, 1));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileOrABadWeightIsAClearError()
    {
        var path = Path.Combine(directory, "ok.csv");
        File.WriteAllText(path, "Text,Toxic,Spam\nhello,0,0\n");

        Assert.Throws<FileNotFoundException>(() => SiteDecisions.Load(Path.Combine(directory, "none.csv"), 1));
        Assert.Throws<ArgumentException>(() => SiteDecisions.Load(path, 0));
        Assert.Throws<ArgumentException>(() => SiteDecisions.Load(path, float.NaN));
    }
}
