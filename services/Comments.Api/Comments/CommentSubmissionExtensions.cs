using Comments.Api.Http;

namespace Comments.Api.Comments;

public static class CommentSubmissionExtensions
{
    public static IHostApplicationBuilder AddCommentSubmission(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthorHashOptions>()
            .BindConfiguration(AuthorHashOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<SubmissionOptions>()
            .BindConfiguration(SubmissionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<AuthorHasher>();
        builder.Services.AddSingleton<SubmissionWriter>();
        builder.AddClientAddress();
        return builder;
    }
}
