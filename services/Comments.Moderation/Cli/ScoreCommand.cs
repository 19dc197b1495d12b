using System.Globalization;
using System.Text;
using Comments.Moderation.Ml;
using Comments.Moderation.Moderation;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Cli;

/// <summary>
/// score: reads a CSV with a Text column and writes the same rows, in order, with Toxicity, Spam,
/// Decision and Reasons appended, under the default policy or the one given with --policy (a
/// site's policy JSON, to dry-run new thresholds over old comments). Streams: any size of file. A bad
/// record stops the run with its number and leaves no output file (an earlier one at --output stays).
/// </summary>
public static class ScoreCommand
{
    public static readonly string[] AddedColumns = ["Toxicity", "Spam", "Decision", "Reasons"];

    public static async Task<int> RunAsync(CommandOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var input = options.Get("input") ?? throw new ArgumentException("score needs --input <file.csv>.");
        var output = options.Get("output") ?? throw new ArgumentException("score needs --output <file.csv>.");
        if (!File.Exists(input))
        {
            throw new FileNotFoundException($"Input file {input} does not exist.", input);
        }
        var bundle = ModelBundle.Load(ModelCommands.InstalledModelsDirectory(options));
        var moderator = new CommentModerator([new RuleScorer(), new MlScorer(bundle)]);
        // The default policy as the worker has it with these models: the card's thresholds unless --policy sets others.
        var defaults = new ModerationOptions();
        defaults.DefaultThresholds.FillFrom(bundle.Card.Thresholds.AsThresholds());
        var policy = defaults.Resolve(options.Get("policy"));

        using var reader = new StreamReader(input, Encoding.UTF8);
        var rows = await OutputFile.WriteAsync(output, writer => Task.FromResult(Score(reader, writer, moderator, policy, input)));
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"scored {rows} rows with {moderator.ModelVersion} into {output}"));
        return 0;
    }

    /// <summary>Returns the number of data rows written.</summary>
    public static int Score(TextReader reader, TextWriter writer, CommentModerator moderator, SitePolicy policy, string source)
    {
        ArgumentNullException.ThrowIfNull(moderator);
        ArgumentNullException.ThrowIfNull(policy);
        using var records = Csv.Read(reader).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new InvalidDataException($"{source} is empty: a header row with a Text column is required.");
        }
        var header = records.Current;
        var text = Array.FindIndex(header, h => string.Equals(h.Trim(), "Text", StringComparison.OrdinalIgnoreCase));
        if (text < 0)
        {
            throw new InvalidDataException($"{source} has no Text column (columns: {string.Join(", ", header)}).");
        }
        Csv.WriteRecord(writer, [.. header, .. AddedColumns]);
        var count = 0;
        while (records.MoveNext())
        {
            var row = records.Current;
            if (row.Length == 1 && row[0].Length == 0 && header.Length > 1)
            {
                continue;
            }
            if (row.Length != header.Length)
            {
                throw new InvalidDataException($"{source}: record {count + 2} has {row.Length} fields, the header has {header.Length}.");
            }
            var decision = moderator.Decide(row[text], policy);
            Csv.WriteRecord(writer,
            [
                .. row,
                Probability(decision.Scores, MlScorer.ToxicityScore),
                Probability(decision.Scores, MlScorer.SpamScore),
                decision.Verdict.ToString().ToLowerInvariant(),
                string.Join("; ", decision.Reasons),
            ]);
            count++;
        }
        return count;
    }

    private static string Probability(IReadOnlyDictionary<string, double> scores, string key) =>
        scores.TryGetValue(key, out var value) ? value.ToString("0.0000", CultureInfo.InvariantCulture) : "";
}
