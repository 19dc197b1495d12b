using Comments.ServiceDefaults.Messaging;
using RabbitMQ.Client;

namespace Comments.Api.Cli;

/// <summary>
/// <c>admin redrive --queue &lt;name&gt;</c>: after the cause of failures is fixed, moves every message of
/// <c>&lt;name&gt;_error</c> back to <c>&lt;name&gt;</c> (through the exchange MassTransit binds to that queue), one at a
/// time, acknowledging each only after it was published with a broker confirm, so none is lost or doubled by a crash
/// between the two.
/// </summary>
public static class RedriveCommand
{
    public const string Usage = "Usage: Comments.Api admin redrive --queue <queue>   (e.g. comment-submitted)";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is not ["--queue", var queue] || string.IsNullOrWhiteSpace(queue) || queue.EndsWith("_error", StringComparison.Ordinal))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var factory = new ConnectionFactory { Uri = MessagingExtensions.RabbitMqUri(configuration) };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);

        var moved = 0;
        while (await channel.BasicGetAsync(queue + "_error", autoAck: false, ct) is { } message)
        {
            var properties = new BasicProperties(message.BasicProperties)
            {
                // MassTransit's fault headers describe the old failure, not the new attempt.
                Headers = message.BasicProperties.Headers?
                    .Where(h => !h.Key.StartsWith("MT-Fault", StringComparison.Ordinal) && !h.Key.StartsWith("MT-Reason", StringComparison.Ordinal))
                    .ToDictionary(h => h.Key, h => h.Value),
            };
            await channel.BasicPublishAsync(queue, string.Empty, mandatory: true, properties, message.Body, ct);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
            moved++;
        }

        await output.WriteLineAsync($"Moved {moved} message(s) from {queue}_error back to {queue}.");
        return 0;
    }
}
