using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

public sealed class TextFeaturesTests
{
    private static readonly HashingSettings Settings = HashingSettings.Default;

    private static TextFeatures Extract(string text)
    {
        var features = new TextFeatures(Settings);
        features.Extract(text);
        return features;
    }

    private static SortedDictionary<int, float> Counts(CountMap map)
    {
        var counts = new SortedDictionary<int, float>();
        for (var i = 0; i < map.Count; i++)
        {
            counts[map.KeyAt(i)] = map.CountAt(i);
        }
        return counts;
    }

    [Fact]
    public void SameTextGivesSameBucketsInSeparateInstances()
    {
        const string text = "The council voted 7-2 to close the bridge; see https://example.org/report.";

        var first = Extract(text);
        var second = Extract(text);

        Assert.NotEmpty(Counts(first.Words));
        Assert.Equal(Counts(first.Words), Counts(second.Words));
        Assert.Equal(Counts(first.Chars), Counts(second.Chars));
        Assert.Equal(first.Dense, second.Dense);
    }

    [Fact]
    public void HashingIsStableAcrossProcessesAndReleases()
    {
        // The shipped weights are indexed by these buckets: a change here silently breaks every model.
        var words = Counts(Extract("idiot").Words);

        Assert.Equal([(int)StableBucket("idiot")], words.Keys);
    }

    [Fact]
    public void ReusingAnInstanceForgetsThePreviousComment()
    {
        var features = new TextFeatures(Settings);
        features.Extract("a long comment about something entirely different");
        features.Extract("short");

        Assert.Equal(Counts(Extract("short").Words), Counts(features.Words));
        Assert.Equal(Counts(Extract("short").Chars), Counts(features.Chars));
    }

    [Fact]
    public void CountsRepeatedWords()
    {
        var words = Extract("spam spam spam").Words;

        Assert.Contains(3f, Enumerable.Range(0, words.Count).Select(words.CountAt));
    }

    [Fact]
    public void HostileSpellingsShareTheBucketsOfThePlainWord()
    {
        Assert.Equal(Counts(Extract("idiot").Words), Counts(Extract("1d10t").Words));
        Assert.Equal(Counts(Extract("idiot").Words), Counts(Extract("іdіоt").Words));
    }

    [Fact]
    public void DenseFeaturesSeeLinksEmailsPhonesAndShouting()
    {
        var plain = Extract("a quiet remark").Dense;
        var spam = Extract("CALL 555-123-4567 or mail win@prizes.example, http://a.example http://b.example").Dense;

        Assert.Equal(0, plain[0]);
        Assert.True(spam[0] > 0, "links");
        Assert.Equal(2, spam[1] * 3, 3);
        Assert.Equal(1, spam[2]);
        Assert.Equal(1, spam[3]);
        Assert.True(spam[4] > plain[4], "capitals");
    }

    [Fact]
    public void LexiconFeaturesCountInsultsAndWhetherTheyAreAimedAtTheReader()
    {
        var aimed = Extract("You are such an idiot.").Dense;
        var described = Extract("The villain is an idiot in the second act.").Dense;
        var polite = Extract("Thanks for the careful edit.").Dense;

        Assert.True(aimed[Insults] > 0, "insult");
        Assert.True(aimed[PersonalInsults] > 0, "aimed at the reader");
        Assert.True(described[Insults] > 0, "insult");
        Assert.Equal(0, described[PersonalInsults]);
        Assert.All(polite[TextFeatures.SignalCount..], value => Assert.Equal(0, value));
    }

    [Fact]
    public void LexiconFeaturesSeeThroughDisguisedSpellings()
    {
        Assert.True(Extract("you 1d10t").Dense[Insults] > 0, "leetspeak");
        Assert.True(Extract("f u c k this").Dense[Profanity] > 0, "spaced out");
        Assert.True(Extract("f u c k this").Dense[Disguised] > 0, "spaced out");
        Assert.True(Extract("what the f**k").Dense[Disguised] > 0, "masked");
        Assert.Equal(0, Extract("an idiot!").Dense[Disguised]);
        Assert.Equal(0, Extract("the 1990s and mp3 players").Dense[Insults]);
    }

    [Fact]
    public void LexiconFeaturesAreOnlyThereWhenTheSettingsAskForThem()
    {
        Assert.Equal(TextFeatures.SignalCount, new TextFeatures(Settings with { Lexicon = false }).Dense.Length);
        Assert.Equal(TextFeatures.SignalCount + TextFeatures.LexiconCount, new TextFeatures(Settings with { Lexicon = true }).Dense.Length);
        Assert.Equal(Settings.Buckets + TextFeatures.SignalCount, (Settings with { Lexicon = false }).FeatureCount);
    }

    private const int Insults = TextFeatures.SignalCount;
    private const int Profanity = TextFeatures.SignalCount + 2;
    private const int PersonalInsults = TextFeatures.SignalCount + 6;
    private const int Disguised = TextFeatures.SignalCount + 7;

    [Fact]
    public void RejectsUnsupportedSettings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextFeatures(new HashingSettings(30, 2, 2, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextFeatures(new HashingSettings(20, 2, 5, 2)));
    }

    // FNV-1a over UTF-16 code units, word seed, murmur3 fmix32, masked: written out independently of the code under test.
    private static uint StableBucket(string word)
    {
        var hash = 2166136261u;
        foreach (var c in word)
        {
            hash = (hash ^ c) * 16777619u;
        }
        hash ^= 0x9E3779B9;
        hash ^= hash >> 16;
        hash *= 0x85EBCA6B;
        hash ^= hash >> 13;
        hash *= 0xC2B2AE35;
        hash ^= hash >> 16;
        return hash & ((1u << Settings.HashBits) - 1);
    }
}
