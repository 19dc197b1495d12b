using System.Buffers;
using System.Collections.Frozen;

namespace Comments.Moderation.Ml;

/// <summary>
/// A small hand-written word list for the toxicity model's lexicon features. Hits are counted
/// and the model learns how much each kind is worth: the list decides nothing by itself. It
/// helps with insults too rare in the training data for their own n-gram weights to be learned.
/// Words are matched on normalised tokens (lower case, leetspeak and homoglyphs folded).
/// </summary>
public static class Lexicon
{
    public enum Kind : byte { None, Insult, Rude, Profanity, Slur, Threat, SecondPerson }

    private static readonly FrozenDictionary<string, Kind> Words = Build();

    private static readonly FrozenDictionary<string, Kind>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        Words.GetAlternateLookup<ReadOnlySpan<char>>();

    // Stems that are offensive wherever they occur inside a token ("motherf...", "bullsh...").
    private static readonly SearchValues<string> ProfaneStems =
        SearchValues.Create(["fuck", "shit", "cunt", "bitch", "whore", "asshole", "wank", "fck", "fuk"], StringComparison.Ordinal);

    private static readonly SearchValues<string> SlurStems = SearchValues.Create(["nigger", "nigga", "faggot", "fagot"], StringComparison.Ordinal);

    public static Kind Of(ReadOnlySpan<char> token)
    {
        if (Lookup.TryGetValue(token, out var kind))
        {
            return kind;
        }
        if (token.Length < 4)
        {
            return Kind.None;
        }
        return token.ContainsAny(SlurStems) ? Kind.Slur : token.ContainsAny(ProfaneStems) ? Kind.Profanity : Kind.None;
    }

    private static FrozenDictionary<string, Kind> Build()
    {
        var words = new Dictionary<string, Kind>(StringComparer.Ordinal);
        void Add(Kind kind, string list)
        {
            foreach (var word in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                words[word] = kind;
            }
        }
        Add(Kind.Insult,
            "idiot idiots idiotic moron morons moronic stupid stupidity stupidest dumb dumber dumbest dumbass dummy fool fools " +
            "foolish loser losers retard retards retarded imbecile imbeciles cretin cretins jerk jerks scum scumbag scumbags " +
            "pathetic ignorant incompetent clown clowns liar liars hypocrite hypocrites coward cowards bigot bigots pig pigs " +
            "worthless disgusting vile filth filthy trash garbage freak freaks creep creepy lunatic lunatics psycho " +
            "nutjob nutcase halfwit dimwit nitwit twit twat dork douche douchebag prick pricks wanker tosser bastard bastards " +
            "ass asses arse jackass dick dicks dickhead cock cocks cocksucker pussy dipshit numbnuts stfu gtfo fatass " +
            "sucker suckers idiocy ignoramus buffoon pervert perverts loony brainless clueless");
        Add(Kind.Rude,
            "shut ugly fat sucks suck crap crappy nazi nazis vandal vandals troll trolls trolling hate hater haters sick " +
            "nonsense rubbish bullshit bs ridiculous silly lame childish arrogant insane crazy nuts shame shameful");
        Add(Kind.Profanity,
            "damn damned goddamn hell piss pissed bloody bollocks penis vagina balls boobs tits sex sexy porn gay homo " +
            "screw screwed bugger blowjob anal butt rape raped rapist");
        Add(Kind.Slur, "fag fags spic chink kike wetback tranny dyke paki coon negro");
        Add(Kind.Threat,
            "kill killed killing die dies dead death murder murdered hang hanged shoot shot burn stab beat punch destroy " +
            "hunt hurt bomb gun knife");
        Add(Kind.SecondPerson, "you your you're youre yours yourself yourselves u ur ya ye");
        return words.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
