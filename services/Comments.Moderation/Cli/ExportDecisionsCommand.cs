using System.Globalization;
using Comments.Moderation.Ml;
using Comments.ServiceDefaults.Database;
using Microsoft.Extensions.Configuration;

namespace Comments.Moderation.Cli;

/// <summary>
/// export-decisions --output decisions.csv [--site ID[,ID…]] [--since 2026-01-01]: a site's moderator
/// decisions as training rows (<see cref="SiteDecisions"/>), for <c>train --site-decisions</c>. Reads
/// PostgreSQL through the worker's own configuration (<c>ConnectionStrings__postgres</c>). The file
/// holds comment bodies: the operator's data, never committed; nothing of it is printed or logged.
/// </summary>
public static class ExportDecisionsCommand
{
    public static async Task<int> RunAsync(CommandOptions options, IConfiguration configuration, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(output);
        options.AllowOnly("export-decisions", "output", "site", "since");
        var path = options.Get("output") ?? throw new ArgumentException("export-decisions needs --output <file.csv>.");
        var sites = options.Get("site")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        DateTimeOffset? since = null;
        if (options.Get("since") is { } sinceText)
        {
            // A bare date is midnight UTC; an offset given is honoured.
            since = DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed.ToUniversalTime()
                : throw new ArgumentException($"--since '{sinceText}' is not a date such as 2026-01-31 or 2026-01-31T12:00:00Z.");
        }
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString("postgres")))
        {
            throw new ArgumentException("export-decisions reads PostgreSQL: set ConnectionStrings__postgres.");
        }
        await using var dataSource = DatabaseExtensions.CreateDataSource(configuration);
        var full = Path.GetFullPath(path);
        var summary = await OutputFile.WriteAsync(full, writer => SiteDecisions.ExportAsync(dataSource, sites, since, writer, ct));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"wrote {summary.Rows} moderator decisions to {full}: {summary.Toxic} rejected as toxic, {summary.Spam} as spam, {summary.Clean} approved; " +
            $"{summary.LeftOut} left out (rejected for other reasons)"));
        return 0;
    }
}
