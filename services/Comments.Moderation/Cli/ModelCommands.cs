using System.Globalization;
using Comments.Moderation.Ml;
using Microsoft.Extensions.Configuration;

namespace Comments.Moderation.Cli;

/// <summary>
/// The operator sub-commands: train, evaluate, compare, score and bench (offline, no servers needed) and
/// export-decisions (reads a site's moderator decisions from PostgreSQL for train --site-decisions).
/// </summary>
public static class ModelCommands
{
    private static readonly string[] Commands = ["train", "evaluate", "compare", "score", "bench", "export-decisions"];

    // Only an exact sub-command name in first place: hosts pass "--environment=..." style arguments.
    public static bool IsCommand(string[] args) =>
        args is { Length: > 0 } && Commands.Contains(args[0], StringComparer.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            var options = CommandOptions.Parse(args.Skip(1).ToArray());
            return args[0] switch
            {
                "train" => TrainCommand.Run(options, Console.Out),
                "evaluate" => TrainCommand.Evaluate(options, Console.Out),
                "compare" => CompareCommand.Run(options, Console.Out),
                "score" => await ScoreCommand.RunAsync(options, Console.Out),
                "bench" => BenchCommand.Run(options, Console.Out),
                "export-decisions" => await ExportWithCtrlCAsync(options),
                _ => Usage(),
            };
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException
            or ModelLoadException or Npgsql.NpgsqlException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine(
            "usage: train|evaluate [--data DIR] [--models DIR] [--site-decisions FILE [--site-weight W]] " +
            "[--hosted-scores FILE [--hosted-column api] [--hosted-name NAME]] [--functional-tests FILE] | compare [--data DIR] | " +
            "score --input in.csv --output out.csv [--models DIR] [--policy JSON] | bench [--models DIR] [--data DIR] | " +
            "export-decisions --output FILE [--site ID[,ID]] [--since DATE]");
        return 2;
    }

    // Ctrl+C cancels the export (its partial file is then removed) instead of killing the process mid-write.
    private static async Task<int> ExportWithCtrlCAsync(CommandOptions options)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler handler = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += handler;
        try
        {
            return await ExportDecisionsCommand.RunAsync(options, Configuration(), Console.Out, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("export-decisions cancelled; no file written.");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= handler;
        }
    }

    // The worker's own settings: appsettings.json beside the program, then environment variables (ConnectionStrings__postgres).
    private static IConfiguration Configuration() => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();

    /// <summary>Where train and evaluate write: the source tree's Models folder, so the files can be committed.</summary>
    public static string SourceModelsDirectory(CommandOptions options)
    {
        if (options.Get("models") is { } explicitDirectory)
        {
            return Path.GetFullPath(explicitDirectory);
        }
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Comments.sln")))
            {
                return Path.Combine(dir.FullName, "services", "Comments.Moderation", "Models");
            }
        }
        throw new ArgumentException("Run from inside the repository or pass --models <folder>.");
    }

    /// <summary>Where score and bench read: --models, else the Models folder beside the program.</summary>
    internal static string InstalledModelsDirectory(CommandOptions options) =>
        options.Get("models") is { } directory ? Path.GetFullPath(directory) : ModelBundle.DefaultDirectory;

    public static string DataDirectory(CommandOptions options) =>
        options.Get("data") is { } directory ? Path.GetFullPath(directory) : TrainingData.DefaultDirectory();
}

/// <summary>--name value pairs after the sub-command.</summary>
public sealed class CommandOptions
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    public static CommandOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new CommandOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}': options are --name value.");
            }
            options.values[args[i][2..]] = args[++i];
        }
        return options;
    }

    public string? Get(string name) => values.GetValueOrDefault(name);

    /// <summary>Refuses any option not in <paramref name="known"/>: a mistyped one must not be silently ignored.</summary>
    public void AllowOnly(string command, params string[] known)
    {
        ArgumentNullException.ThrowIfNull(known);
        if (values.Keys.FirstOrDefault(name => !known.Contains(name, StringComparer.Ordinal)) is { } unknown)
        {
            throw new ArgumentException($"{command} has no option --{unknown} (options: {string.Join(", ", known.Select(k => "--" + k))}).");
        }
    }

    public int GetInt(string name, int fallback) =>
        Get(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
