namespace Comments.Tests.Fixtures;

public static class Eventually
{
    /// <summary>Polls until the probe returns a value, or fails the test with <paramref name="what"/> after the timeout.</summary>
    public static async Task<T> Within<T>(TimeSpan timeout, Func<Task<T?>> probe, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {timeout.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(50);
        }
    }
}
