using Comments.Contracts;
using MassTransit;

namespace Comments.Reader.Threads;

/// <summary>A decision changes what the article's thread shows: drop its cached pages so the next read sees it.</summary>
public sealed class CommentModeratedConsumer(ThreadCache cache) : IConsumer<CommentModerated>
{
    public Task Consume(ConsumeContext<CommentModerated> context) =>
        cache.InvalidateAsync(context.Message.SiteId, context.Message.ArticleId);
}

public sealed class CommentModeratedConsumerDefinition : ConsumerDefinition<CommentModeratedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CommentModeratedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Spans a Redis outage of about two minutes; pages also expire on their own TTL.
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 1000, 5000, 15000, 30000, 60000));
    }
}
