using Comments.Contracts;
using Comments.Reader.Live;
using Comments.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Reader.Threads;

/// <summary>
/// Decisions change what their articles' threads show: drop each article's cached pages first (once per article, however
/// many decisions the batch's messages hold), then tell open pages, so a page that reacts by reading the thread already
/// sees the new state.
/// </summary>
public sealed class CommentModeratedConsumer(ThreadCache cache, LiveEvents live, NpgsqlDataSource dataSource)
    : IConsumer<Batch<CommentsModerated>>
{
    public async Task Consume(ConsumeContext<Batch<CommentsModerated>> context)
    {
        var messages = context.Message.SelectMany(m => m.Message.Decisions).ToList();
        // Redis and PostgreSQL side by side: both must be done before the announcements, neither needs the other.
        var invalidations = Task.WhenAll(messages
            .Select(m => (m.SiteId, m.ArticleId)).Distinct()
            .Select(article => cache.InvalidateAsync(article.SiteId, article.ArticleId)));
        var approvedIds = messages.Where(m => m.Status == "approved").Select(m => m.CommentId).Distinct().ToArray();
        var approved = approvedIds.Length > 0
            ? ThreadQueries.LoadApprovedAsync(dataSource, approvedIds, context.CancellationToken)
            : Task.FromResult(new Dictionary<Guid, CommentRow>());
        await Task.WhenAll(invalidations, approved);

        var rows = await approved;
        // Issued in batch order on one multiplexer, so each article's events are recorded in the order they arrived.
        await Task.WhenAll(messages.Select(message =>
        {
            var liveEvent = message.Status == "approved" && rows.TryGetValue(message.CommentId, out var row)
                ? new LiveEvent("approved", message.CommentId, message.Status,
                    new ThreadComment(row.Id, row.ParentId, row.AuthorName, row.CreatedAt, SafeHtml.Render(row.Body), []))
                : new LiveEvent("status", message.CommentId, message.Status, null);
            return live.PublishAsync(message.SiteId, message.ArticleId, liveEvent);
        }));
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
        var messaging = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(messaging.RetryIntervals()));
        consumerConfigurator.Options<BatchOptions>(messaging.ConfigureBatch);
    }
}
