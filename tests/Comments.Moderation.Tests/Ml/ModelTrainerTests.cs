using Comments.Moderation.Ml;
using Microsoft.ML;

namespace Comments.Moderation.Tests.Ml;

public sealed class ModelTrainerTests
{
    private static readonly HashingSettings Small = new(14, 2, 2, 4);

    // Two separable families of sentences, built from word lists so the set is ours and tiny.
    private static List<LabelledText> Synthetic()
    {
        string[] nice = ["thanks", "helpful", "clear", "good", "source", "agree", "article", "great"];
        string[] nasty = ["stupid", "idiot", "shut", "loser", "pathetic", "moron", "garbage", "hate"];
        var rows = new List<LabelledText>();
        for (var i = 0; i < 120; i++)
        {
            var toxic = i % 3 == 0;
            var words = toxic ? nasty : nice;
            var text = $"{words[i % 8]} {nice[(i * 5) % 8]} {words[(i * 3) % 8]} comment number {i}";
            rows.Add(new LabelledText(text, toxic, i % 2 == 0 ? "a" : "b"));
        }
        return rows;
    }

    private static LinearFit Train(FeaturizedCorpus corpus)
    {
        var rows = Enumerable.Range(0, corpus.Count).ToArray();
        return ModelTrainer.Fit(new MLContext(ModelTrainer.Seed), corpus, rows, corpus.Idf(rows), ModelTrainer.Lbfgs(0.1f));
    }

    [Fact]
    public void TrainingTwiceGivesIdenticalWeights()
    {
        var first = Train(new FeaturizedCorpus(Synthetic(), Small));
        var second = Train(new FeaturizedCorpus(Synthetic(), Small));

        Assert.Equal(first.Bias, second.Bias);
        Assert.True(first.Weights.SequenceEqual(second.Weights));
        Assert.Contains(first.Weights, w => w != 0);
    }

    [Fact]
    public void CrossValidationScoresEveryRowAndSeparatesTheFamilies()
    {
        var corpus = new FeaturizedCorpus(Synthetic(), Small);
        var folds = ModelTrainer.StratifiedFolds(corpus.Labels, 5, ModelTrainer.Seed);

        var margins = ModelTrainer.CrossValidate(new MLContext(ModelTrainer.Seed), corpus, folds, ModelTrainer.Lbfgs(0.1f), useIdf: true);

        Assert.DoesNotContain(margins, double.IsNaN);
        Assert.True(Metrics.RocAuc(margins, corpus.Labels) > 0.95);
    }

    [Fact]
    public void StratifiedFoldsShareThePositivesEvenly()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 10 == 0).ToArray();

        var folds = ModelTrainer.StratifiedFolds(labels, 5, 7);

        Assert.All(Enumerable.Range(0, 5), f => Assert.Equal(2, Enumerable.Range(0, 100).Count(i => folds[i] == f && labels[i])));
        Assert.Equal(folds, ModelTrainer.StratifiedFolds(labels, 5, 7));
    }

    [Fact]
    public void GroupFoldsLeaveOneGroupOut()
    {
        Assert.Equal([0, 1, 0, 2, 1], ModelTrainer.GroupFolds(["psy", "katy", "psy", "eminem", "katy"]));
    }

    [Fact]
    public void SavedModelKeepsItsWeightsAndCalibration()
    {
        var corpus = new FeaturizedCorpus(Synthetic(), Small);
        var ml = new MLContext(ModelTrainer.Seed);
        var fit = Train(corpus);
        var data = ModelTrainer.ToDataView(ml, corpus, Enumerable.Range(0, corpus.Count).ToArray(), null);
        var calibrator = ml.BinaryClassification.Calibrators.Platt(-1.5, 0.25).Fit(fit.Model.Transform(data));
        using var stream = new MemoryStream();
        ml.Model.Save(new Microsoft.ML.Data.TransformerChain<ITransformer>(fit.Model, calibrator), data.Schema, stream);
        stream.Position = 0;

        var loaded = ml.Model.Load(stream, out _);

        Assert.True(ModelTrainer.LinearParameters(loaded).Weights.SequenceEqual(fit.Weights));
        Assert.Equal((-1.5, 0.25), ModelTrainer.PlattParameters(loaded));
    }

    [Fact]
    public void TrainingTreesTwiceGivesIdenticalTrees()
    {
        var corpus = new FeaturizedCorpus(Synthetic(), Small);
        var rows = Enumerable.Range(0, corpus.Count).ToArray();
        var plan = new TreeBlendPlan(Trees: 10, Leaves: 4, LearningRate: 0.2, Weight: 0.5);

        var first = ModelTrainer.FitTrees(new MLContext(ModelTrainer.Seed), corpus, rows, plan).Trees;
        var second = ModelTrainer.FitTrees(new MLContext(ModelTrainer.Seed), new FeaturizedCorpus(Synthetic(), Small), rows, plan).Trees;

        Assert.Equal(rows.Select(r => first.Score(corpus.Dense[r])), rows.Select(r => second.Score(corpus.Dense[r])));
        Assert.Contains(rows, r => first.Score(corpus.Dense[r]) != first.Score(corpus.Dense[0]));
    }

    [Fact]
    public void ABlendedToxicityModelIsSavedWithItsTreesAndLoadsAsTheCardSays()
    {
        var corpus = new FeaturizedCorpus(Synthetic(), Small);
        var plan = new TrainingPlan(Small, BucketScale.Idf, [0.1f], [0.1f], ToxicityTrees: new TreeBlendPlan(Trees: 10, Leaves: 4, LearningRate: 0.2, Weight: 0.5));
        var training = new Training(plan, TextWriter.Null);
        var directory = Path.Combine(Path.GetTempPath(), "blend-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cv = training.CrossValidateToxicity(corpus);
            var (entry, linear) = training.FitAndSave(corpus, cv, [], plan.Scale, directory, "t.zip", "t.idf", "t-trees.zip");

            var blend = Assert.IsType<BlendValidation>(cv.Blend);
            var trees = Assert.IsType<TreeBlendCard>(entry.Trees);
            Assert.Equal("t-trees.zip", trees.ModelFile);
            Assert.Equal(TrainingData.Sha256(Path.Combine(directory, "t-trees.zip")), trees.ModelSha256);
            Assert.Equal((blend.LinearCoefficient, blend.TreeCoefficient), (trees.LinearCoefficient, trees.TreeCoefficient));
            Assert.Equal((cv.Platt.Slope, cv.Platt.Offset), (trees.Calibration.Slope, trees.Calibration.Offset));
            // The linear zip keeps the linear model's own calibration; the blend's differs.
            Assert.Equal((blend.LinearPlatt.Slope, blend.LinearPlatt.Offset), (linear.PlattSlope, linear.PlattOffset));
            Assert.NotEqual(blend.LinearPlatt, cv.Platt);
            // The blended out-of-fold margin is the sum the card describes.
            Assert.All(Enumerable.Range(0, corpus.Count), i => Assert.Equal(
                blend.LinearCoefficient * blend.LinearMargins[i] + blend.TreeCoefficient * blend.TreeMargins[i], cv.Margins[i], 9));

            var loaded = ModelBundle.LoadTrees(new MLContext(ModelTrainer.Seed), directory, trees, Small);
            var features = linear.NewFeatures();
            var probabilities = Synthetic().Select(row =>
            {
                features.Extract(row.Text);
                return loaded.Probability(linear.Score(features), features.Dense);
            }).ToArray();
            Assert.True(Metrics.RocAuc(probabilities, corpus.Labels) > 0.95);
            Assert.Equal(10, loaded.Trees.TreeCount);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
