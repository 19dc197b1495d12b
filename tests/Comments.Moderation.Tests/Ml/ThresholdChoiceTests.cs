using Comments.Moderation.Ml;

namespace Comments.Moderation.Tests.Ml;

/// <summary>How train picks the default operating point from held-out scores.</summary>
public sealed class ThresholdChoiceTests
{
    // 2,000 clean comments spread over 0..0.8 and 40 toxic ones over 0.3..0.99; spam scores low except 10 clean ones.
    private static (double[] Toxicity, bool[] Toxic, double[] Spam, bool[] Rules) Ordinary()
    {
        var toxicity = Enumerable.Range(0, 2000).Select(i => 0.8 * i / 2000.0).Concat(Enumerable.Range(0, 40).Select(i => 0.3 + 0.69 * i / 40.0)).ToArray();
        var toxic = Enumerable.Range(0, 2040).Select(i => i >= 2000).ToArray();
        var spam = Enumerable.Range(0, 2040).Select(i => i % 200 == 0 ? 0.95 : 0.01).ToArray();
        return (toxicity, toxic, spam, new bool[2040]);
    }

    private static readonly double[] HeldOutSpam = [.. Enumerable.Repeat(0.9, 50), .. Enumerable.Repeat(0.2, 50)];
    private static readonly bool[] HeldOutLabels = [.. Enumerable.Repeat(true, 50), .. Enumerable.Repeat(false, 50)];

    private static double CleanShare(double[] scores, bool[] toxic, Func<int, bool> flagged) =>
        Enumerable.Range(0, scores.Length).Count(i => !toxic[i] && flagged(i)) / (double)toxic.Count(t => !t);

    [Fact]
    public void RejectThresholdKeepsCleanAutoRejectionsWithinBudgetAndIsTheLowestThatDoes()
    {
        var (toxicity, toxic, spam, rules) = Ordinary();

        var chosen = Training.ChooseThresholds(toxicity, toxic, spam, rules, HeldOutSpam, HeldOutLabels);

        Assert.True(CleanShare(toxicity, toxic, i => toxicity[i] >= chosen.ToxicityReject) <= 0.0025);
        Assert.True(CleanShare(toxicity, toxic, i => toxicity[i] >= chosen.ToxicityReject - 0.01) > 0.0025);
    }

    [Fact]
    public void HoldThresholdCountsSpamAndRuleHoldsAgainstTheModeratorsBudget()
    {
        var (toxicity, toxic, spam, rules) = Ordinary();

        var chosen = Training.ChooseThresholds(toxicity, toxic, spam, rules, HeldOutSpam, HeldOutLabels);

        bool Held(int i, double hold) => toxicity[i] >= hold || spam[i] >= chosen.SpamHold || rules[i];
        Assert.True(CleanShare(toxicity, toxic, i => Held(i, chosen.ToxicityHold)) <= 0.0175);
        Assert.True(CleanShare(toxicity, toxic, i => Held(i, chosen.ToxicityHold - 0.01)) > 0.0175);
        Assert.True(chosen.ToxicityHold <= chosen.ToxicityReject);
    }

    [Fact]
    public void SpamThresholdsStayAboveWhatOrdinaryCommentsReach()
    {
        var (toxicity, toxic, spam, rules) = Ordinary();

        var chosen = Training.ChooseThresholds(toxicity, toxic, spam, rules, HeldOutSpam, HeldOutLabels);

        // 0.5 % of clean comments score 0.95 for spam: more than either spam budget allows.
        Assert.True(chosen.SpamHold > 0.95);
        Assert.True(chosen.SpamHold <= chosen.SpamReject);
    }
}
