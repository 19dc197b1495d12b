using Comments.Contracts;
using Comments.Reader.Live;
using Comments.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Reader.Threads;

/// <summary>
/// A decision changes what the article's thread shows: drop its cached pages first, then tell open pages, so a page that
/// reacts by reading the thread already sees the new state.
/// </summary>
public sealed class CommentModeratedConsumer(ThreadCache cache, LiveEvents live, NpgsqlDataSource dataSource) : IConsumer<CommentModerated>
{
    public async Task Consume(ConsumeContext<CommentModerated> context)
    {
        var message = context.Message;
        // Redis and PostgreSQL side by side: both must be done before the announcement, neither needs the other.
        var invalidation = cache.InvalidateAsync(message.SiteId, message.ArticleId);
        var approved = message.Status == "approved"
            ? ThreadQueries.LoadApprovedAsync(dataSource, message.CommentId, context.CancellationToken)
            : Task.FromResult<CommentRow?>(null);
        await Task.WhenAll(invalidation, approved);

        ThreadComment? comment = null;
        if (await approved is { } row)
        {
            comment = new ThreadComment(row.Id, row.ParentId, row.AuthorName, row.CreatedAt, SafeHtml.Render(row.Body), []);
        }

        var liveEvent = comment is null
            ? new LiveEvent("status", message.CommentId, message.Status, null)
            : new LiveEvent("approved", message.CommentId, message.Status, comment);
        await live.PublishAsync(message.SiteId, message.ArticleId, liveEvent);
    }
}

public sealed class CommentModeratedConsumerDefinition : ConsumerDefinition<CommentModeratedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CommentModeratedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // By default spans a Redis outage of about two minutes; pages also expire on their own TTL.
        var intervals = context.GetRequiredService<IOptions<MessagingOptions>>().Value.RetryIntervals();
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(intervals));
    }
}
