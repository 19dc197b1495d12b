using System.Globalization;
using Comments.Moderation.Scoring;
using Microsoft.ML;

namespace Comments.Moderation.Ml;

/// <summary>How bucket values are scaled before L2 normalisation; learned on training rows only.</summary>
public enum BucketScale { None, Idf, NaiveBayes }

/// <summary>The shipped recipe: featurisation, scaling, trainer grid. Changing it is a new model version.</summary>
public sealed record TrainingPlan(
    HashingSettings Hashing, BucketScale Scale, IReadOnlyList<float> ToxicityL2, IReadOnlyList<float> SpamL2,
    int SpamOrdinaryNegatives = 0, float SpamOrdinaryWeight = 1, BucketScale SpamScale = BucketScale.Idf, bool SpamLexicon = true,
    bool SpamVectors = true, TreeBlendPlan? ToxicityTrees = null, float SiteDecisionWeight = 1,
    float WrittenToxicWeight = 0, float WrittenCleanWeight = 0, float WrittenTargetWeight = 0)
{
    /// <summary>
    /// The spam model also learns from every Jigsaw talk comment as non-spam, each at 1/20 weight:
    /// trained on YouTube alone it took ordinary discussion citing sources for spam, and many
    /// light-weight rows cost held-out videos less than 6,000 at half weight did (LOVO ROC-AUC
    /// 0.982 against 0.979, and fewer held-out ordinary comments over 0.5 at the same calibration).
    /// Spam uses plain sublinear tf: IDF did worse. The lexicon features are for toxicity: with them
    /// the spam model did worse on held-out videos (LOVO accuracy 0.9470 against 0.9489 at the same
    /// ROC-AUC), so they are zero in its training rows and its weights for them stay exactly zero.
    /// The word vectors (static MiniLM word pieces, see <see cref="WordVectors"/>) are for toxicity
    /// too: +0.004 pooled CV ROC-AUC there, while the spam model with them ranked held-out videos a
    /// little better but classified them worse (LOVO ROC-AUC 0.9832 / accuracy 0.9439 against
    /// 0.9814 / 0.9483; at half scale 0.9836 / 0.9477), so the spam model leaves them out the same way.
    /// The toxicity model also learns from the project's written examples (<see cref="WrittenExamples"/>):
    /// hateful sentences at weight 4 (40 about "them" that name no group, 24 threats) and clean ones at
    /// 0.1 (66 frames for each of 46 groups and 6 more). Without them it approved "All Armenians should be wiped out"; with hateful sentences
    /// that named the groups, the names themselves became toxic ("Muslims" alone 0.76). README: Identity hate.
    /// Harsh words about things (clean: "What a stupid policy.") and the same words about people (toxic: "What a
    /// stupid mayor.", with clean sentences about the same people) are written out once per thing and per person, at weight 0.3: the shared data taught that "stupid"
    /// is toxic whatever it is aimed at, and half of our news-style criticisms were auto-rejected. README: Criticism.
    /// </summary>
    public static readonly TrainingPlan Default = new(
        HashingSettings.Default with { VectorDimensions = 384 }, BucketScale.Idf, [0.1f, 0.3f, 1f], [0.0003f, 0.003f],
        SpamOrdinaryNegatives: 20879, SpamOrdinaryWeight: 0.05f, SpamScale: BucketScale.None, SpamLexicon: false, SpamVectors: false,
        ToxicityTrees: new TreeBlendPlan(Trees: 200, Leaves: 20, LearningRate: 0.1, Weight: 0.3),
        WrittenToxicWeight: 4f, WrittenCleanWeight: 0.1f, WrittenTargetWeight: 0.3f);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"normalised text (TextNormalizer) -> word 1-{Hashing.WordNgrams}-grams and char {Hashing.CharMin}-{Hashing.CharMax}-grams " +
        $"hashed (FNV-1a + murmur finaliser) into 2^{Hashing.HashBits} buckets, sublinear tf (1 + ln tf) x {Scale} (toxicity) / {SpamScale} (spam), " +
        $"each block L2-normalised, plus {Hashing.VectorOffset} dense features ({string.Join(", ", TextFeatures.DenseNames.Take(Hashing.VectorOffset))})")
        + (Hashing.VectorDimensions > 0
            ? FormattableString.Invariant($", plus the comment's {Hashing.VectorDimensions}-dimensional word-vector mean (IDF-weighted static word-piece vectors distilled from all-MiniLM-L6-v2, L2-normalised, x{Hashing.VectorScale})")
            : "")
        + (Hashing.Lexicon && !SpamLexicon ? FormattableString.Invariant($"; the spam model leaves out the {TextFeatures.LexiconCount} lexicon features") : "")
        + (Hashing.VectorDimensions > 0 && !SpamVectors ? "; the spam model leaves out the word vectors" : "")
        + (UsesWrittenExamples()
            ? FormattableString.Invariant($"; toxicity also trains on the project's written examples (hateful at weight {WrittenToxicWeight}, clean at {WrittenCleanWeight}")
                + (WrittenTargetWeight > 0 ? FormattableString.Invariant($", harsh words about things (clean) and people (toxic, and clean ones about the same people) at {WrittenTargetWeight}") : "")
                + "), never scored"
            : "")
        + (ToxicityTrees is { } trees
            ? FormattableString.Invariant($"; toxicity also averages in a FastTree model ({trees.Trees} trees of {trees.Leaves} leaves) over the {Hashing.DenseCount} dense features alone, its standardised margin at weight {trees.Weight}")
            : "");

    /// <summary>Whether the toxicity model trains on the written examples (any of their weights above 0). A method, not a property: the card stores the plan.</summary>
    public bool UsesWrittenExamples() => WrittenToxicWeight > 0 || WrittenCleanWeight > 0 || WrittenTargetWeight > 0;

    public float[]? LearnScale(FeaturizedCorpus corpus, IReadOnlyList<int> rows) => Learn(Scale, corpus, rows);

    public static float[]? Learn(BucketScale scale, FeaturizedCorpus corpus, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return scale switch
        {
            BucketScale.None => null,
            BucketScale.Idf => corpus.Idf(rows),
            BucketScale.NaiveBayes => corpus.NaiveBayesRatios(rows),
            _ => throw new InvalidOperationException("Unknown scale."),
        };
    }
}

