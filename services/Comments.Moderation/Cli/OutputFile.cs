using System.Text;

namespace Comments.Moderation.Cli;

/// <summary>
/// Writes a command's output file beside its target under a name of its own and moves it into place
/// only when the whole file is written, so a failed or cancelled run leaves no half-written file (of
/// comment bodies) behind and an earlier file at the target stays as it was.
/// </summary>
public static class OutputFile
{
    public static async Task<T> WriteAsync<T>(string path, Func<TextWriter, Task<T>> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var partial = full + "." + Guid.NewGuid().ToString("N") + ".partial";
        try
        {
            T result;
            await using (var writer = new StreamWriter(
                new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None), new UTF8Encoding(false)))
            {
                result = await write(writer);
            }
            File.Move(partial, full, overwrite: true);
            return result;
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
