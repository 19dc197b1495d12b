using System.Text;

namespace Comments.Moderation.Ml;

/// <summary>
/// RFC 4180 CSV: comma separated, fields with commas, quotes or line breaks wrapped in quotes,
/// inner quotes doubled. Quoted fields may span lines; CRLF and LF row ends are both accepted.
/// </summary>
public static class Csv
{
    /// <summary>Reads every record; the first one is the header when the file has one.</summary>
    public static IEnumerable<string[]> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var fieldStarted = false;
        var lineNumber = 1;
        int read;
        while ((read = reader.Read()) != -1)
        {
            var c = (char)read;
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        lineNumber++;
                    }
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 && !fieldStarted:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r' when reader.Peek() == '\n':
                    break;
                case '\n':
                    lineNumber++;
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    yield return fields.ToArray();
                    fields.Clear();
                    break;
                default:
                    // A stray quote inside an unquoted field is kept as text, as most writers produce it.
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }
        if (quoted)
        {
            throw new InvalidDataException($"CSV ends inside a quoted field (line {lineNumber}).");
        }
        if (fieldStarted || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return fields.ToArray();
        }
    }

    /// <summary>Reads a file with a header row into records keyed by column name.</summary>
    public static CsvTable ReadTable(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return ReadTable(reader, path);
    }

    public static CsvTable ReadTable(TextReader reader, string source)
    {
        using var records = Read(reader).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new InvalidDataException($"{source} is empty: a header row is required.");
        }
        var header = records.Current;
        var rows = new List<string[]>();
        while (records.MoveNext())
        {
            var row = records.Current;
            // A blank line at the end of a file is one empty field, not a row.
            if (row.Length == 1 && row[0].Length == 0 && header.Length > 1)
            {
                continue;
            }
            if (row.Length != header.Length)
            {
                throw new InvalidDataException(
                    $"{source}: record {rows.Count + 2} has {row.Length} fields, the header has {header.Length}.");
            }
            rows.Add(row);
        }
        return new CsvTable(header, rows);
    }

    public static void WriteRecord(TextWriter writer, IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(fields);
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }
            var value = fields[i];
            if (value.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                writer.Write('"');
                writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
                writer.Write('"');
            }
            else
            {
                writer.Write(value);
            }
        }
        // RFC 4180 ends records with CRLF (line breaks inside a quoted field stay as they were).
        writer.Write("\r\n");
    }
}

public sealed class CsvTable(string[] header, List<string[]> rows)
{
    public IReadOnlyList<string> Header { get; } = header;

    public IReadOnlyList<string[]> Rows { get; } = rows;

    public int Column(string name)
    {
        var index = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        return index >= 0
            ? index
            : throw new InvalidDataException($"The CSV has no '{name}' column (columns: {string.Join(", ", header)}).");
    }
}
