namespace Comments.EndToEnd.Tests;

/// <summary>
/// Browser tests start and stop their own moderation worker to observe the "awaiting moderation" state, so they run
/// alone: no other test's worker may be consuming the same queue meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserTestsRunAlone
{
    public const string Name = "browser";
}
