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
    /// <summary>Most decisions handled (and approved comments loaded) at once, however many a batch's messages hold.</summary>
    public const int MaxPerRound = 500;

    public Task Consume(ConsumeContext<Batch<CommentsModerated>> context) =>
        HandleAsync(context.Message.SelectMany(m => m.Message.Decisions), context.CancellationToken);

    /// <summary>Applies decisions in order, a round at a time, so each article's events are recorded in the order they arrived.</summary>
    public async Task HandleAsync(IEnumerable<CommentModerated> decisions, CancellationToken ct)
    {
        foreach (var round in decisions.Chunk(MaxPerRound))
        {
            await AnnounceAsync(round, ct);
        }
    }

    private async Task AnnounceAsync(CommentModerated[] decisions, CancellationToken ct)
    {
        // Redis and PostgreSQL side by side: both must be done before the announcements, neither needs the other.
        var invalidations = Task.WhenAll(decisions
            .Select(m => (m.SiteId, m.ArticleId)).Distinct()
            .Select(article => cache.InvalidateAsync(article.SiteId, article.ArticleId)));
        // What open pages are told follows the comment as it is now, not the message: a reject and a re-approve of one
        // comment can arrive in either order (they are published side by side), and the later one must not undo the
        // truth. So every decided comment approved now is announced approved, whatever its message says.
        var decidedIds = decisions.Select(m => m.CommentId).Distinct().ToArray();
        var approved = ThreadQueries.LoadApprovedAsync(dataSource, decidedIds, ct);
        await Task.WhenAll(invalidations, approved);

        var rows = await approved;
        // Issued in order on one multiplexer, so each article's events are recorded in the order they arrived.
        await Task.WhenAll(decisions.Select(decision =>
        {
            var liveEvent = rows.TryGetValue(decision.CommentId, out var row)
                ? new LiveEvent("approved", decision.CommentId, "approved",
                    new ThreadComment(row.Id, row.ParentId, row.AuthorName, row.CreatedAt, SafeHtml.Render(row.Body), []))
                : new LiveEvent("status", decision.CommentId, decision.Status, null);
            return live.PublishAsync(decision.SiteId, decision.ArticleId, liveEvent);
        }));
    }
}

public sealed class CommentModeratedConsumerDefinition : ConsumerDefinition<CommentModeratedConsumer>
{
    public CommentModeratedConsumerDefinition() => EndpointName = ConsumerQueues.Reader;

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