/// <summary>
/// A boosted-tree model over the dense features only (signals, lexicon, word vectors), averaged with
/// the linear model: each margin is divided by its out-of-fold standard deviation, the tree's is
/// weighted <see cref="Weight"/> and the linear one 1 − Weight, and one Platt calibration is fitted on the sum.
/// Trees see interactions of the dense features the linear model cannot (README: Moderation models).
/// </summary>
public sealed record TreeBlendPlan(int Trees, int Leaves, double LearningRate, double Weight)
{
    public string Trainer => FormattableString.Invariant($"fasttree(trees={Trees}, leaves={Leaves}, rate={LearningRate})");
}

/// <summary>Out-of-fold results for one model, the material for calibration, thresholds and the card's figures.</summary>
/// <param name="Margins">What <paramref name="Platt"/> calibrates: the linear margin, or the blended one when <paramref name="Blend"/> is set.</param>
public sealed record CrossValidation(
    double[] Margins, double[] Probabilities, int[] Folds, float L2, (double Slope, double Offset) Platt, string CalibratedOn,
    BlendValidation? Blend = null);

/// <summary>The linear and tree halves of a blended cross-validation and the coefficients that add them up.</summary>
public sealed record BlendValidation(
    TreeBlendPlan Plan, double[] LinearMargins, double[] TreeMargins, double LinearCoefficient, double TreeCoefficient,
    (double Slope, double Offset) LinearPlatt, double LinearRocAuc, double TreeRocAuc);

/// <summary>Trains, evaluates and saves the toxicity and spam models (the train and evaluate commands).</summary>
public sealed class Training(TrainingPlan plan, TextWriter log, WordVectors? vectors = null)
{
    // Goals from the issue, with a margin so held-out noise does not push the shipped point over them.
    private const double CleanHeldBudget = 0.0175;
    private const double CleanRejectedBudget = 0.0025;

    public sealed record Result(
        FeaturizedCorpus Toxicity, CrossValidation ToxicityCv, List<DataFile> ToxicityFiles, string[] ToxicityTexts,
        FeaturizedCorpus Spam, CrossValidation SpamCv, List<DataFile> SpamFiles, int[] SpamEvaluationRows);

