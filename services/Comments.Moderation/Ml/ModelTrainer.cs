using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;

namespace Comments.Moderation.Ml;

/// <summary>A labelled set featurised once; IDF and vectors are derived per training slice.</summary>
public sealed class FeaturizedCorpus
{
    public FeaturizedCorpus(IReadOnlyList<LabelledText> rows, HashingSettings settings, WordVectors? vectors = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        Vectors = vectors;
        Count = rows.Count;
        Words = new SparseCounts[rows.Count];
        Chars = new SparseCounts[rows.Count];
        Dense = new float[rows.Count][];
        Labels = rows.Select(r => r.Label).ToArray();
        Weights = rows.Select(r => r.Weight).ToArray();
        Groups = rows.Select(r => r.Group).ToArray();
        // Each row is featurised on its own, so the result does not depend on the thread schedule.
        Parallel.For(0, rows.Count, () => new TextFeatures(settings, vectors), (i, _, features) =>
        {
            features.Extract(rows[i].Text);
            Words[i] = SparseCounts.Of(features.Words);
            Chars[i] = SparseCounts.Of(features.Chars);
            Dense[i] = (float[])features.Dense.Clone();
            return features;
        }, _ => { });
    }

    public HashingSettings Settings { get; }

    public WordVectors? Vectors { get; }

    /// <summary>Zeroes <paramref name="count"/> dense features from <paramref name="first"/> on, so a model trained on these rows gives them no weight.</summary>
    public void ClearDense(int first, int count)
    {
        foreach (var dense in Dense)
        {
            Array.Clear(dense, first, count);
        }
    }

    public int Count { get; }

    public SparseCounts[] Words { get; }

    public SparseCounts[] Chars { get; }

    public float[][] Dense { get; }

    public bool[] Labels { get; }

    public float[] Weights { get; }

    public string[] Groups { get; }

    /// <summary>Smoothed IDF, ln((1 + n) / (1 + df)) + 1, learned from the given rows only.</summary>
    public float[] Idf(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var documentFrequency = new int[Settings.Buckets];
        foreach (var row in rows)
        {
            foreach (var key in Words[row].Keys)
            {
                documentFrequency[key]++;
            }
            foreach (var key in Chars[row].Keys)
            {
                documentFrequency[key]++;
            }
        }
        var idf = new float[Settings.Buckets];
        for (var i = 0; i < idf.Length; i++)
        {
            idf[i] = MathF.Log((1f + rows.Count) / (1f + documentFrequency[i])) + 1;
        }
        return idf;
    }

    /// <summary>
    /// Naive-Bayes log-count ratios per bucket (NB-SVM style), r = log((p / |p|) / (q / |q|)) over
    /// binary presence with add-one smoothing, learned from the given rows only.
    /// </summary>
    public float[] NaiveBayesRatios(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var positive = new double[Settings.Buckets];
        var negative = new double[Settings.Buckets];
        foreach (var row in rows)
        {
            var counts = Labels[row] ? positive : negative;
            foreach (var key in Words[row].Keys)
            {
                counts[key]++;
            }
            foreach (var key in Chars[row].Keys)
            {
                counts[key]++;
            }
        }
        double positiveTotal = Settings.Buckets, negativeTotal = Settings.Buckets;
        for (var i = 0; i < positive.Length; i++)
        {
            positiveTotal += positive[i];
            negativeTotal += negative[i];
        }
        var ratios = new float[Settings.Buckets];
        for (var i = 0; i < ratios.Length; i++)
        {
            ratios[i] = (float)Math.Log((positive[i] + 1) / positiveTotal / ((negative[i] + 1) / negativeTotal));
        }
        return ratios;
    }

    public VBuffer<float> Vector(int row, float[]? idf) => FeatureVector.Build(Settings, Words[row], Chars[row], Dense[row], idf);
}

/// <summary>An ML.NET binary trainer over the hashed feature column, by name for reports.</summary>
public sealed record TrainerSpec(string Name, Func<MLContext, IEstimator<ITransformer>> Create);

/// <summary>A fitted linear model: the ML.NET transformer and its weights for the fast path.</summary>
public sealed record LinearFit(ITransformer Model, float[] Weights, float Bias);

/// <summary>Trains and cross-validates linear models over a <see cref="FeaturizedCorpus"/> with ML.NET.</summary>
public static class ModelTrainer
{
    public const int Seed = 20261128;

