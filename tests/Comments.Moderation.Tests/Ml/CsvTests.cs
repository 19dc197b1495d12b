using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class CsvTests
{
    private static List<string[]> Read(string text) => Csv.Read(new StringReader(text)).ToList();

    [Fact]
    public void ReadsQuotedFieldsThatSpanLines()
    {
        var records = Read("Id,Text\n1,\"first line\nsecond line\"\n2,plain\n");

        Assert.Equal(3, records.Count);
        Assert.Equal(["1", "first line\nsecond line"], records[1]);
        Assert.Equal(["2", "plain"], records[2]);
    }

    [Fact]
    public void ReadsDoubledQuotesAndCommasInsideQuotes()
    {
        var records = Read("Text\n\"she said \"\"no\"\", then left\"\n");

        Assert.Equal("she said \"no\", then left", records[1][0]);
    }

    [Fact]
    public void AcceptsCrLfRowEndsAndAMissingFinalLineBreak()
    {
        var records = Read("A,B\r\n1,2\r\n3,4");

        Assert.Equal([["A", "B"], ["1", "2"], ["3", "4"]], records);
    }

    [Fact]
    public void KeepsEmptyFields()
    {
        Assert.Equal(["", "x", ""], Read(",x,\n")[0]);
    }

    [Fact]
    public void RejectsAFileEndingInsideAQuotedField()
    {
        Assert.Throws<InvalidDataException>(() => Read("Text\n\"never closed\n"));
    }

    [Fact]
    public void WrittenRecordsReadBackUnchanged()
    {
        string[] fields = ["plain", "with, comma", "with \"quotes\"", "two\nlines", ""];
        var writer = new StringWriter();

        Csv.WriteRecord(writer, fields);

        Assert.Equal([fields], Read(writer.ToString()));
    }

    [Fact]
    public void TableRejectsARecordWithTheWrongNumberOfFields()
    {
        Assert.Throws<InvalidDataException>(() => Csv.ReadTable(new StringReader("A,B\n1,2,3\n"), "test"));
    }
}
