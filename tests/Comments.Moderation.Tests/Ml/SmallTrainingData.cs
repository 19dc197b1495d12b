using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

/// <summary>
/// Training files of our own in the shared datasets' layout, small enough for train and evaluate in a test: 80 Jigsaw-style
/// rows and 40 ordinary-traffic rows (ids <c>talk-0</c> …) for toxicity, 80 comments over four videos for spam.
/// </summary>
internal static class SmallTrainingData
{
    public static readonly string[] Nice = ["thanks", "helpful", "clear", "good", "source", "agree", "article", "great"];
    public static readonly string[] Nasty = ["stupid", "idiot", "shut", "loser", "pathetic", "moron", "garbage", "hate"];
    public static readonly string[] Ads = ["subscribe", "channel", "check", "free", "money", "click", "visit", "win"];

    /// <param name="toxicTalk">Which ordinary-traffic rows are toxic; every fourth by default, like the Jigsaw rows.</param>
    public static void Write(string data, Func<int, bool>? toxicTalk = null)
    {
        toxicTalk ??= i => i % 4 == 0;
        Directory.CreateDirectory(Path.Combine(data, "toxicity"));
        Directory.CreateDirectory(Path.Combine(data, "spam"));
        using (var writer = new StreamWriter(Path.Combine(data, TrainingData.JigsawFile)))
        {
            Csv.WriteRecord(writer, ["Label", "Text"]);
            for (var i = 0; i < 80; i++)
            {
                Csv.WriteRecord(writer, [i % 4 == 0 ? "1" : "0", Talk(i, i % 4 == 0)]);
            }
        }
        using (var writer = new StreamWriter(Path.Combine(data, TrainingData.OrdinaryTrafficFile)))
        {
            Csv.WriteRecord(writer, ["Id", "Label", "Text"]);
            for (var i = 0; i < 40; i++)
            {
                Csv.WriteRecord(writer, [$"talk-{i}", toxicTalk(i) ? "1" : "0", Talk(i, toxicTalk(i))]);
            }
        }
        using (var writer = new StreamWriter(Path.Combine(data, TrainingData.YouTubeFile)))
        {
            Csv.WriteRecord(writer, ["Video", "Label", "Text"]);
            for (var i = 0; i < 80; i++)
            {
                var words = i % 2 == 0 ? Ads : Nice;
                Csv.WriteRecord(writer, [$"video{i % 4}", i % 2 == 0 ? "1" : "0", $"{words[i % 8]} {words[(i * 3) % 8]} song {i}"]);
            }
        }
    }

    private static string Talk(int i, bool toxic)
    {
        var words = toxic ? Nasty : Nice;
        return $"{words[i % 8]} {Nice[(i * 5) % 8]} {words[(i * 3) % 8]} talk {i}";
    }
}
