using System.Globalization;
using Comments.Moderation.Ml;
using Comments.Moderation.Scoring;

namespace Comments.Moderation.Moderation;

public static class ModerationExtensions
{
    public static IHostApplicationBuilder AddModeration(this IHostApplicationBuilder builder)
    {
        // Loaded here, while the host is built: a missing or corrupt model stops start-up with the
        // file's path instead of a worker that silently moderates without models.
        var models = builder.Configuration[ModerationOptions.SectionName + ":ModelDirectory"] is { Length: > 0 } configured
            ? configured
            : ModelBundle.DefaultDirectory;
        var bundle = ModelBundle.Load(models);
        var card = bundle.Card.Thresholds.AsThresholds();
        builder.Services.AddOptions<ModerationOptions>()
            .BindConfiguration(ModerationOptions.SectionName)
            // Thresholds not configured are the card's: retrained models come with their own operating point.
            .PostConfigure(o => o.DefaultThresholds.FillFrom(card))
            .ValidateDataAnnotations()
            .Validate(o => o.DefaultThresholds.IsValid(), string.Create(CultureInfo.InvariantCulture,
                $"Moderation:DefaultThresholds must be probabilities with hold <= reject; each one not configured is the model card's " +
                $"(toxicity hold {card.ToxicityHold} / reject {card.ToxicityReject}, spam hold {card.SpamHold} / reject {card.SpamReject}, {models})."))
            .ValidateOnStart();
        builder.Services.AddSingleton<ICommentScorer, RuleScorer>();
        builder.Services.AddSingleton<ICommentScorer>(new MlScorer(bundle));
        builder.Services.AddSingleton<CommentModerator>();
        builder.Services.AddOptions<PendingResendOptions>().BindConfiguration(PendingResendOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.MaxAge > o.After, "Moderation:ResendPending:MaxAge must be longer than Moderation:ResendPending:After, or no comment is ever sent again.")
            .ValidateOnStart();
        builder.Services.AddHostedService<PendingResender>();
        return builder;
    }
}