    /// <summary>
    /// Loads and featurises both sets and cross-validates the plan (no files written). With
    /// <paramref name="siteDecisions"/> (an <c>export-decisions</c> file), a site's moderator decisions
    /// join both sets at the plan's weight, spread over the folds and reported as their own group.
    /// </summary>
    public Result CrossValidateAll(string dataDirectory, string? siteDecisions = null)
    {
        var (toxicityRows, toxicityFiles) = TrainingData.Load(dataDirectory, TrainingData.ToxicityFiles, null);
        var site = siteDecisions is null ? default : SiteDecisions.Load(siteDecisions, plan.SiteDecisionWeight);
        if (siteDecisions is not null)
        {
            toxicityRows.AddRange(site.Toxicity);
            toxicityFiles.Add(site.ToxicityFile);
            log.WriteLine($"site decisions: {site.Toxicity.Count} toxicity rows ({site.ToxicityFile.Positives} toxic), {site.Spam.Count} spam rows ({site.SpamFile.Positives} spam)");
        }
        if (plan.UsesWrittenExamples())
        {
            var written = WrittenExamples.Load(plan.WrittenToxicWeight, plan.WrittenCleanWeight, plan.WrittenTargetWeight);
            toxicityRows.AddRange(written.Rows);
            toxicityFiles.Add(written.File);
            log.WriteLine($"written examples: {written.Rows.Count} toxicity rows ({written.File.Positives} toxic), training folds only");
        }
        var toxicity = new FeaturizedCorpus(toxicityRows, plan.Hashing, vectors);
        var toxicityCv = CrossValidateToxicity(toxicity);

        var (spam, spamCv, spamFiles, spamEvaluationRows) = CrossValidateSpam(
            dataDirectory, toxicityRows, toxicityFiles, siteDecisions is null ? null : (site.Spam, site.SpamFile));
        return new Result(toxicity, toxicityCv, toxicityFiles, toxicityRows.Select(r => r.Text).ToArray(), spam, spamCv, spamFiles, spamEvaluationRows);
    }

    /// <summary>
    /// 5-fold stratified cross-validation of the toxicity model, its tree blend included when the plan
    /// has one. The written examples join every training part and are never scored; the other rows'
    /// folds are what they would be without them.
    /// </summary>
    public CrossValidation CrossValidateToxicity(FeaturizedCorpus toxicity)
    {
        ArgumentNullException.ThrowIfNull(toxicity);
        var scored = Enumerable.Range(0, toxicity.Count).Where(i => toxicity.Groups[i] != WrittenExamples.Group).ToArray();
        var scoredFolds = ModelTrainer.StratifiedFolds(scored.Select(i => toxicity.Labels[i]).ToArray(), 5, ModelTrainer.Seed);
        var folds = Enumerable.Repeat(ModelTrainer.TrainingOnly, toxicity.Count).ToArray();
        for (var k = 0; k < scored.Length; k++)
        {
            folds[scored[k]] = scoredFolds[k];
        }
        var cv = CrossValidate("toxicity", toxicity, folds, plan.ToxicityL2, plan.Scale, l2Selection: null);
        return plan.ToxicityTrees is { } trees ? BlendTrees(toxicity, cv, trees) : cv;
    }