    public static TrainerSpec Lbfgs(float l2) => new(
        FormattableString.Invariant($"lbfgs-logistic(l2={l2})"),
        ml => ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            L1Regularization = 0,
            L2Regularization = l2,
            ExampleWeightColumnName = "Weight",
            OptimizationTolerance = 1e-6f,
            MaximumNumberOfIterations = 200,
            // One thread: the gradient sum is then always added up in the same order, so training is reproducible.
            NumberOfThreads = 1,
        }));

    public static TrainerSpec Sdca(float l2) => new(
        FormattableString.Invariant($"sdca-logistic(l2={l2})"),
        ml => ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
        {
            L2Regularization = l2,
            L1Regularization = 0,
            NumberOfThreads = 1,
            MaximumNumberOfIterations = 30,
        }));

    public static TrainerSpec AveragedPerceptron(int iterations) => new(
        FormattableString.Invariant($"averaged-perceptron(iterations={iterations})"),
        ml => ml.BinaryClassification.Trainers.AveragedPerceptron(numberOfIterations: iterations));

    public static TrainerSpec LinearSvm(int iterations) => new(
        FormattableString.Invariant($"linear-svm(iterations={iterations})"),
        ml => ml.BinaryClassification.Trainers.LinearSvm(numberOfIterations: iterations));

    public static IDataView ToDataView(MLContext ml, FeaturizedCorpus corpus, IReadOnlyList<int> rows, float[]? idf)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(rows);
        var data = rows.Select(r => new FeatureRow { Label = corpus.Labels[r], Weight = corpus.Weights[r], Features = corpus.Vector(r, idf) }).ToList();
        return ml.Data.LoadFromEnumerable(data, FeatureRow.Schema(corpus.Settings.FeatureCount));
    }

    /// <summary>The rows' dense features alone (signals, lexicon, word vectors), for the tree model.</summary>
    public static IDataView DenseDataView(MLContext ml, FeaturizedCorpus corpus, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(rows);
        var data = rows.Select(r => new DenseRow { Label = corpus.Labels[r], Weight = corpus.Weights[r], Features = corpus.Dense[r] }).ToList();
        var schema = SchemaDefinition.Create(typeof(DenseRow));
        schema[nameof(DenseRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, corpus.Settings.DenseCount);
        return ml.Data.LoadFromEnumerable(data, schema);
    }

    /// <summary>
    /// A FastTree model on the rows' dense features. One thread and a fixed seed, so training twice
    /// gives the same trees. Returns the ML.NET model and its trees read out for the fast path.
    /// </summary>
    public static (ITransformer Model, TreeEnsemble Trees) FitTrees(MLContext ml, FeaturizedCorpus corpus, IReadOnlyList<int> rows, TreeBlendPlan plan)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(plan);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = plan.Trees,
            NumberOfLeaves = plan.Leaves,
            LearningRate = plan.LearningRate,
            ExampleWeightColumnName = "Weight",
            NumberOfThreads = 1,
            Seed = Seed,
        });
        var model = trainer.Fit(DenseDataView(ml, corpus, rows));
        return (model, TreeEnsemble.From(model, corpus.Settings.DenseCount));
    }

    public static LinearFit Fit(MLContext ml, FeaturizedCorpus corpus, IReadOnlyList<int> rows, float[]? idf, TrainerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var data = ToDataView(ml, corpus, rows, idf);
        var model = spec.Create(ml).Fit(data);
        var (weights, bias) = LinearParameters(model);
        return new LinearFit(model, weights, bias);
    }

    /// <summary>Weights and bias of the linear predictor in a model or chain (any calibrator is skipped).</summary>
    public static (float[] Weights, float Bias) LinearParameters(ITransformer model)
    {
        foreach (var transformer in Flatten(model))
        {
            if (transformer is IPredictionTransformer<object> prediction)
            {
                var parameters = prediction.Model is CalibratedModelParametersBase calibrated ? calibrated.SubModel : prediction.Model;
                if (parameters is LinearBinaryModelParameters linear)
                {
                    return (linear.Weights.ToArray(), linear.Bias);
                }
            }
        }
        throw new InvalidDataException("The model holds no linear binary predictor.");
    }

    /// <summary>Slope and offset of the last Platt calibrator in a chain.</summary>
    public static (double Slope, double Offset) PlattParameters(ITransformer model)
    {
        PlattCalibrator? last = null;
        foreach (var transformer in Flatten(model))
        {
            last = transformer switch
            {
                IPredictionTransformer<object> { Model: PlattCalibrator platt } => platt,
                IPredictionTransformer<object> { Model: CalibratedModelParametersBase { Calibrator: PlattCalibrator platt } } => platt,
                _ => last,
            };
        }
        return last is null
            ? throw new InvalidDataException("The model holds no Platt calibrator.")
            : (last.Slope, last.Offset);
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    public static float Margin(VBuffer<float> vector, float[] weights, float bias)
    {
        var values = vector.GetValues();
        var indices = vector.GetIndices();
        float sum = 0;
        if (vector.IsDense)
        {
            for (var i = 0; i < values.Length; i++)
            {
                sum += values[i] * weights[i];
            }
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                sum += values[i] * weights[indices[i]];
            }
        }
        return sum + bias;
    }

    /// <summary>Fits Platt scaling (ML.NET's calibrator trainer) on held-out margins.</summary>
    public static (double Slope, double Offset) FitPlatt(MLContext ml, IReadOnlyList<double> margins, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(margins);
        ArgumentNullException.ThrowIfNull(labels);
        var rows = margins.Select((m, i) => new ScoredRow { Label = labels[i], Score = (float)m }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var calibrator = ml.BinaryClassification.Calibrators.Platt().Fit(data);
        var platt = ((ISingleFeaturePredictionTransformer<PlattCalibrator>)calibrator).Model;
        return (platt.Slope, platt.Offset);
    }

    /// <summary>
    /// Out-of-fold margins: each row is scored by a model that never saw it. IDF is learned from
    /// the training part of each fold only. Rows of skipped folds stay NaN.
    /// </summary>
    public static double[] CrossValidate(MLContext ml, FeaturizedCorpus corpus, int[] foldOf, TrainerSpec spec, bool useIdf) =>
        CrossValidate(ml, corpus, foldOf, spec, useIdf ? (c, rows) => c.Idf(rows) : (_, _) => null, int.MaxValue);

    public static double[] CrossValidate(
        MLContext ml, FeaturizedCorpus corpus, int[] foldOf, TrainerSpec spec, Func<FeaturizedCorpus, int[], float[]?> scale, int maxFolds)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(foldOf);
        var margins = new double[corpus.Count];
        Array.Fill(margins, double.NaN);
        // Rows in a negative fold take no part: nested selection leaves the outer test fold out that way.
        // Rows in TrainingOnly are in every training part and never tested (their margins stay NaN).
        foreach (var fold in foldOf.Where(f => f is >= 0 and not TrainingOnly).Distinct().Order().Take(maxFolds))
        {
            var train = Enumerable.Range(0, corpus.Count).Where(i => foldOf[i] != fold && foldOf[i] >= 0).ToArray();
            var test = Enumerable.Range(0, corpus.Count).Where(i => foldOf[i] == fold).ToArray();
            var idf = scale(corpus, train);
            var fit = Fit(ml, corpus, train, idf, spec);
            foreach (var row in test)
            {
                margins[row] = Margin(corpus.Vector(row, idf), fit.Weights, fit.Bias);
            }
        }
        return margins;
    }

    /// <summary>The fold of rows that join every training part and are never tested (the written examples).</summary>
    public const int TrainingOnly = int.MaxValue;

    /// <summary>The rows a cross-validation scores: all but those in <see cref="TrainingOnly"/>.</summary>
    public static int[] ScoredRows(IReadOnlyList<int> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        return Enumerable.Range(0, folds.Count).Where(i => folds[i] != TrainingOnly).ToArray();
    }

    /// <summary>Stratified folds: each fold gets the same share of positives. Deterministic for a seed.</summary>
    public static int[] StratifiedFolds(IReadOnlyList<bool> labels, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var random = new Random(seed);
        var foldOf = new int[labels.Count];
        foreach (var label in new[] { true, false })
        {
            var members = Enumerable.Range(0, labels.Count).Where(i => labels[i] == label).ToArray();
            random.Shuffle(members);
            for (var i = 0; i < members.Length; i++)
            {
                foldOf[members[i]] = i % folds;
            }
        }
        return foldOf;
    }

    /// <summary>One fold per group (leave-one-group-out), numbered in order of first appearance.</summary>
    public static int[] GroupFolds(IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        return groups.Select(g => numbers.TryGetValue(g, out var n) ? n : numbers[g] = numbers.Count).ToArray();
    }

    private sealed class FeatureRow
    {
        public bool Label { get; set; }

        public float Weight { get; set; }

        public VBuffer<float> Features { get; set; }

        public static SchemaDefinition Schema(int size)
        {
            var schema = SchemaDefinition.Create(typeof(FeatureRow));
            schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
            return schema;
        }
    }

    private sealed class DenseRow
    {
        public bool Label { get; set; }

        public float Weight { get; set; }

        public float[] Features { get; set; } = [];
    }

    private sealed class ScoredRow
    {
        public bool Label { get; set; }

        public float Score { get; set; }
    }
}
