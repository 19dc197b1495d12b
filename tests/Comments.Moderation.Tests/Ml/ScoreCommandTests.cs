using Comments.Moderation.Cli;
using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class ScoreCommandTests : IDisposable
{
    private readonly string output = Path.Combine(Path.GetTempPath(), "scored-" + Guid.NewGuid().ToString("N") + ".csv");

    public void Dispose() => File.Delete(output);

    private async Task<List<string[]>> Score(params string[] extra)
    {
        var exit = await ModelCommands.RunAsync(["score", "--input", ShippedModels.DataFile("comments.csv"), "--output", output, .. extra]);
        Assert.Equal(0, exit);
        using var reader = new StreamReader(output);
        return Csv.Read(reader).ToList();
    }

    [Fact]
    public async Task KeepsEveryRowInOrderWithItsOriginalFields()
    {
        var input = Csv.ReadTable(ShippedModels.DataFile("comments.csv"));

        var rows = await Score();

        Assert.Equal(input.Rows.Count + 1, rows.Count);
        Assert.Equal([.. input.Header, "Toxicity", "Spam", "Decision", "Reasons"], rows[0]);
        for (var i = 0; i < input.Rows.Count; i++)
        {
            Assert.Equal(input.Rows[i], rows[i + 1][..input.Header.Count]);
        }
        Assert.Equal("A comment over\nthree lines,\nwith commas and \"quotes\"", rows[2][2]);
    }

    [Fact]
    public async Task WritesProbabilitiesAndADecisionForEveryRow()
    {
        var rows = await Score();

        Assert.All(rows.Skip(1), row =>
        {
            Assert.InRange(double.Parse(row[^4], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
            Assert.InRange(double.Parse(row[^3], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
            Assert.True(row[^2] is "approve" or "hold" or "reject", row[^2]);
        });
    }

    [Fact]
    public async Task FlagsTheToxicRowWithAReasonAndApprovesTheCleanOne()
    {
        var rows = await Score();

        Assert.Equal("approve", rows[1][^2]);
        Assert.NotEqual("approve", rows[3][^2]);
        Assert.StartsWith("toxicity ", rows[3][^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DryRunsASitePolicyGivenOnTheCommandLine()
    {
        var rows = await Score("--policy", """{"mode":"premoderate","thresholds":{"toxicityHold":1,"toxicityReject":1}}""");

        Assert.All(rows.Skip(1), row => Assert.NotEqual("approve", row[^2]));
        Assert.Equal("hold", rows[3][^2]);
    }

    [Fact]
    public async Task AFileWithoutATextColumnIsRejected()
    {
        var input = Path.Combine(Path.GetTempPath(), "no-text-" + Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(input, "Id,Body\n1,hello\n");
        try
        {
            Assert.Equal(2, await ModelCommands.RunAsync(["score", "--input", input, "--output", output]));
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Fact]
    public async Task ABadRecordLeavesNoHalfWrittenOutputAndAnEarlierOutputAsItWas()
    {
        var input = Path.Combine(Path.GetTempPath(), "bad-record-" + Guid.NewGuid().ToString("N") + ".csv");
        // The third data row has an unquoted comma: two fields under a one-column header.
        await File.WriteAllTextAsync(input, "Text\nFine comment.\nAnother one.\nShut up, you\nLast one.\n");
        try
        {
            Assert.Equal(2, await ModelCommands.RunAsync(["score", "--input", input, "--output", output]));
            Assert.False(File.Exists(output));

            await File.WriteAllTextAsync(output, "an earlier run's output\n");
            Assert.Equal(2, await ModelCommands.RunAsync(["score", "--input", input, "--output", output]));
            Assert.Equal("an earlier run's output\n", await File.ReadAllTextAsync(output));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, Path.GetFileName(output) + ".*.partial"));
        }
        finally
        {
            File.Delete(input);
        }
    }
}