    /// <summary>The spam half of <see cref="CrossValidateAll"/>; the toxicity rows supply the extra non-spam examples.</summary>
    public (FeaturizedCorpus Corpus, CrossValidation Cv, List<DataFile> Files, int[] EvaluationRows) CrossValidateSpam(
        string dataDirectory, IReadOnlyList<LabelledText> toxicityRows, IReadOnlyList<DataFile> toxicityFiles,
        (IReadOnlyList<LabelledText> Rows, DataFile File)? siteDecisions = null)
    {
        ArgumentNullException.ThrowIfNull(toxicityRows);
        ArgumentNullException.ThrowIfNull(toxicityFiles);
        var (spamRows, spamFiles) = TrainingData.Load(dataDirectory, TrainingData.SpamFiles, "Video");
        var videos = spamRows.Count;
        var spamFolds = ModelTrainer.GroupFolds(spamRows.Select(r => r.Group).ToArray()).ToList();
        var videoCount = spamFolds.Max() + 1;
        if (plan.SpamOrdinaryNegatives > 0)
        {
            // From the Jigsaw file only, so the ordinary-traffic file stays unseen by the spam model.
            // Every Jigsaw comment with a link is taken (YouTube alone teaches "a link means spam"), then random others.
            var jigsaw = toxicityRows.Where(r => r.Group == TrainingData.JigsawFile).ToArray();
            var withLinks = jigsaw.Where(r => TextNormalizer.CountLinks(r.Text) > 0).ToArray();
            var others = jigsaw.Where(r => TextNormalizer.CountLinks(r.Text) == 0).ToArray();
            new Random(ModelTrainer.Seed).Shuffle(others);
            var negatives = withLinks.Concat(others.Take(Math.Max(0, plan.SpamOrdinaryNegatives - withLinks.Length)))
                .Select(r => r with { Label = false, Group = "wikipedia", Weight = plan.SpamOrdinaryWeight }).ToArray();
            spamRows.AddRange(negatives);
            // Spread over the video folds: each is also scored by a model that never saw it.
            spamFolds.AddRange(negatives.Select((_, i) => i % videoCount));
            var jigsawFile = toxicityFiles.Single(f => f.Path == TrainingData.JigsawFile);
            spamFiles.Add(jigsawFile with
            {
                Rows = negatives.Length,
                Positives = 0,
                Use = FormattableString.Invariant($"rows taken as non-spam examples at weight {plan.SpamOrdinaryWeight}: ") + (negatives.Length == jigsaw.Length
                    ? "all of them"
                    : "every row with a link, then random others") + " (talk-page discussion is not spam, whatever its toxicity label)",
            });
        }
        if (siteDecisions is { } site && site.Rows.Count > 0)
        {
            // Spread over the video folds like the talk comments: each is scored by a model that never saw it.
            spamFolds.AddRange(site.Rows.Select((_, i) => i % videoCount));
            spamRows.AddRange(site.Rows);
            spamFiles.Add(site.File);
        }
        var spam = new FeaturizedCorpus(spamRows, plan.Hashing, vectors);
        if (!plan.SpamLexicon && plan.Hashing.Lexicon)
        {
            spam.ClearDense(TextFeatures.SignalCount, TextFeatures.LexiconCount);
        }
        if (!plan.SpamVectors && plan.Hashing.VectorDimensions > 0)
        {
            spam.ClearDense(plan.Hashing.VectorOffset, plan.Hashing.VectorDimensions);
        }
        var folds = spamFolds.ToArray();
        var youTubeRows = Enumerable.Range(0, videos).ToArray();
        // Calibrated on held-out YouTube comments only: the extra rows are down-weighted stand-ins, and
        // counting them at full weight would pull every probability down.
        var spamCv = CrossValidate("spam", spam, folds, plan.SpamL2, plan.SpamScale, l2Selection: folds, calibrationRows: youTubeRows);
        return (spam, spamCv, spamFiles, youTubeRows);
    }

    /// <summary>
    /// L2 is chosen on the training part only: a stratified validation fifth (or, with
    /// <paramref name="l2Selection"/>, leave-one-group-out) inside it. Then out-of-fold margins with
    /// that L2, and Platt scaling fitted on those held-out margins (of <paramref name="calibrationRows"/>, or all).
    /// </summary>
    private CrossValidation CrossValidate(
        string name, FeaturizedCorpus corpus, int[] folds, IReadOnlyList<float> grid, BucketScale bucketScale, int[]? l2Selection,
        IReadOnlyList<int>? calibrationRows = null)
    {
        var ml = new MLContext(ModelTrainer.Seed);
        var all = Enumerable.Range(0, corpus.Count).ToArray();
        var scored = ModelTrainer.ScoredRows(folds);
        var trainingOnly = all.Except(scored).ToArray();
        var l2 = ChooseL2(ml, corpus, scored, trainingOnly, grid, bucketScale, l2Selection);
        log.WriteLine(FormattableString.Invariant($"{name}: L2 {l2} chosen on validation slices of the training data"));
        double[] margins;
        if (l2Selection is null)
        {
            margins = ModelTrainer.CrossValidate(ml, corpus, folds, ModelTrainer.Lbfgs(l2), (c, rows) => TrainingPlan.Learn(bucketScale, c, rows), int.MaxValue);
        }
        else
        {
            // Nested: each held-out group is scored by a model whose L2 was chosen without it.
            margins = new double[corpus.Count];
            foreach (var outer in folds.Where(f => f != ModelTrainer.TrainingOnly).Distinct().Order())
            {
                var inner = folds.Select(f => f == outer ? -1 : f).ToArray();
                var innerL2 = ChooseL2(ml, corpus, all, [], grid, bucketScale, inner);
                var train = all.Where(i => folds[i] != outer).ToArray();
                var scale = TrainingPlan.Learn(bucketScale, corpus, train);
                var fit = ModelTrainer.Fit(ml, corpus, train, scale, ModelTrainer.Lbfgs(innerL2));
                foreach (var row in all.Where(i => folds[i] == outer))
                {
                    margins[row] = ModelTrainer.Margin(corpus.Vector(row, scale), fit.Weights, fit.Bias);
                }
                log.WriteLine(FormattableString.Invariant($"  held-out fold {outer} ({corpus.Groups[Array.IndexOf(folds, outer)]}): L2 {innerL2} chosen on the other folds"));
            }
        }
        IReadOnlyList<int> calibration = calibrationRows ?? scored;
        var platt = ModelTrainer.FitPlatt(ml, calibration.Select(i => margins[i]).ToArray(), calibration.Select(i => corpus.Labels[i]).ToArray());
        var probabilities = margins.Select(m => 1.0 / (1.0 + Math.Exp(platt.Slope * m + platt.Offset))).ToArray();
        var calibratedOn = calibrationRows is null
            ? "out-of-fold margins of the cross-validation"
            : FormattableString.Invariant($"out-of-fold margins of the cross-validation, {calibration.Count} evaluation rows only");
        return new CrossValidation(margins, probabilities, folds, l2, platt, calibratedOn);
    }

