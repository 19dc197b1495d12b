using Comments.Contracts;
using MassTransit;

namespace Comments.ServiceDefaults.Messaging;

/// <summary>
/// The queue each published message is consumed from. RabbitMQ drops a message published to an exchange with no queue
/// bound, so every service's bus declares these queues and binds each to its message's exchange before its first
/// publish of that message: a comment accepted before any worker has ever connected to a new broker waits in the
/// worker's queue instead of vanishing. The consumers take their endpoint names from here, so the two cannot drift.
/// </summary>
public static class ConsumerQueues
{
    /// <summary>The moderation worker's queue: <see cref="CommentsSubmitted"/>.</summary>
    public const string Moderation = "comment-submitted";

    /// <summary>The Reader's queue (cache invalidation and live updates): <see cref="CommentsModerated"/>.</summary>
    public const string Reader = "comment-moderated";

    /// <summary>Declares each queue with MassTransit's settings for a receive endpoint (durable, not auto-deleted).</summary>
    public static void Declare(IRabbitMqBusFactoryConfigurator rabbit)
    {
        ArgumentNullException.ThrowIfNull(rabbit);
        rabbit.Publish<CommentsSubmitted>(topology => topology.BindQueue(topology.Exchange.ExchangeName, Moderation));
        rabbit.Publish<CommentsModerated>(topology => topology.BindQueue(topology.Exchange.ExchangeName, Reader));
    }
}
