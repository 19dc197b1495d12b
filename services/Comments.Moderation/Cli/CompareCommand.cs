using System.Diagnostics;
using System.Globalization;
using Comments.Moderation.Ml;
using Microsoft.ML;

namespace Comments.Moderation.Cli;

/// <summary>
/// compare: cross-validated ROC-AUC of one candidate (featurisation x scaling x trainer), to choose
/// the shipped plan. With --write-card yes the figure is recorded in the card's comparisons.
/// Example: compare --model toxicity --trainer lbfgs --l2 0.03 --scale idf --cmin 2 --cmax 5
/// </summary>
public static class CompareCommand
{
    public static int Run(CommandOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var data = ModelCommands.DataDirectory(options);
        if (options.Get("model") == "spam-plan")
        {
            return SpamPlan(options, data, output);
        }
        if (options.Get("model") == "context")
        {
            return Context(options, data, output);
        }
        var spam = options.Get("model") == "spam";
        var (rows, _) = spam
            ? TrainingData.Load(data, TrainingData.SpamFiles, "Video")
            : TrainingData.Load(data, TrainingData.ToxicityFiles, null);
        var settings = new HashingSettings(
            options.GetInt("bits", HashingSettings.Default.HashBits), options.GetInt("words", HashingSettings.Default.WordNgrams),
            options.GetInt("cmin", HashingSettings.Default.CharMin), options.GetInt("cmax", HashingSettings.Default.CharMax),
            options.Get("lexicon") is { } lexicon ? lexicon == "yes" : HashingSettings.Default.Lexicon);
        var vectors = VectorsOption(options);
        if (vectors is not null)
        {
            settings = WithVectors(settings, vectors, options);
        }
        var corpus = new FeaturizedCorpus(rows, settings, vectors);
        if (options.Get("dense-scale") is { } denseScale)
        {
            // Larger dense values are penalised less by the same L2.
            var factor = float.Parse(denseScale, CultureInfo.InvariantCulture);
            foreach (var dense in corpus.Dense)
            {
                for (var i = 0; i < dense.Length; i++)
                {
                    dense[i] *= factor;
                }
            }
        }
        var folds = spam ? ModelTrainer.GroupFolds(corpus.Groups) : ModelTrainer.StratifiedFolds(corpus.Labels, 5, ModelTrainer.Seed);
        var scale = Enum.Parse<BucketScale>(options.Get("scale") ?? "Idf", ignoreCase: true);
        var plan = new TrainingPlan(settings, scale, [], []);
        var maxFolds = options.GetInt("folds", int.MaxValue);
        var comparisons = new List<Comparison>();
        foreach (var value in (options.Get("l2") ?? "0.03").Split(','))
        {
            var parameter = float.Parse(value, CultureInfo.InvariantCulture);
            var spec = options.Get("trainer") switch
            {
                "sdca" => ModelTrainer.Sdca(parameter),
                "perceptron" => ModelTrainer.AveragedPerceptron((int)parameter),
                "svm" => ModelTrainer.LinearSvm((int)parameter),
                _ => ModelTrainer.Lbfgs(parameter),
            };
            var watch = Stopwatch.StartNew();
            var margins = ModelTrainer.CrossValidate(new MLContext(ModelTrainer.Seed), corpus, folds, spec, (c, r) => plan.LearnScale(c, r), maxFolds);
            if (options.Get("ensemble") is { } other)
            {
                // Average of standardised margins with a second scaling of the same trainer.
                var second = plan with { Scale = Enum.Parse<BucketScale>(other, ignoreCase: true) };
                var extra = ModelTrainer.CrossValidate(new MLContext(ModelTrainer.Seed), corpus, folds, spec, (c, r) => second.LearnScale(c, r), maxFolds);
                var a = Standardise(margins);
                var b = Standardise(extra);
                margins = a.Select((m, i) => (m + b[i]) / 2).ToArray();
            }
            var scored = Enumerable.Range(0, corpus.Count).Where(i => !double.IsNaN(margins[i])).ToArray();
            double Auc(Func<int, bool> keep)
            {
                var subset = scored.Where(keep).ToArray();
                return Metrics.RocAuc(subset.Select(i => margins[i]).ToArray(), subset.Select(i => corpus.Labels[i]).ToArray());
            }
            var all = Auc(_ => true);
            double? ordinary = spam ? null : Auc(i => corpus.Groups[i] == TrainingData.OrdinaryTrafficFile);
            var name = string.Create(CultureInfo.InvariantCulture,
                $"{spec.Name}, {scale}, words 1-{settings.WordNgrams}, chars {settings.CharMin}-{settings.CharMax}, 2^{settings.HashBits}{(settings.Lexicon ? ", lexicon features" : "")}{(options.Get("dense-scale") is { } f ? ", dense x" + f : "")}{(settings.VectorDimensions > 0 ? FormattableString.Invariant($", word vectors x{settings.VectorScale}") : "")}");
            var protocol = spam ? "leave-one-video-out" : maxFolds >= 5 ? "5-fold CV" : $"first {maxFolds} of 5 folds";
            var line = FormattableString.Invariant($"{name}: ROC-AUC {all:F4}");
            if (!spam)
            {
                line += FormattableString.Invariant(
                    $", ordinary traffic {ordinary:F4}, jigsaw {Auc(i => corpus.Groups[i] == TrainingData.JigsawFile):F4}, ordinary toxic caught at 1.5 % clean flagged {CaughtAt(scored.Where(i => corpus.Groups[i] == TrainingData.OrdinaryTrafficFile).ToArray(), margins, corpus.Labels, 0.015):P1}");
            }
            output.WriteLine(line + FormattableString.Invariant($" ({protocol}, {watch.Elapsed.TotalSeconds:F0}s)"));
            comparisons.Add(new Comparison(name, Math.Round(all, 4), ordinary is { } x ? Math.Round(x, 4) : null, protocol));
        }

        if (options.Get("write-card") == "yes")
        {
            var cardPath = Path.Combine(ModelCommands.SourceModelsDirectory(options), ModelCard.FileName);
            var card = ModelCard.Read(cardPath);
            ModelEntry Merge(ModelEntry entry) => entry with
            {
                Comparisons = [.. entry.Comparisons.Where(e => comparisons.All(n => n.Candidate != e.Candidate)), .. comparisons],
            };
            card = spam ? card with { Spam = Merge(card.Spam) } : card with { Toxicity = Merge(card.Toxicity) };
            card.Write(cardPath);
        }
        return 0;
    }