    /// <summary>
    /// Out-of-fold margins of the tree model on the same folds as the linear model, the coefficients
    /// that standardise and weight both, and the Platt calibration of their sum.
    /// </summary>
    private CrossValidation BlendTrees(FeaturizedCorpus corpus, CrossValidation linear, TreeBlendPlan trees)
    {
        var ml = new MLContext(ModelTrainer.Seed);
        var all = Enumerable.Range(0, corpus.Count).ToArray();
        var scored = ModelTrainer.ScoredRows(linear.Folds);
        var treeMargins = new double[corpus.Count];
        Array.Fill(treeMargins, double.NaN);
        foreach (var fold in linear.Folds.Where(f => f != ModelTrainer.TrainingOnly).Distinct().Order())
        {
            var train = all.Where(i => linear.Folds[i] != fold).ToArray();
            var ensemble = ModelTrainer.FitTrees(ml, corpus, train, trees).Trees;
            foreach (var row in all.Where(i => linear.Folds[i] == fold))
            {
                treeMargins[row] = ensemble.Score(corpus.Dense[row]);
            }
        }
        double[] Scored(double[] values) => scored.Select(i => values[i]).ToArray();
        var labels = scored.Select(i => corpus.Labels[i]).ToArray();
        var linearCoefficient = (1 - trees.Weight) / StandardDeviation(Scored(linear.Margins));
        var treeCoefficient = trees.Weight / StandardDeviation(Scored(treeMargins));
        var margins = all.Select(i => linearCoefficient * linear.Margins[i] + treeCoefficient * treeMargins[i]).ToArray();
        var platt = ModelTrainer.FitPlatt(ml, Scored(margins), labels);
        var probabilities = margins.Select(m => 1.0 / (1.0 + Math.Exp(platt.Slope * m + platt.Offset))).ToArray();
        var blend = new BlendValidation(trees, linear.Margins, treeMargins, linearCoefficient, treeCoefficient, linear.Platt,
            Metrics.RocAuc(Scored(linear.Margins), labels), Metrics.RocAuc(Scored(treeMargins), labels));
        log.WriteLine(FormattableString.Invariant(
            $"toxicity: out-of-fold ROC-AUC linear {blend.LinearRocAuc:F4}, {trees.Trainer} on the dense features {blend.TreeRocAuc:F4}, blend {Metrics.RocAuc(Scored(margins), labels):F4}"));
        return linear with { Margins = margins, Probabilities = probabilities, Platt = platt, Blend = blend };
    }

    private static double StandardDeviation(double[] values)
    {
        var mean = values.Average();
        var deviation = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        return deviation > 0 ? deviation : throw new InvalidOperationException("Every out-of-fold margin is the same; nothing to standardise.");
    }

