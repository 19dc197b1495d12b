using Comments.Moderation.Ml;
using Microsoft.ML;
using Microsoft.ML.Data;

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

internal sealed class Prediction
{
    public float Probability { get; set; }
}
