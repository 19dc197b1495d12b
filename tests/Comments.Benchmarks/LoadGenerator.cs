using System.Diagnostics;

namespace Comments.Benchmarks;

public sealed record LoadResult(long Requests, long Errors, double Seconds, double[] LatenciesMs)
{
    public double RequestsPerSecond => Requests / Seconds;

    public double Percentile(double p) => Stats.Percentile(LatenciesMs, p);

    public static LoadResult Combine(IReadOnlyList<LoadResult> parts) =>
        new(parts.Sum(r => r.Requests), parts.Sum(r => r.Errors), parts.Sum(r => r.Seconds), [.. parts.SelectMany(r => r.LatenciesMs)]);
}

/// <summary>A closed-loop HTTP load generator: a fixed number of connections, each sending its next request when the last answered.</summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(HttpClient client, Uri url, int concurrency, TimeSpan duration, TimeSpan warmup)
    {
        await RunLoopsAsync(client, url, concurrency, warmup, record: null);
        var samples = new List<double>[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            samples[i] = new List<double>(100_000);
        }

        var clock = Stopwatch.StartNew();
        var errors = await RunLoopsAsync(client, url, concurrency, duration, samples);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = samples.SelectMany(s => s).ToArray();
        return new LoadResult(all.Length, errors, seconds, all);
    }

    private static async Task<long> RunLoopsAsync(HttpClient client, Uri url, int concurrency, TimeSpan duration, List<double>[]? record)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long errors = 0;
        var loops = Enumerable.Range(0, concurrency).Select(async i =>
        {
            var buffer = new byte[64 * 1024];
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                    await using var body = await response.Content.ReadAsStreamAsync();
                    while (await body.ReadAsync(buffer) > 0)
                    {
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                record?[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        });
        await Task.WhenAll(loops);
        return errors;
    }
}

public static class Stats
{
    public static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
