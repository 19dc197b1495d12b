using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Comments.ServiceDefaults.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ (<c>ConnectionStrings:rabbitmq</c>, an amqp:// URI) with the consumers the service adds.
    /// Services that publish call <c>AddOutbox()</c> as well: they never publish directly, only through the outbox.
    /// </summary>
    public static IHostApplicationBuilder AddCommentsMessaging(
        this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configureConsumers = null)
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // Self-hosted: nothing reports to MassTransit's servers (on a closed network every start also logged the failed report).
            bus.DisableUsageTelemetry();
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(RabbitMqUri(context.GetRequiredService<IConfiguration>()));
                var limits = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                rabbit.PrefetchCount = limits.PrefetchCount;
                rabbit.ConcurrentMessageLimit = limits.ConcurrentMessageLimit;
                ConsumerQueues.Declare(rabbit);
                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    public static Uri RabbitMqUri(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString("rabbitmq");
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:rabbitmq must be an amqp:// URI (environment variable ConnectionStrings__rabbitmq).");
        }

        return uri;
    }
}

public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>Messages RabbitMQ hands each consumer endpoint ahead of acknowledgement.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 32;

    /// <summary>Messages an endpoint processes at once; each may hold a database connection.</summary>
    [Range(1, 200)]
    public int ConcurrentMessageLimit { get; set; } = 16;

    /// <summary>Most messages a batch consumer (the worker's decisions, the Reader's invalidations) takes at once.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// Longest a first message waits for others to join its batch. Under load batches fill while the previous ones are
    /// being handled; a lone message waits this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:01")]
    public TimeSpan BatchWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Batches one service instance handles at once.</summary>
    [Range(1, 32)]
    public int BatchConcurrency { get; set; } = 2;

    /// <summary>
    /// Pauses (milliseconds, comma-separated) between a consumer's retries of a failing message; after the last, the
    /// message goes to the endpoint's <c>_error</c> queue, from which <c>Comments.Api admin redrive</c> brings it back.
    /// The default spans about two minutes of a database or Redis outage.
    /// </summary>
    [RegularExpression(@"^\d{1,7}(,\d{1,7}){0,19}$")]
    public string RetryIntervalsMs { get; set; } = "100,1000,5000,15000,30000,60000";

    /// <summary>Applies the batch settings to a batch consumer.</summary>
    public void ConfigureBatch(BatchOptions batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.SetMessageLimit(BatchSize).SetTimeLimit(BatchWait).SetConcurrencyLimit(BatchConcurrency);
    }

    public int[] RetryIntervals() =>
        RetryIntervalsMs.Split(',').Select(ms => int.Parse(ms, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
