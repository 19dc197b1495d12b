using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Comments.Tests.Fixtures;

/// <summary>A service on a real Kestrel port on loopback, for browsers and for tests that need a real socket.</summary>
public sealed class KestrelService<TEntryPoint> : ServiceFactory<TEntryPoint>
    where TEntryPoint : class
{
    public KestrelService(ServerAddresses servers, IReadOnlyDictionary<string, string?>? settings = null)
        : base(servers, settings)
    {
        UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
    }

    /// <summary>Starts the host and answers its base address, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public Uri Start()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Uri(address);
    }
}
