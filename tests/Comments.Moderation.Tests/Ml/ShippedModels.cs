using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

/// <summary>The committed models as the build copies them beside the tests; read-only, so loaded once.</summary>
internal static class ShippedModels
{
    private static readonly Lazy<ModelBundle> Loaded = new(() => ModelBundle.Load(ModelBundle.DefaultDirectory));

    public static ModelBundle Bundle => Loaded.Value;

    public static string Directory => ModelBundle.DefaultDirectory;

    /// <summary>Copies every shipped model file into <paramref name="directory"/> (created), for a test that changes them.</summary>
    public static string CopyTo(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        foreach (var file in System.IO.Directory.GetFiles(Directory))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
        return directory;
    }

    /// <summary>A file under tests/Comments.Moderation.Tests/Ml/Data in the source tree.</summary>
    public static string DataFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Comments.Moderation.Tests", "Ml", "Data", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"Test data file {name} not found above {AppContext.BaseDirectory}.");
    }
}
