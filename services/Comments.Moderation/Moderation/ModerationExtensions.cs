using Comments.Moderation.Scoring;

namespace Comments.Moderation.Moderation;

public static class ModerationExtensions
{
    public static IHostApplicationBuilder AddModeration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModerationOptions>()
            .BindConfiguration(ModerationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ICommentScorer, RuleScorer>();
        builder.Services.AddSingleton<CommentModerator>();
        return builder;
    }
}
