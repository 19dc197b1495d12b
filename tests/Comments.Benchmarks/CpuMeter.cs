using System.Globalization;

namespace Comments.Benchmarks;

/// <summary>
/// CPU time (user + system, from <c>/proc</c>) of named processes and all their descendants, living or exited, so a phase's cost can be
/// split by process: the services, PostgreSQL's backends, RabbitMQ, Redis and this load generator itself.
/// </summary>
public sealed class CpuMeter(IReadOnlyList<(string Name, int Pid)> roots)
{
    // USER_HZ is 100 on every Linux this runs on.
    private const double MillisecondsPerTick = 10.0;

    public Dictionary<string, long> Snapshot()
    {
        var processes = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // The command name may hold spaces and parentheses: fields are counted after its closing one.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // utime + stime, plus cutime + cstime: the time of children that exited and were reaped (a PostgreSQL
                // backend whose connection closed), which would otherwise vanish from the tree between two snapshots.
                processes[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture),
                    fields[11..15].Sum(field => long.Parse(field, CultureInfo.InvariantCulture)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // gone meanwhile
            }
        }

        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, root) in roots)
        {
            totals[name] = processes.Where(p => IsWithin(p.Key, root, processes)).Sum(p => p.Value.Ticks);
        }

        return totals;
    }

    private static bool IsWithin(int pid, int root, Dictionary<int, (int Parent, long Ticks)> processes)
    {
        for (var depth = 0; depth < 16 && pid > 1; depth++)
        {
            if (pid == root)
            {
                return true;
            }

            if (!processes.TryGetValue(pid, out var process))
            {
                return false;
            }

            pid = process.Parent;
        }

        return false;
    }

    /// <summary>Milliseconds of CPU per unit of work between two snapshots, by process, plus the total.</summary>
    public static string PerUnit(Dictionary<string, long> before, Dictionary<string, long> after, int units)
    {
        var parts = after.Select(p => (p.Key, Ms: (p.Value - before.GetValueOrDefault(p.Key)) * MillisecondsPerTick / Math.Max(1, units))).ToList();
        return string.Join(", ", parts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Ms:0.00}")))
            + string.Create(CultureInfo.InvariantCulture, $"; total {parts.Sum(p => p.Ms):0.00} ms");
    }
}
