using Comments.Moderation.Ml;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Comments.Moderation.Tests.Ml;

public sealed class FastPathTests
{
    private static readonly string[] Texts =
    [
        "",
        "Thanks for the clear reporting.",
        "You are a worthless idiot and everyone knows it.",
        "Check out my channel http://youtube.com/xyz and SUBSCRIBE!!! call 555-123-4567",
        "f u c k this, 1d10t. іdіоt with Cyrillic letters and zero\u200Bwidth spaces",
        "Ünïcödé, emoji 😀 and 中文 text; a \"quoted\" remark, then\nnew lines\r\nand tabs\t.",
        string.Concat(Enumerable.Repeat("A long comment that keeps going about the article and its sources. ", 40)),
    ];

    [Fact]
    public void ToxicityFastPathEqualsPredictionEngineOnTheSavedModel()
    {
        AssertSameProbabilities(ModelBundle.ToxicityModelFile, ShippedModels.Bundle.Toxicity);
    }

    [Fact]
    public void SpamFastPathEqualsPredictionEngineOnTheSavedModel()
    {
        AssertSameProbabilities(ModelBundle.SpamModelFile, ShippedModels.Bundle.Spam);
    }

    [Fact]
    public void BlendedToxicityEqualsMlNetsLinearAndTreeScoresAddedAsTheCardSays()
    {
        var bundle = ShippedModels.Bundle;
        var entry = Assert.IsType<TreeBlendCard>(bundle.Card.Toxicity.Trees);
        var ml = new MLContext(1);
        ml.ComponentCatalog.RegisterAssembly(typeof(FastTreeBinaryModelParameters).Assembly);
        var hashing = bundle.Card.Hashing;
        var linearSchema = SchemaDefinition.Create(typeof(FeatureInput));
        linearSchema[nameof(FeatureInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, hashing.FeatureCount);
        var denseSchema = SchemaDefinition.Create(typeof(DenseInput));
        denseSchema[nameof(DenseInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, hashing.DenseCount);
        using var linear = ml.Model.CreatePredictionEngine<FeatureInput, Prediction>(
            ml.Model.Load(Path.Combine(ShippedModels.Directory, ModelBundle.ToxicityModelFile), out _), inputSchemaDefinition: linearSchema);
        using var trees = ml.Model.CreatePredictionEngine<DenseInput, Prediction>(
            ml.Model.Load(Path.Combine(ShippedModels.Directory, entry.ModelFile), out _), inputSchemaDefinition: denseSchema);
        var scorer = new MlScorer(bundle);
        var features = bundle.Toxicity.NewFeatures();
        foreach (var text in Texts)
        {
            features.Extract(text);
            var margin = entry.LinearCoefficient * linear.Predict(new FeatureInput { Features = FeatureVector.Build(features, bundle.Toxicity.Idf) }).Score
                + entry.TreeCoefficient * trees.Predict(new DenseInput { Features = [.. features.Dense] }).Score;
            var expected = 1 / (1 + Math.Exp(entry.Calibration.Slope * margin + entry.Calibration.Offset));

            var actual = scorer.Probabilities(text).Toxicity;

            Assert.True(Math.Abs(expected - actual) < 1e-5, $"ML.NET {expected} vs fast path {actual} for \"{text[..Math.Min(30, text.Length)]}\"");
            Assert.Equal(actual, bundle.ToxicityProbability(features), tolerance: 1e-6);
        }
    }

    private static void AssertSameProbabilities(string file, LinearTextModel model)
    {
        var ml = new MLContext(1);
        var transformer = ml.Model.Load(Path.Combine(ShippedModels.Directory, file), out _);
        var schema = SchemaDefinition.Create(typeof(FeatureInput));
        schema[nameof(FeatureInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, model.Hashing.FeatureCount);
        using var engine = ml.Model.CreatePredictionEngine<FeatureInput, Prediction>(transformer, inputSchemaDefinition: schema);
        var features = model.NewFeatures();
        foreach (var text in Texts)
        {
            features.Extract(text);
            var expected = engine.Predict(new FeatureInput { Features = FeatureVector.Build(features, model.Idf) }).Probability;

            var actual = model.Probability(features);

            Assert.True(Math.Abs(expected - actual) < 1e-5, $"ML.NET {expected} vs fast path {actual} for \"{text[..Math.Min(30, text.Length)]}\"");
        }
    }
}

internal sealed class FeatureInput
{
    public VBuffer<float> Features { get; set; }
}

internal sealed class DenseInput
{
    public float[] Features { get; set; } = [];
}

internal sealed class Prediction
{
    public float Score { get; set; }

    public float Probability { get; set; }
}
