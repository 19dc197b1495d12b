namespace Comments.EndToEnd.Tests;

/// <summary>
/// Browser and fault tests start, stop and kill their own moderation worker (to observe "awaiting moderation", or a
/// crash), so they run alone: no other test's worker may be consuming the same queue meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs-alone";
}
