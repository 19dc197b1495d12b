using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Comments.Api.Http;

public sealed class ClientAddressOptions
{
    public const string SectionName = "Http";

    /// <summary>
    /// Reverse proxies whose <c>X-Forwarded-For</c> is believed. Empty (the default): the connection's own address is the
    /// client's, whatever headers say, so nobody can dodge a limit by forging one.
    /// </summary>
    [CustomValidation(typeof(ClientAddressOptions), nameof(ValidateProxies))]
    public List<string> TrustedProxies { get; set; } = [];

    public static ValidationResult? ValidateProxies(List<string> proxies) =>
        proxies.All(p => IPAddress.TryParse(p, out _)) ? ValidationResult.Success : new ValidationResult("TrustedProxies must be IP addresses.");
}

/// <summary>The client's address, taken from forwarded headers only behind a configured trusted proxy.</summary>
public static class ClientAddress
{
    public static IHostApplicationBuilder AddClientAddress(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClientAddressOptions>()
            .BindConfiguration(ClientAddressOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ClientAddressOptions>>((forwarded, client) =>
        {
            // Empty proxy lists would mean "trust every proxy" to the middleware: with none configured, read no header at all.
            forwarded.ForwardedHeaders = client.Value.TrustedProxies.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor;
            forwarded.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the obsolete list still holds the loopback default; it must be emptied too
            forwarded.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            forwarded.KnownProxies.Clear();
            foreach (var proxy in client.Value.TrustedProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        return builder;
    }

    /// <returns>The client's address, or null where there is none (an in-process test host).</returns>
    public static string? Of(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
