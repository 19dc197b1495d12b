using System.Globalization;

namespace Comments.Moderation.Ml;

/// <summary>
/// A functional test suite for the toxicity model in the HateCheck format (Röttger et al., ACL 2021:
/// <c>test_suite_cases.csv</c>): one case per row with <c>functionality</c>, <c>test_case</c> and
/// <c>label_gold</c> (<c>hateful</c> or <c>non-hateful</c>). Each case is scored by the shipped model;
/// a case is flagged when its toxicity reaches the hold threshold (what a moderator would then see) and
/// rejected when the worker would reject it for toxicity (what nobody would see): at the reject threshold,
/// unless the quoted words alone took it there. Figures per functionality, so a
/// reader sees which kinds of hate get through and which harmless mentions of a group are held or rejected.
/// </summary>
public static class FunctionalTests
{
    public const string Hateful = "hateful";
    public const string NonHateful = "non-hateful";

    public sealed record TestCase(string Functionality, string Text, bool Hateful);

    public static IReadOnlyList<TestCase> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The functional tests file {path} does not exist.", path);
        }
        var table = Csv.ReadTable(path);
        var functionality = table.Column("functionality");
        var text = table.Column("test_case");
        var gold = table.Column("label_gold");
        var cases = new List<TestCase>(table.Rows.Count);
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            var label = row[gold].Trim();
            if (label is not (Hateful or NonHateful))
            {
                throw new InvalidDataException($"{path}, record {r + 2}: label_gold must be '{Hateful}' or '{NonHateful}', not '{row[gold]}'.");
            }
            cases.Add(new TestCase(row[functionality].Trim(), row[text].Trim(), label == Hateful));
        }
        return cases.Count > 0 ? cases : throw new InvalidDataException($"The functional tests file {path} has no cases.");
    }

    /// <summary>
    /// Scores every case with <paramref name="score"/> (its toxicity, and whether the worker would reject it for
    /// toxicity at <paramref name="rejectThreshold"/>: the quoted-words rule can hold a case above it) and sums up.
    /// </summary>
    public static FunctionalTestsCard Run(string path, Func<string, (double Toxicity, bool Rejected)> score, double holdThreshold, double rejectThreshold)
    {
        ArgumentNullException.ThrowIfNull(score);
        var cases = Read(path);
        var results = cases.Select(c => score(c.Text)).ToArray();
        var scores = results.Select(r => r.Toxicity).ToArray();
        var labels = cases.Select(c => c.Hateful).ToArray();
        double Share(IEnumerable<int> rows, Func<int, bool> counted)
        {
            var list = rows.ToList();
            return list.Count == 0 ? double.NaN : Math.Round(list.Count(counted) / (double)list.Count, 4);
        }
        bool Flagged(int i) => scores[i] >= holdThreshold;
        bool Rejected(int i) => results[i].Rejected;
        bool RejectedByModel(int i) => scores[i] >= rejectThreshold;
        var rows = Enumerable.Range(0, cases.Count).ToArray();
        return new FunctionalTestsCard
        {
            File = Path.GetFileName(path),
            Sha256 = TrainingData.Sha256(path),
            Cases = cases.Count,
            HoldThreshold = holdThreshold,
            RejectThreshold = rejectThreshold,
            RocAuc = Math.Round(Metrics.RocAuc(scores, labels), 4),
            HatefulFlagged = Share(rows.Where(i => labels[i]), Flagged),
            NonHatefulFlagged = Share(rows.Where(i => !labels[i]), Flagged),
            HatefulRejected = Share(rows.Where(i => labels[i]), Rejected),
            NonHatefulRejected = Share(rows.Where(i => !labels[i]), Rejected),
            HatefulRejectedByModel = Share(rows.Where(i => labels[i]), RejectedByModel),
            NonHatefulRejectedByModel = Share(rows.Where(i => !labels[i]), RejectedByModel),
            PerFunctionality = rows.GroupBy(i => cases[i].Functionality, StringComparer.Ordinal)
                .Select(g => new FunctionalityFigure(
                    g.Key,
                    g.All(i => labels[i]) ? Hateful : g.All(i => !labels[i]) ? NonHateful : "mixed",
                    g.Count(),
                    Share(g, Flagged),
                    Share(g, Rejected),
                    Share(g, RejectedByModel)))
                .ToList(),
        };
    }

    public static void Print(TextWriter output, FunctionalTestsCard card)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(card);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c,
            $"== functional tests ({card.File}, {card.Cases} cases), flagged = toxicity >= hold threshold {card.HoldThreshold:F2}, rejected = auto-rejected for toxicity (threshold {card.RejectThreshold:F2}): hateful flagged {card.HatefulFlagged:P1} (rejected {card.HatefulRejected:P1}; the model alone at the threshold {card.HatefulRejectedByModel:P1}), non-hateful flagged {card.NonHatefulFlagged:P1} (rejected {card.NonHatefulRejected:P1}; the model alone {card.NonHatefulRejectedByModel:P1}), ROC-AUC {card.RocAuc:F4}"));
        foreach (var f in card.PerFunctionality)
        {
            output.WriteLine(string.Create(c, $"   {f.Functionality,-24} {f.Gold,-12} {f.Cases,5} cases, flagged {f.Flagged,7:P1}, rejected {f.Rejected,7:P1} (model alone {f.RejectedByModel,7:P1})"));
        }
    }
}

/// <summary>
/// The model on a functional test suite (<c>evaluate --functional-tests</c>): shares of cases flagged (at or
/// above the hold threshold), rejected (as the worker would for toxicity, the quoted-words rule included) and
/// rejected by the model alone (toxicity at or above the reject threshold); the last two absent in cards written before.
/// </summary>
public sealed record FunctionalTestsCard
{
    public required string File { get; init; }

    public required string Sha256 { get; init; }

    public required int Cases { get; init; }

    public required double HoldThreshold { get; init; }

    public double RejectThreshold { get; init; } = double.NaN;

    public required double RocAuc { get; init; }

    public required double HatefulFlagged { get; init; }

    public required double NonHatefulFlagged { get; init; }

    public double HatefulRejected { get; init; } = double.NaN;

    public double NonHatefulRejected { get; init; } = double.NaN;

    public double HatefulRejectedByModel { get; init; } = double.NaN;

    public double NonHatefulRejectedByModel { get; init; } = double.NaN;

    public required IReadOnlyList<FunctionalityFigure> PerFunctionality { get; init; }
}

/// <summary>One functionality: its gold label, its cases and the shares flagged, rejected, and rejected by the model alone.</summary>
public sealed record FunctionalityFigure(string Functionality, string Gold, int Cases, double Flagged, double Rejected = double.NaN, double RejectedByModel = double.NaN);
