using Comments.Api.Seeds;
using Comments.ServiceDefaults.Database;

namespace Comments.Api.Cli;

/// <summary>
/// Operator commands run by the same binary: <c>migrate</c> applies the schema, <c>seed DIR</c> imports demo data,
/// <c>admin ...</c> creates sites and moderators (<see cref="AdminCommands"/>).
/// Anything else (including the <c>--key=value</c> arguments a test host passes) starts the web service.
/// </summary>
public static class CommandLine
{
    public static bool IsCommand(string[] args) => args is ["migrate", ..] or ["seed", ..] or ["admin", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        await using var dataSource = DatabaseExtensions.CreateDataSource(configuration);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

        switch (args)
        {
            case ["migrate"]:
                var applied = await SchemaMigrator.MigrateAsync(dataSource, cts.Token);
                Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
                return 0;
            case ["seed", var folder]:
                var summary = await SeedImporter.ImportAsync(dataSource, folder, cts.Token);
                Console.WriteLine($"Seeded {summary.Sites} site(s), {summary.Articles} article(s), {summary.CommentsAdded} new comment(s).");
                return 0;
            case ["admin", "redrive", .. var redrive]:
                return await RedriveCommand.RunAsync(redrive, configuration, Console.Out, Console.Error, cts.Token);
            case ["admin", .. var admin]:
                return await AdminCommands.RunAsync(admin, dataSource, Console.Out, Console.Error, TimeProvider.System, cts.Token);
            default:
                await Console.Error.WriteLineAsync("Usage: Comments.Api migrate | Comments.Api seed <folder> | Comments.Api admin ...");
                return 2;
        }
    }
}
