namespace Comments.Tests.Fixtures;

/// <summary>A clock the test moves, so a delay measured by the code under test is passed without waiting for it.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    /// <summary>Now, to the whole millisecond: PostgreSQL keeps microseconds, so times read back compare exactly.</summary>
    public static ManualClock StartingNow() => new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