    /// <summary>
    /// The grid's best L2: by leave-one-group-out over <paramref name="groups"/>, or on a stratified validation
    /// fifth of <paramref name="rows"/>, trained on the rest and <paramref name="trainingOnly"/>.
    /// </summary>
    private float ChooseL2(MLContext ml, FeaturizedCorpus corpus, int[] rows, int[] trainingOnly, IReadOnlyList<float> grid, BucketScale bucketScale, int[]? groups)
    {
        if (grid.Count == 1)
        {
            return grid[0];
        }
        var best = (L2: grid[0], Auc: double.NegativeInfinity);
        foreach (var l2 in grid)
        {
            double auc;
            if (groups is not null)
            {
                var margins = ModelTrainer.CrossValidate(ml, corpus, groups, ModelTrainer.Lbfgs(l2), (c, r) => TrainingPlan.Learn(bucketScale, c, r), int.MaxValue);
                var scored = Enumerable.Range(0, corpus.Count).Where(i => !double.IsNaN(margins[i])).ToArray();
                auc = Metrics.RocAuc(scored.Select(i => margins[i]).ToArray(), scored.Select(i => corpus.Labels[i]).ToArray());
            }
            else
            {
                var split = ModelTrainer.StratifiedFolds(rows.Select(r => corpus.Labels[r]).ToArray(), 5, ModelTrainer.Seed + 1);
                var train = rows.Where((_, i) => split[i] != 0).Concat(trainingOnly).ToArray();
                var validation = rows.Where((_, i) => split[i] == 0).ToArray();
                var scale = TrainingPlan.Learn(bucketScale, corpus, train);
                var fit = ModelTrainer.Fit(ml, corpus, train, scale, ModelTrainer.Lbfgs(l2));
                auc = Metrics.RocAuc(
                    validation.Select(r => (double)ModelTrainer.Margin(corpus.Vector(r, scale), fit.Weights, fit.Bias)).ToArray(),
                    validation.Select(r => corpus.Labels[r]).ToArray());
            }
            log.WriteLine(FormattableString.Invariant($"    l2 {l2}: validation ROC-AUC {auc:F4}"));
            if (auc > best.Auc)
            {
                best = (l2, auc);
            }
        }
        return best.L2;
    }

    /// <summary>
    /// Fits on every row and saves the ML.NET model (linear predictor + the fixed Platt calibrator
    /// from the held-out margins) and the bucket scale. Returns the card entry.
    /// </summary>
    public (ModelEntry Entry, LinearTextModel Model) FitAndSave(
        FeaturizedCorpus corpus, CrossValidation cv, List<DataFile> files, BucketScale bucketScale, string directory, string modelFile, string scaleFile,
        string? treesFile = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(cv);
        if (cv.Blend is not null && treesFile is null)
        {
            throw new ArgumentException("A blended cross-validation needs a file for its trees.", nameof(treesFile));
        }
        // The linear model's zip carries its own calibration; a blend's is in the card's trees entry.
        var linearPlatt = cv.Blend?.LinearPlatt ?? cv.Platt;
        var ml = new MLContext(ModelTrainer.Seed);
        var all = Enumerable.Range(0, corpus.Count).ToArray();
        var scale = TrainingPlan.Learn(bucketScale, corpus, all);
        var data = ModelTrainer.ToDataView(ml, corpus, all, scale);
        var predictor = ModelTrainer.Lbfgs(cv.L2).Create(ml).Fit(data);
        var calibrator = ml.BinaryClassification.Calibrators.Platt(linearPlatt.Slope, linearPlatt.Offset).Fit(predictor.Transform(data));
        var model = new Microsoft.ML.Data.TransformerChain<ITransformer>(predictor, calibrator);

        Directory.CreateDirectory(directory);
        var modelPath = Path.Combine(directory, modelFile);
        ml.Model.Save(model, data.Schema, modelPath);
        string? scaleSha = null;
        var scalePathToWrite = Path.Combine(directory, scaleFile);
        if (scale is null && File.Exists(scalePathToWrite))
        {
            // A scale file left from an earlier recipe would only mislead.
            File.Delete(scalePathToWrite);
        }
        if (scale is not null)
        {
            var scalePath = Path.Combine(directory, scaleFile);
            File.WriteAllBytes(scalePath, ModelBundle.WriteIdf(scale));
            scaleSha = TrainingData.Sha256(scalePath);
        }
        log.WriteLine(FormattableString.Invariant($"saved {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB)"));
        var entry = new ModelEntry
        {
            ModelFile = modelFile,
            ModelSha256 = TrainingData.Sha256(modelPath),
            IdfFile = scale is null ? null : scaleFile,
            IdfSha256 = scaleSha,
            Trainer = ModelTrainer.Lbfgs(cv.L2).Name,
            TrainingData = files,
            TrainingRows = corpus.Count,
            Calibration = new PlattCard(linearPlatt.Slope, linearPlatt.Offset, cv.CalibratedOn + (cv.Blend is null ? "" : " (the linear model alone)")),
        };
        var treesPath = treesFile is null ? null : Path.Combine(directory, treesFile);
        if (cv.Blend is { } blend && treesPath is not null)
        {
            var (trees, _) = ModelTrainer.FitTrees(ml, corpus, all, blend.Plan);
            ml.Model.Save(trees, ModelTrainer.DenseDataView(ml, corpus, [0]).Schema, treesPath);
            log.WriteLine(FormattableString.Invariant($"saved {treesPath} ({new FileInfo(treesPath).Length / 1024} KiB)"));
            entry = entry with
            {
                Trees = new TreeBlendCard(treesFile!, TrainingData.Sha256(treesPath), blend.Plan.Trainer, corpus.Settings.DenseCount,
                    blend.LinearCoefficient, blend.TreeCoefficient, new PlattCard(cv.Platt.Slope, cv.Platt.Offset, cv.CalibratedOn + " (the blend)")),
            };
        }
        else if (treesPath is not null && File.Exists(treesPath))
        {
            // Trees left from an earlier plan would only mislead.
            File.Delete(treesPath);
        }
        // Read back exactly as the worker will, so what was saved is what was measured.
        return (entry, ModelBundle.LoadModel(ml, directory, entry, corpus.Settings, corpus.Vectors));
    }

