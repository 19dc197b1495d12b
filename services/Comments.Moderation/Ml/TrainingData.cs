using System.Globalization;
using System.Security.Cryptography;

namespace Comments.Moderation.Ml;

/// <summary>One labelled comment; Group is the source file (toxicity) or the video (spam). Weight scales its loss.</summary>
public sealed record LabelledText(string Text, bool Label, string Group, float Weight = 1);

/// <summary>A training file as the model card records it: rows used, and how, when not all of it as labelled.</summary>
public sealed record DataFile(string Path, string Sha256, int Rows, int Positives)
{
    public string? Use { get; init; }
}

/// <summary>Reads the shared datasets (see shared/datasets/README.md).</summary>
public static class TrainingData
{
    public const string JigsawFile = "toxicity/jigsaw_toxic_train.csv";
    public const string OrdinaryTrafficFile = "toxicity/wikipedia_talk_context_gc_train.csv";
    public const string YouTubeFile = "spam/youtube_spam_train.csv";

    public static IReadOnlyList<string> ToxicityFiles { get; } = [JigsawFile, OrdinaryTrafficFile];

    public static IReadOnlyList<string> SpamFiles { get; } = [YouTubeFile];

    /// <summary>Rows of the files in order; groupColumn null groups by file.</summary>
    public static (List<LabelledText> Rows, List<DataFile> Files) Load(string dataDirectory, IReadOnlyList<string> files, string? groupColumn)
    {
        ArgumentNullException.ThrowIfNull(files);
        var rows = new List<LabelledText>();
        var described = new List<DataFile>();
        foreach (var file in files)
        {
            var path = Path.Combine(dataDirectory, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Training file {path} is missing; pass --data <datasets folder>.", path);
            }
            var table = Csv.ReadTable(path);
            var label = table.Column("Label");
            var text = table.Column("Text");
            var group = groupColumn is null ? -1 : table.Column(groupColumn);
            var positives = 0;
            foreach (var row in table.Rows)
            {
                var isPositive = int.Parse(row[label], CultureInfo.InvariantCulture) == 1;
                positives += isPositive ? 1 : 0;
                rows.Add(new LabelledText(row[text], isPositive, group < 0 ? file : row[group]));
            }
            described.Add(new DataFile(file, Sha256(path), table.Rows.Count, positives));
        }
        return (rows, described);
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The datasets folder: <c>../shared/datasets</c> next to the repository root (the folder
    /// holding Comments.sln), searched upwards from the working directory and from the program.
    /// </summary>
    public static string DefaultDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Comments.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets"));
                }
            }
        }
        return Path.GetFullPath(Path.Combine("..", "shared", "datasets"));
    }
}