    // Context for the random talk sample: its raters saw the parent comment. Each fold's model also
    // scores the parent, and margin + beta * parent margin is ranked (beta cross-fitted on the other folds).
    private static int Context(CommandOptions options, string data, TextWriter output)
    {
        var (rows, _) = TrainingData.Load(data, TrainingData.ToxicityFiles, null);
        var settings = HashingSettings.Default with { Lexicon = options.Get("lexicon") != "no" };
        var corpus = new FeaturizedCorpus(rows, settings);
        var table = Csv.ReadTable(Path.Combine(data, TrainingData.OrdinaryTrafficFile));
        var parentColumn = table.Column("ParentText");
        var ordinary = Enumerable.Range(0, corpus.Count).Where(i => corpus.Groups[i] == TrainingData.OrdinaryTrafficFile).ToArray();
        var parents = new FeaturizedCorpus(table.Rows.Select(r => new LabelledText(r[parentColumn], false, "parent")).ToList(), settings);
        var folds = ModelTrainer.StratifiedFolds(corpus.Labels, 5, ModelTrainer.Seed);
        var l2 = float.Parse(options.Get("l2") ?? "0.3", CultureInfo.InvariantCulture);
        var ml = new MLContext(ModelTrainer.Seed);
        var margins = new double[ordinary.Length];
        var parentMargins = new double[ordinary.Length];
        foreach (var fold in Enumerable.Range(0, 5))
        {
            var train = Enumerable.Range(0, corpus.Count).Where(i => folds[i] != fold).ToArray();
            var idf = corpus.Idf(train);
            var fit = ModelTrainer.Fit(ml, corpus, train, idf, ModelTrainer.Lbfgs(l2));
            for (var k = 0; k < ordinary.Length; k++)
            {
                if (folds[ordinary[k]] == fold)
                {
                    margins[k] = ModelTrainer.Margin(corpus.Vector(ordinary[k], idf), fit.Weights, fit.Bias);
                    parentMargins[k] = ModelTrainer.Margin(parents.Vector(k, idf), fit.Weights, fit.Bias);
                }
            }
        }
        var labels = ordinary.Select(i => corpus.Labels[i]).ToArray();
        var all = Enumerable.Range(0, ordinary.Length).ToArray();
        double[] Combined(double beta) => margins.Select((m, k) => m + beta * parentMargins[k]).ToArray();
        double[] betas = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1];
        foreach (var beta in betas)
        {
            var combined = Combined(beta);
            output.WriteLine(FormattableString.Invariant(
                $"context beta {beta}: ordinary traffic ROC-AUC {Metrics.RocAuc(combined, labels):F4}, toxic caught at 1.5 % clean flagged {CaughtAt(all, combined, labels, 0.015):P1}"));
        }
        var crossFitted = new double[ordinary.Length];
        foreach (var fold in Enumerable.Range(0, 5))
        {
            var others = all.Where(k => folds[ordinary[k]] != fold).ToArray();
            var best = betas.MaxBy(beta =>
            {
                var combined = Combined(beta);
                return Metrics.RocAuc(others.Select(k => combined[k]).ToArray(), others.Select(k => labels[k]).ToArray());
            });
            foreach (var k in all.Where(k => folds[ordinary[k]] == fold))
            {
                crossFitted[k] = margins[k] + best * parentMargins[k];
            }
            output.WriteLine(FormattableString.Invariant($"  fold {fold}: beta {best} chosen on the other folds"));
        }
        output.WriteLine(FormattableString.Invariant(
            $"context, beta cross-fitted: ordinary traffic ROC-AUC {Metrics.RocAuc(crossFitted, labels):F4}, toxic caught at 1.5 % clean flagged {CaughtAt(all, crossFitted, labels, 0.015):P1}"));
        return 0;
    }

    // Share of positives at or above the score that flags the given share of negatives (ranking only).
    private static double CaughtAt(int[] rows, double[] margins, bool[] labels, double cleanShare)
    {
        var negatives = rows.Where(i => !labels[i]).Select(i => margins[i]).OrderDescending().ToArray();
        var positives = rows.Where(i => labels[i]).Select(i => margins[i]).ToArray();
        if (negatives.Length == 0 || positives.Length == 0)
        {
            return double.NaN;
        }
        var threshold = negatives[Math.Min(negatives.Length - 1, (int)(cleanShare * negatives.Length))];
        return positives.Count(m => m > threshold) / (double)positives.Length;
    }

    // --vectors SCALE (or no, the default) [--vectors-file F]: the word-vector table a candidate reads.
    private static WordVectors? VectorsOption(CommandOptions options) =>
        options.Get("vectors") is { } scale && scale != "no"
            ? WordVectors.Load(options.Get("vectors-file") ?? Path.Combine(ModelCommands.SourceModelsDirectory(options), WordVectors.FileName))
            : null;

    private static HashingSettings WithVectors(HashingSettings settings, WordVectors vectors, CommandOptions options) =>
        settings with { VectorDimensions = vectors.Dimensions, VectorScale = float.Parse(options.Get("vectors")!, CultureInfo.InvariantCulture) };

    private static double[] Standardise(double[] margins)
    {
        var scored = margins.Where(m => !double.IsNaN(m)).ToArray();
        var mean = scored.Average();
        var deviation = Math.Sqrt(scored.Average(m => (m - mean) * (m - mean)));
        return margins.Select(m => (m - mean) / deviation).ToArray();
    }

    // The shipped spam recipe with other amounts/weights of ordinary non-spam examples: LOVO figures on
    // YouTube, and how often held-out ordinary comments cross 0.5.
    private static int SpamPlan(CommandOptions options, string data, TextWriter output)
    {
        var plan = TrainingPlan.Default with
        {
            SpamScale = Enum.Parse<BucketScale>(options.Get("scale") ?? TrainingPlan.Default.SpamScale.ToString(), ignoreCase: true),
            Hashing = new HashingSettings(
                options.GetInt("bits", HashingSettings.Default.HashBits), options.GetInt("words", HashingSettings.Default.WordNgrams),
                options.GetInt("cmin", HashingSettings.Default.CharMin), options.GetInt("cmax", HashingSettings.Default.CharMax),
                options.Get("lexicon") is { } lexicon ? lexicon == "yes" : HashingSettings.Default.Lexicon),
            SpamLexicon = options.Get("spam-lexicon") == "yes",
            SpamOrdinaryNegatives = options.GetInt("negatives", TrainingPlan.Default.SpamOrdinaryNegatives),
            SpamOrdinaryWeight = options.Get("weight") is { } weight ? float.Parse(weight, CultureInfo.InvariantCulture) : TrainingPlan.Default.SpamOrdinaryWeight,
            SpamL2 = (options.Get("l2") ?? "0.001").Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray(),
        };
        var vectors = VectorsOption(options);
        if (vectors is not null)
        {
            plan = plan with { Hashing = WithVectors(plan.Hashing, vectors, options), SpamVectors = true };
        }
        var (rows, files) = TrainingData.Load(data, TrainingData.ToxicityFiles, null);
        var watch = Stopwatch.StartNew();
        var (corpus, cv, _, evaluation) = new Training(plan, TextWriter.Null, vectors).CrossValidateSpam(data, rows, files);
        var probabilities = evaluation.Select(i => cv.Probabilities[i]).ToArray();
        var labels = evaluation.Select(i => corpus.Labels[i]).ToArray();
        var ordinary = Enumerable.Range(0, corpus.Count).Except(evaluation).ToArray();
        var flagged = ordinary.Count(i => cv.Probabilities[i] >= 0.5) / (double)Math.Max(1, ordinary.Length);
        if (options.Get("dump") is { } dump)
        {
            var (youTube, _) = TrainingData.Load(data, TrainingData.SpamFiles, "Video");
            File.WriteAllLines(dump, evaluation.Select(i => FormattableString.Invariant($"{cv.Probabilities[i]:F4}\t{(corpus.Labels[i] ? 1 : 0)}\t{corpus.Groups[i]}\t{youTube[i].Text.ReplaceLineEndings(" ")}")));
        }
        output.WriteLine(FormattableString.Invariant(
            $"spam {plan.SpamScale}{(vectors is null ? "" : $" word vectors x{plan.Hashing.VectorScale}")} words 1-{plan.Hashing.WordNgrams} chars {plan.Hashing.CharMin}-{plan.Hashing.CharMax}, negatives {plan.SpamOrdinaryNegatives} x{plan.SpamOrdinaryWeight}, l2 {string.Join('/', plan.SpamL2)}: LOVO ROC-AUC {Metrics.RocAuc(probabilities, labels):F4}, accuracy {Metrics.At(probabilities, labels, 0.5).Accuracy:F4}, ordinary comments >= 0.5: {flagged:P2} ({watch.Elapsed.TotalSeconds:F0}s)"));
        return 0;
    }
}
