using System.Globalization;

namespace Comments.Benchmarks;

/// <summary>Command-line options; deploy/bench.sh passes the addresses and pids of what it started.</summary>
public sealed record BenchOptions(
    Uri Api,
    Uri Reader,
    string Postgres,
    string Redis,
    int Concurrency,
    TimeSpan ReadDuration,
    int LiveRate,
    TimeSpan LiveDuration,
    TimeSpan LiveWarmup,
    int[] IngestRates,
    TimeSpan IngestDuration,
    IReadOnlyList<(string Name, int Pid)> Pids,
    IReadOnlyList<(string Name, int Pid)> ServerPids,
    string ResultsFolder)
{
    public static BenchOptions Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        string Get(string key, string fallback) => map.GetValueOrDefault(key, fallback);
        int Int(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        TimeSpan Seconds(string key, int fallback) => TimeSpan.FromSeconds(Int(key, fallback));

        return new BenchOptions(
            new Uri(Get("api", "http://127.0.0.1:5080")),
            new Uri(Get("reader", "http://127.0.0.1:5081")),
            Get("postgres", Environment.GetEnvironmentVariable("ConnectionStrings__postgres") ?? "Host=127.0.0.1;Username=comments;Password=comments;Database=comments"),
            Get("redis", Environment.GetEnvironmentVariable("ConnectionStrings__redis") ?? "127.0.0.1:6379"),
            Int("concurrency", 64),
            Seconds("read-seconds", 10),
            Int("live-rate", 200),
            Seconds("live-seconds", 30),
            Seconds("live-warmup-seconds", 3),
            Get("ingest-rates", "500,1000,2000,3000,3500,4000,4500,5000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray(),
            Seconds("ingest-seconds", 30),
            ParsePids(Get("pids", string.Empty)),
            ParsePids(Get("server-pids", string.Empty)),
            Get("results", Path.Combine(AppContext.BaseDirectory, "results")));
    }

    /// <summary><c>Name=pid,Name=pid</c>: the services (peak RSS and CPU) or the servers (CPU, with their child processes).</summary>
    private static List<(string Name, int Pid)> ParsePids(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('='))
        .Select(p => (p[0], int.Parse(p[1], CultureInfo.InvariantCulture)))
        .ToList();
}
