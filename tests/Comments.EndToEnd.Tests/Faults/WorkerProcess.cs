using System.Diagnostics;
using Comments.Tests.Fixtures;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>The moderation worker as a real process of its own, so a test can SIGKILL or SIGTERM it.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly ServerAddresses _servers;
    private Process? _process;

    public WorkerProcess(ServerAddresses servers) => _servers = servers;

    public int Starts { get; private set; }

    public static string DllPath => DllOf("Comments.Moderation");

    /// <summary>A service's built dll, in the tests' own configuration (bin/Release in CI, bin/Debug locally).</summary>
    public static string DllOf(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        return Repository.PathOf("services", project, "bin", configuration, "net10.0", project + ".dll");
    }

    public void Start()
    {
        var info = new ProcessStartInfo("dotnet", [DllPath])
        {
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ConnectionStrings__postgres"] = _servers.Postgres;
        info.Environment["ConnectionStrings__rabbitmq"] = _servers.RabbitMq;
        info.Environment["ConnectionStrings__redis"] = _servers.Redis;
        info.Environment["Urls"] = "http://127.0.0.1:0";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["Outbox__PollInterval"] = "00:00:00.100";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        _process = Process.Start(info) ?? throw new InvalidOperationException("The worker did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Starts++;
    }

    /// <summary>SIGKILL: no shutdown, no acknowledgements, whatever was in flight is cut off.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
