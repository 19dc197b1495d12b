namespace Comments.Moderation.Ml;

/// <summary>
/// The toxicity model's tree half and how it is added to the linear half: the blended margin is
/// LinearCoefficient · linear margin + TreeCoefficient · tree score, calibrated by its own Platt
/// parameters (all from the card, chosen on out-of-fold margins by <c>train</c>).
/// </summary>
public sealed record TreeBlend(TreeEnsemble Trees, double LinearCoefficient, double TreeCoefficient, double PlattSlope, double PlattOffset)
{
    /// <summary>The calibrated probability from the linear model's margin and the comment's dense features.</summary>
    public double Probability(float linearMargin, ReadOnlySpan<float> dense) =>
        1.0 / (1.0 + Math.Exp(PlattSlope * (LinearCoefficient * linearMargin + TreeCoefficient * Trees.Score(dense)) + PlattOffset));
}
