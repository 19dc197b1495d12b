using Comments.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Comments.Api.Tests.Messaging;

public sealed class MessagingSetupTests
{
    [Fact]
    public void AServiceReportsNoUsageTelemetryToMassTransit()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:rabbitmq"] = "amqp://guest:guest@127.0.0.1:1/" });
        builder.AddCommentsMessaging();
        using var host = builder.Build();

        var telemetry = host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        Assert.False(telemetry.Enabled);
    }
}