    /// <summary>
    /// The default operating point, chosen on out-of-fold toxicity probabilities of the
    /// ordinary-traffic rows (and the spam model's scores on them): the lowest hold threshold whose
    /// clean held-or-rejected share stays within budget, the lowest reject threshold whose clean
    /// auto-rejected share does; spam thresholds by precision on held-out videos and false alarms
    /// on ordinary traffic.
    /// </summary>
    public static ScoreThresholds ChooseThresholds(
        IReadOnlyList<double> toxicity, IReadOnlyList<bool> toxic, IReadOnlyList<double> spamOnOrdinary,
        IReadOnlyList<bool> otherHolds, IReadOnlyList<double> spamHeldOut, IReadOnlyList<bool> spamLabels)
    {
        ArgumentNullException.ThrowIfNull(toxicity);
        ArgumentNullException.ThrowIfNull(toxic);
        ArgumentNullException.ThrowIfNull(spamOnOrdinary);
        ArgumentNullException.ThrowIfNull(otherHolds);
        var candidates = Enumerable.Range(1, 99).Select(i => i / 100.0).ToArray();
        var clean = Enumerable.Range(0, toxic.Count).Where(i => !toxic[i]).ToArray();
        double Share(Func<int, bool> flagged) => clean.Count(flagged) / (double)Math.Max(1, clean.Length);

        // Spam: reject only where held-out videos say it is almost surely spam and ordinary traffic almost never gets there.
        var spamReject = candidates.FirstOrDefault(t =>
            Metrics.At(spamHeldOut, spamLabels, t).Precision >= 0.98 && Share(i => spamOnOrdinary[i] >= t) <= 0.001, 0.99);
        // Hold: also precise on held-out videos, because the ordinary-traffic proxy has few of the short
        // comments on which the spam model is least sure.
        var spamHold = candidates.FirstOrDefault(t => t <= spamReject
            && Metrics.At(spamHeldOut, spamLabels, t).Precision >= 0.95 && Share(i => spamOnOrdinary[i] >= t) <= 0.0025, spamReject);

        var toxicityReject = candidates.FirstOrDefault(t => Share(i => toxicity[i] >= t) <= CleanRejectedBudget, 0.99);
        var toxicityHold = candidates.FirstOrDefault(t => t <= toxicityReject
            && Share(i => toxicity[i] >= t || spamOnOrdinary[i] >= spamHold || otherHolds[i]) <= CleanHeldBudget, toxicityReject);
        return new ScoreThresholds(toxicityHold, toxicityReject, spamHold, spamReject);
    }
}
