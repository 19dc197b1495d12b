using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class WrittenExamplesTests
{
    private const string Sample = """
        # a comment
        [groups]
        immigrants | immigrant
        Ukrainians | Ukrainian | a

        [toxic, for each group]
        {P} should leave.
        [clean, for each group]
        {a S} lives next door.
        the {S} shop opens at nine.
        [toxic]
        I will find you.
        [clean]
        good point.
        [things]
        policy
        [people]
        mayor
        prime minister
        [clean, for each thing]
        what a stupid {T}.
        [toxic, for each person]
        what a stupid {R}.
        [clean, for each person]
        the {R}'s plan is stupid.
        """;

    [Fact]
    public void WritesEachGroupSentenceOncePerGroupWithItsArticleAndACapitalLetter()
    {
        var rows = WrittenExamples.Expand(Sample, toxicWeight: 0.5f, cleanWeight: 2f, targetWeight: 0);

        Assert.Equal(
            [
                ("Immigrants should leave.", true), ("Ukrainians should leave.", true),
                ("An immigrant lives next door.", false), ("A Ukrainian lives next door.", false),
                ("The immigrant shop opens at nine.", false), ("The Ukrainian shop opens at nine.", false),
                ("I will find you.", true), ("Good point.", false),
            ],
            rows.Select(r => (r.Text, r.Label)));
        Assert.All(rows, r => Assert.Equal(r.Label ? 0.5f : 2f, r.Weight));
        Assert.All(rows, r => Assert.Equal(WrittenExamples.Group, r.Group));
    }

    [Fact]
    public void WritesEachThingAndPersonSentenceOnceForEachAtTheTargetWeight()
    {
        var rows = WrittenExamples.Expand(Sample, toxicWeight: 0.5f, cleanWeight: 2f, targetWeight: 3f);

        Assert.Equal(
            [
                ("What a stupid policy.", false, 3f),
                ("What a stupid mayor.", true, 3f), ("What a stupid prime minister.", true, 3f),
                ("The mayor's plan is stupid.", false, 3f), ("The prime minister's plan is stupid.", false, 3f),
            ],
            rows.Skip(8).Select(r => (r.Text, r.Label, r.Weight)));
        Assert.Equal(8, rows.Count(r => r.Weight != 3f));
    }

    [Theory]
    [InlineData("[groups]\nwomen | woman\n[praise]\nnice.", "unknown section [praise]")]
    [InlineData("women are fine.", "before any [section]")]
    [InlineData("[groups]\nwomen\n", "a group is 'plural | singular'")]
    [InlineData("[groups]\nwomen | woman | the\n", "a group is 'plural | singular'")]
    [InlineData("[groups]\nwomen | woman\n[toxic, for each group]\nThey should leave.", "needs {P}, {S} or {a S}")]
    [InlineData("[toxic]\n{P} should leave.", "placeholders belong in a 'for each' section")]
    [InlineData("[groups]\nwomen | woman\n[toxic, for each group]\n{P} and {Q} should leave.", "unknown placeholder")]
    [InlineData("[toxic, for each group]\n{P} should leave.", "no [groups]")]
    [InlineData("[clean, for each thing]\nWhat a stupid {T}.", "no [things]")]
    [InlineData("[toxic, for each person]\nWhat a stupid {R}.", "no [people]")]
    [InlineData("[things]\nlaw\n[clean, for each thing]\nThe {T} is stupid, says {a S}.", "needs {T} and no other placeholder")]
    [InlineData("[people]\nmayor\n[toxic, for each person]\nWhat a stupid man.", "needs {R} and no other placeholder")]
    [InlineData("[people]\nmayors | mayor\n", "line 2: an entry of [people] is one noun")]
    [InlineData("[things]\nlaw\nlaw\n", "line 3: an entry of [things] is one noun, once")]
    [InlineData("[toxic]\nGo away.\n[clean]\ngo away.", "line 4: 'Go away.' is also written by line 2")]
    [InlineData("[things]\nplan\n[people]\nplan\n[clean, for each thing]\nWhat a stupid {T}.\n[toxic, for each person]\nWhat a stupid {R}.", "'What a stupid plan.' is also written by line 6")]
    public void AMistakeInTheFileIsNamedWithItsLine(string text, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => WrittenExamples.Expand(text, 1, 1, 1));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShippedFileNamesEveryGroupInCleanSentencesOnlyAndHasNoSentenceTwice()
    {
        // Loading refuses a sentence written twice, so this also checks that the file has none.
        var (rows, file) = WrittenExamples.Load(toxicWeight: 1f, cleanWeight: 0.1f, targetWeight: 1f);
        var text = WrittenExamples.Text();
        var groupLines = text[(text.IndexOf("[groups]", StringComparison.Ordinal) + 8)..text.IndexOf("\n[", text.IndexOf("[groups]", StringComparison.Ordinal), StringComparison.Ordinal)]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToList();

        Assert.True(groupLines.Count > 40, $"{groupLines.Count} groups");
        Assert.Equal((rows.Count, rows.Count(r => r.Label)), (file.Rows, file.Positives));
        foreach (var group in groupLines)
        {
            // A name never makes a sentence hateful: hateful sentences say "they", and every name is in clean ones.
            Assert.DoesNotContain(rows, r => r.Label && (Names(r.Text, group[0]) || Names(r.Text, group[1])));
            Assert.Contains(rows, r => !r.Label && Names(r.Text, group[0]));
        }
        Assert.Contains(rows, r => r.Label);
        Assert.Matches("^[0-9a-f]{64}$", file.Sha256);
        Assert.Contains("never scored", file.Use, StringComparison.Ordinal);
    }

    private static bool Names(string sentence, string name) =>
        (" " + System.Text.RegularExpressions.Regex.Replace(sentence, "[^A-Za-z']", " ") + " ").Contains(" " + name + " ", StringComparison.OrdinalIgnoreCase);
}
