using System.Globalization;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Ml;

/// <summary>Turns out-of-fold predictions into the card's figures and a printable report.</summary>
public static class Evaluation
{
    public static EvaluationCard Toxicity(FeaturizedCorpus corpus, CrossValidation cv, ScoreThresholds thresholds, OperatingPoint ordinary)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(cv);
        ArgumentNullException.ThrowIfNull(thresholds);
        // The written examples train in every fold and are never scored: no figure counts them.
        var scored = ModelTrainer.ScoredRows(cv.Folds);
        var probabilities = scored.Select(i => cv.Probabilities[i]).ToArray();
        var labels = scored.Select(i => corpus.Labels[i]).ToArray();
        var siteDecisions = scored.Any(i => !TrainingData.ToxicityFiles.Contains(corpus.Groups[i]));
        var written = scored.Length < corpus.Count;
        return new EvaluationCard
        {
            Protocol = "5-fold stratified cross-validation over both Wikipedia files" +
                (siteDecisions ? " and a site's moderator decisions" : "") +
                (written ? FormattableString.Invariant($" ({corpus.Count - scored.Length} written examples in every training fold, never scored)") : "") +
                " (IDF learned inside each training fold; L2 chosen before, on a validation fifth of all scored rows: see the notes)",
            Rows = scored.Length,
            Positives = labels.Count(l => l),
            RocAuc = Metrics.RocAuc(probabilities, labels),
            PrAuc = Metrics.AveragePrecision(probabilities, labels),
            PerGroup = PerGroup(corpus, cv),
            AtThresholds =
            [
                Figure("hold", thresholds.ToxicityHold, probabilities, labels),
                Figure("reject", thresholds.ToxicityReject, probabilities, labels),
            ],
            OrdinaryTraffic = ordinary,
        };
    }

    /// <summary>Figures on the YouTube rows only (<paramref name="rows"/>); the extra non-spam rows get their own line.</summary>
    public static EvaluationCard Spam(FeaturizedCorpus corpus, CrossValidation cv, IReadOnlyList<int> rows, ScoreThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(cv);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(thresholds);
        var probabilities = rows.Select(i => cv.Probabilities[i]).ToArray();
        var labels = rows.Select(i => corpus.Labels[i]).ToArray();
        return new EvaluationCard
        {
            Protocol = "leave-one-video-out over the four YouTube videos (accuracy at probability 0.5); " +
                "the added Wikipedia non-spam rows are spread over the same folds and reported as their own group",
            Rows = rows.Count,
            Positives = labels.Count(l => l),
            RocAuc = Metrics.RocAuc(probabilities, labels),
            PrAuc = Metrics.AveragePrecision(probabilities, labels),
            Accuracy = Metrics.At(probabilities, labels, 0.5).Accuracy,
            AccuracyCrossFittedCalibration = CrossFittedAccuracy(corpus, cv, rows),
            PerGroup = PerGroup(corpus, cv),
            AtThresholds =
            [
                Figure("hold", thresholds.SpamHold, probabilities, labels),
                Figure("reject", thresholds.SpamReject, probabilities, labels),
            ],
        };
    }

    /// <summary>
    /// Accuracy at 0.5 when each held-out group's Platt calibration is fitted on the other groups'
    /// held-out margins only: the shipped calibrator saw every group, so this is the less optimistic figure.
    /// </summary>
    private static double CrossFittedAccuracy(FeaturizedCorpus corpus, CrossValidation cv, IReadOnlyList<int> rows)
    {
        var ml = new Microsoft.ML.MLContext(ModelTrainer.Seed);
        var correct = 0;
        foreach (var fold in rows.Select(i => cv.Folds[i]).Distinct())
        {
            var others = rows.Where(i => cv.Folds[i] != fold).ToArray();
            var (slope, offset) = ModelTrainer.FitPlatt(ml, others.Select(i => cv.Margins[i]).ToArray(), others.Select(i => corpus.Labels[i]).ToArray());
            correct += rows.Where(i => cv.Folds[i] == fold).Count(i => 1.0 / (1.0 + Math.Exp(slope * cv.Margins[i] + offset)) >= 0.5 == corpus.Labels[i]);
        }
        return correct / (double)Math.Max(1, rows.Count);
    }

    /// <summary>
    /// The default policy on the ordinary-traffic rows (held-out toxicity probabilities, the spam
    /// model, which never saw these rows, and the default rules), plus a cross-fitted check where
    /// each fold's thresholds come from the other folds.
    /// </summary>
    public static OperatingPoint Ordinary(
        IReadOnlyList<double> toxicity, IReadOnlyList<bool> toxic, IReadOnlyList<int> folds, IReadOnlyList<double> spam,
        IReadOnlyList<bool> ruleHolds, ScoreThresholds thresholds, IReadOnlyList<double> spamHeldOut, IReadOnlyList<bool> spamLabels)
    {
        ArgumentNullException.ThrowIfNull(toxicity);
        ArgumentNullException.ThrowIfNull(toxic);
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentNullException.ThrowIfNull(thresholds);
        var shares = Shares(Enumerable.Range(0, toxic.Count).ToArray(), toxicity, toxic, spam, ruleHolds, thresholds);

        // Cross-fitted: thresholds chosen without the fold they are applied to.
        var verdicts = new Verdict[toxic.Count];
        foreach (var fold in folds.Distinct())
        {
            var others = Enumerable.Range(0, toxic.Count).Where(i => folds[i] != fold).ToArray();
            var chosen = Training.ChooseThresholds(
                others.Select(i => toxicity[i]).ToArray(), others.Select(i => toxic[i]).ToArray(),
                others.Select(i => spam[i]).ToArray(), others.Select(i => ruleHolds[i]).ToArray(), spamHeldOut, spamLabels);
            foreach (var i in Enumerable.Range(0, toxic.Count).Where(i => folds[i] == fold))
            {
                verdicts[i] = VerdictOf(toxicity[i], spam[i], ruleHolds[i], chosen);
            }
        }
        var crossFitted = SharesOf(verdicts, toxic);

        return new OperatingPoint
        {
            Data = TrainingData.OrdinaryTrafficFile + " (random talk-page sample, ~1.5 % toxic), out-of-fold",
            Rows = toxic.Count,
            Toxic = toxic.Count(t => t),
            RocAuc = Metrics.RocAuc(toxicity, toxic),
            PrAuc = Metrics.AveragePrecision(toxicity, toxic),
            ToxicAutoApproved = shares.ToxicAutoApproved,
            ToxicRejected = ShareOf(Enumerable.Range(0, toxic.Count).Where(i => toxic[i]), i => VerdictOf(toxicity[i], spam[i], ruleHolds[i], thresholds) == Verdict.Reject),
            CleanHeldOrRejected = shares.CleanHeldOrRejected,
            CleanAutoRejected = shares.CleanAutoRejected,
            CrossFitted = crossFitted,
            CleanHeldOrRejectedBySpamModel = ShareOf(Enumerable.Range(0, toxic.Count).Where(i => !toxic[i]), i => spam[i] >= thresholds.SpamHold),
        };
    }

    private static OperatingShares Shares(
        int[] rows, IReadOnlyList<double> toxicity, IReadOnlyList<bool> toxic, IReadOnlyList<double> spam, IReadOnlyList<bool> ruleHolds, ScoreThresholds thresholds) =>
        SharesOf(rows.Select(i => VerdictOf(toxicity[i], spam[i], ruleHolds[i], thresholds)).ToArray(), toxic);

    private static OperatingShares SharesOf(Verdict[] verdicts, IReadOnlyList<bool> toxic)
    {
        var positives = Enumerable.Range(0, toxic.Count).Where(i => toxic[i]).ToArray();
        var negatives = Enumerable.Range(0, toxic.Count).Where(i => !toxic[i]).ToArray();
        return new OperatingShares(
            ShareOf(positives, i => verdicts[i] == Verdict.Approve),
            ShareOf(negatives, i => verdicts[i] != Verdict.Approve),
            ShareOf(negatives, i => verdicts[i] == Verdict.Reject));
    }

    public static Verdict VerdictOf(double toxicity, double spam, bool ruleHold, ScoreThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        if (toxicity >= thresholds.ToxicityReject || spam >= thresholds.SpamReject)
        {
            return Verdict.Reject;
        }
        return toxicity >= thresholds.ToxicityHold || spam >= thresholds.SpamHold || ruleHold ? Verdict.Hold : Verdict.Approve;
    }

    private static double ShareOf(IEnumerable<int> rows, Func<int, bool> predicate)
    {
        var list = rows.ToList();
        return list.Count == 0 ? 0 : list.Count(predicate) / (double)list.Count;
    }

    private static ThresholdFigure Figure(string name, double threshold, IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        var stats = Metrics.At(probabilities, labels, threshold);
        return new ThresholdFigure(name, threshold, Math.Round(stats.Precision, 4), Math.Round(stats.Recall, 4), Math.Round(stats.FalsePositiveRate, 4));
    }

    private static List<GroupFigure> PerGroup(FeaturizedCorpus corpus, CrossValidation cv) =>
        ModelTrainer.ScoredRows(cv.Folds).GroupBy(i => corpus.Groups[i], StringComparer.Ordinal).Select(rowsOfGroup =>
        {
            var group = rowsOfGroup.Key;
            var rows = rowsOfGroup.ToArray();
            var scores = rows.Select(i => cv.Probabilities[i]).ToArray();
            var labels = rows.Select(i => corpus.Labels[i]).ToArray();
            var auc = Metrics.RocAuc(scores, labels);
            return new GroupFigure(group, rows.Length, double.IsNaN(auc) ? auc : Math.Round(auc, 4), Math.Round(Metrics.At(scores, labels, 0.5).Accuracy, 4));
        }).ToList();

    public static void Print(TextWriter output, string name, EvaluationCard card)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(card);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"== {name}: {card.Protocol}"));
        output.WriteLine(string.Create(c, $"   rows {card.Rows}, positives {card.Positives}; ROC-AUC {card.RocAuc:F4}, PR-AUC {card.PrAuc:F4}")
            + (card.Accuracy is { } accuracy ? string.Create(c, $", accuracy {accuracy:F4}") : "")
            + (card.AccuracyCrossFittedCalibration is { } crossFitted ? string.Create(c, $" (calibrated without the held-out group: {crossFitted:F4})") : ""));
        foreach (var group in card.PerGroup)
        {
            output.WriteLine(string.Create(c, $"   {group.Group}: rows {group.Rows}, ROC-AUC {group.RocAuc:F4}, accuracy@0.5 {group.Accuracy:F4}"));
        }
        foreach (var figure in card.AtThresholds)
        {
            output.WriteLine(string.Create(c,
                $"   at {figure.Name} threshold {figure.Threshold:F2}: precision {figure.Precision:F4}, recall {figure.Recall:F4}, negatives flagged {figure.FlaggedShareOfNegatives:P2}"));
        }
        if (card.OrdinaryTraffic is { } o)
        {
            output.WriteLine(string.Create(c, $"   ordinary traffic ({o.Data}): rows {o.Rows}, toxic {o.Toxic}, ROC-AUC {o.RocAuc:F4}, PR-AUC {o.PrAuc:F4}"));
            output.WriteLine(string.Create(c,
                $"   default policy: toxic auto-approved {o.ToxicAutoApproved:P1} (goal <= 25 %), toxic rejected {o.ToxicRejected:P1}, clean held-or-rejected {o.CleanHeldOrRejected:P2} (goal <= 2 %), clean auto-rejected {o.CleanAutoRejected:P2} (goal <= 0.5 %)"));
            if (o.CrossFitted is { } x)
            {
                output.WriteLine(string.Create(c,
                    $"   cross-fitted thresholds: toxic auto-approved {x.ToxicAutoApproved:P1}, clean held-or-rejected {x.CleanHeldOrRejected:P2}, clean auto-rejected {x.CleanAutoRejected:P2}"));
            }
            output.WriteLine(string.Create(c, $"   clean comments held by the spam model alone: {o.CleanHeldOrRejectedBySpamModel:P2}"));
            if (o.HostedModel is { } h)
            {
                output.WriteLine(string.Create(c, $"   against {h.Source} on the same {h.Rows} rows ({h.Toxic} toxic; {h.Unmatched} rows without a hosted score left out), each at its own best thresholds:"));
                foreach (var (who, f) in new[] { ("ours", h.Ours), ("hosted", h.Hosted) })
                {
                    output.WriteLine(string.Create(c,
                        $"     {who,-6} ROC-AUC {f.RocAuc:F4}, PR-AUC {f.PrAuc:F4}, toxic let through with <= {HostedComparison.CleanHoldBudget:P0} of clean held {f.ToxicPassedAtCleanHoldBudget:P1}, toxic caught with <= {HostedComparison.CleanRejectBudget:P1} of clean rejected {f.ToxicCaughtAtCleanRejectBudget:P1}"));
                }
                output.WriteLine(string.Create(c, $"     ROC-AUC ours - hosted {h.RocAucDifference:+0.0000;-0.0000}, 95 % paired bootstrap interval [{h.RocAucDifferenceLow:+0.0000;-0.0000}, {h.RocAucDifferenceHigh:+0.0000;-0.0000}]"));
            }
        }
    }
}
