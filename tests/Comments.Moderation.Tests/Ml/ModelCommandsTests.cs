using Comments.Moderation.Cli;

namespace Comments.Moderation.Tests.Ml;

public sealed class ModelCommandsTests
{
    [Theory]
    [InlineData("train")]
    [InlineData("evaluate")]
    [InlineData("score")]
    [InlineData("bench")]
    [InlineData("compare")]
    [InlineData("export-decisions")]
    public void RecognisesSubCommands(string command)
    {
        Assert.True(ModelCommands.IsCommand([command, "--data", "x"]));
    }

    [Theory]
    [InlineData("--environment=Development")]
    [InlineData("--contentRoot")]
    [InlineData("Train")]
    [InlineData("score.csv")]
    public void LeavesHostArgumentsToTheWorker(string argument)
    {
        Assert.False(ModelCommands.IsCommand([argument, "score"]));
    }

    [Fact]
    public void LeavesNoArgumentsToTheWorker()
    {
        Assert.False(ModelCommands.IsCommand([]));
    }
}
