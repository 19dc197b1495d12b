using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;

namespace Comments.Moderation.Ml;

/// <summary>
/// The trees of a trained ML.NET FastTree binary model, read out so the worker can score them itself
/// on a comment's dense features (as <see cref="LinearTextModel"/> does for the linear model): the
/// raw score is the weighted sum of each tree's leaf, the same number ML.NET's Score column holds.
/// The toxicity model's tree half (<see cref="TreeBlend"/>; README: Moderation models).
/// </summary>
public sealed class TreeEnsemble
{
    private readonly Tree[] trees;

    private TreeEnsemble(Tree[] trees, double bias, int featureCount)
    {
        this.trees = trees;
        Bias = bias;
        FeatureCount = featureCount;
    }

    public double Bias { get; }

    public int FeatureCount { get; }

    public int TreeCount => trees.Length;

    /// <summary>Reads the ensemble out of a FastTree binary model (calibrated or not, alone or in a chain).</summary>
    public static TreeEnsemble From(ITransformer model, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var transformer in model is IEnumerable<ITransformer> chain ? chain : [model])
        {
            if (transformer is IPredictionTransformer<object> prediction)
            {
                var parameters = prediction.Model is CalibratedModelParametersBase calibrated ? calibrated.SubModel : prediction.Model;
                if (parameters is FastTreeBinaryModelParameters fastTree)
                {
                    var ensemble = fastTree.TrainedTreeEnsemble;
                    var read = new Tree[ensemble.Trees.Count];
                    for (var t = 0; t < read.Length; t++)
                    {
                        var tree = ensemble.Trees[t];
                        if (tree.CategoricalSplitFlags.Any(flag => flag))
                        {
                            throw new InvalidDataException("The tree model uses categorical splits; only numerical ones are supported.");
                        }
                        read[t] = new Tree(
                            [.. tree.NumericalSplitFeatureIndexes], [.. tree.NumericalSplitThresholds],
                            [.. tree.LeftChild], [.. tree.RightChild], [.. tree.LeafValues], ensemble.TreeWeights[t]);
                        if (read[t].Features.Any(f => f < 0 || f >= featureCount))
                        {
                            throw new InvalidDataException($"Tree {t} splits on a feature outside the {featureCount} expected.");
                        }
                    }
                    return new TreeEnsemble(read, ensemble.Bias, featureCount);
                }
            }
        }
        throw new InvalidDataException("The model holds no FastTree binary predictor.");
    }

    /// <summary>The raw (uncalibrated) score of the dense feature vector.</summary>
    public double Score(ReadOnlySpan<float> features)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features, got {features.Length}.", nameof(features));
        }
        var score = Bias;
        foreach (var tree in trees)
        {
            var node = 0;
            while (node >= 0)
            {
                // ML.NET goes left when the value is at most the threshold.
                node = features[tree.Features[node]] <= tree.Thresholds[node] ? tree.Left[node] : tree.Right[node];
            }
            score += tree.Weight * tree.Leaves[~node];
        }
        return score;
    }

    private sealed record Tree(int[] Features, float[] Thresholds, int[] Left, int[] Right, double[] Leaves, double Weight);
}
