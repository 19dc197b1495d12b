using Comments.Moderation.Moderation;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Tests.Ml;

/// <summary>Per-site thresholds merged over the configured defaults.</summary>
public sealed class ThresholdPolicyTests
{
    [Fact]
    public void ASiteWithoutThresholdsGetsTheDefaults()
    {
        var policy = new ModerationOptions().Resolve("""{"mode":"auto"}""");

        Assert.Equal(ScoreThresholds.Default, policy.Thresholds);
    }

    [Fact]
    public void ASiteOverridesOnlyTheThresholdsItSets()
    {
        var policy = new ModerationOptions().Resolve("""{"thresholds":{"toxicityHold":0.4,"spamReject":0.99}}""");

        Assert.Equal(ScoreThresholds.Default with { ToxicityHold = 0.4, SpamReject = 0.99 }, policy.Thresholds);
    }

    [Fact]
    public void ConfiguredDefaultsApplyWhereTheSiteIsSilent()
    {
        var options = new ModerationOptions { DefaultThresholds = new ThresholdOptions { ToxicityHold = 0.3, ToxicityReject = 0.8, SpamHold = 0.6, SpamReject = 0.95 } };

        Assert.Equal(new ScoreThresholds(0.3, 0.8, 0.6, 0.95), options.Resolve(null).Thresholds);
    }

    [Fact]
    public void TheModelCardsThresholdsFillOnlyThoseNotConfigured()
    {
        var options = new ModerationOptions { DefaultThresholds = new ThresholdOptions { ToxicityHold = 0.3 } };

        options.DefaultThresholds.FillFrom(new ScoreThresholds(0.11, 0.77, 0.33, 0.88));

        Assert.Equal(new ScoreThresholds(0.3, 0.77, 0.33, 0.88), options.Resolve(null).Thresholds);
        Assert.Equal(new ScoreThresholds(0.5, 0.77, 0.33, 0.88), options.Resolve("""{"thresholds":{"toxicityHold":0.5}}""").Thresholds);
    }

    [Fact]
    public void AStoredThresholdOutsideZeroToOneIsIgnored()
    {
        var policy = new ModerationOptions().Resolve("""{"thresholds":{"toxicityReject":7}}""");

        Assert.Equal(ScoreThresholds.Default.ToxicityReject, policy.Thresholds!.ToxicityReject);
    }

    [Fact]
    public void ConfiguredThresholdsWithHoldAboveRejectAreInvalid()
    {
        Assert.False(new ThresholdOptions { ToxicityHold = 0.9, ToxicityReject = 0.5 }.IsValid());
        Assert.True(new ThresholdOptions().IsValid());
    }
}
