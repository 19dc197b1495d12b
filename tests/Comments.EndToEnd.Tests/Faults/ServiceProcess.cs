using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Comments.Tests.Fixtures;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>
/// One of the three services as a real process of its own, on a loopback port of its own, so a test can SIGKILL it (a
/// crash) or send it SIGTERM by pid and watch it drain, as an orchestrator stopping a pod would.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    /// <summary>The generic host's default <c>HostOptions.ShutdownTimeout</c>: a graceful stop must end within it.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    private readonly string _project;
    private readonly ServerAddresses _servers;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    public ServiceProcess(string project, ServerAddresses servers, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _project = project;
        _servers = servers;
        _settings = settings ?? new Dictionary<string, string?>();
        BaseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
    }

    /// <summary>Where it listens; the same across restarts, as behind a fixed service address.</summary>
    public Uri BaseAddress { get; }

    public int Starts { get; private set; }

    /// <summary>A service's built dll, in the tests' own configuration (bin/Release in CI, bin/Debug locally).</summary>
    public static string DllOf(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        return Repository.PathOf("services", project, "bin", configuration, "net10.0", project + ".dll");
    }

    /// <summary>Starts (or starts again) the service and waits until <c>/health</c> answers 200 (database and bus connected).</summary>
    public async Task StartAsync()
    {
        var dll = DllOf(_project);
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            // The project folder is the content root, as deploy/up.sh runs them (the Api serves its console from wwwroot there).
            WorkingDirectory = Repository.PathOf("services", _project),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ConnectionStrings__postgres"] = _servers.Postgres;
        info.Environment["ConnectionStrings__rabbitmq"] = _servers.RabbitMq;
        info.Environment["ConnectionStrings__redis"] = _servers.Redis;
        info.Environment["Comments__AuthorHashKey"] = ServiceFactory<object>.TestAuthorHashKey;
        info.Environment["Urls"] = BaseAddress.ToString().TrimEnd('/');
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["Outbox__PollInterval"] = "00:00:00.100";
        info.Environment["Moderation__ResendPending__Limit"] = ServiceFactory<object>.NoPendingResends;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in _settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _output.Clear();
        _process?.Dispose();
        _process = Process.Start(info) ?? throw new InvalidOperationException($"{_project} did not start.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Starts++;

        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_project} exited with {_process.ExitCode} at start:\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync("/health");
                return response.StatusCode == HttpStatusCode.OK ? "" : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
            catch (TaskCanceledException)
            {
                return null;
            }
        }, $"{_project} healthy");
    }

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Sends SIGTERM by pid and waits for the process to end; answers its exit code and how long the stop took. Fails
    /// (and kills it) when it is still running well past the shutdown timeout.
    /// </summary>
    public async Task<(int ExitCode, TimeSpan Took)> TerminateAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{_project} was not started.");
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!)
        {
            await kill.WaitForExitAsync();
            if (kill.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -TERM {process.Id} failed ({kill.ExitCode}).");
            }
        }

        return (await ExitCodeAsync(ShutdownTimeout * 2), clock.Elapsed);
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

    /// <summary>Waits for a process that was told to stop; kills it and fails when it does not.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan within)
    {
        var process = _process ?? throw new InvalidOperationException($"{_project} was not started.");
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{_project} still running {within.TotalSeconds:0} s after SIGTERM:\n{Output}");
        }

        // WaitForExitAsync also waits for the redirected output to be read to its end.
        return process.ExitCode;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
