using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Comments.Tests.Fixtures;

/// <summary>
/// Servers a fault test starts for itself, on free loopback ports, with the project's own scripts
/// (<c>deploy/lib/servers.sh</c>), so it may stop, freeze and restart them without touching anyone else's.
/// Each is stopped by the pid its script recorded.
/// </summary>
public sealed class OwnServers : IAsyncDisposable
{
    // Under /tmp with the default mode, so the postgres user can reach the cluster directory.
    private readonly string _dir = Directory.CreateDirectory(Path.Combine("/tmp", "comments-fault-" + Guid.NewGuid().ToString("N")[..12])).FullName;

    private OwnServers()
    {
    }

    public int RedisPort { get; private set; }

    public int RabbitPort { get; private set; }

    public int PostgresPort { get; private set; }

    public string Redis => $"127.0.0.1:{RedisPort}";

    public string RabbitMq => $"amqp://guest:guest@127.0.0.1:{RabbitPort}/";

    public string Postgres => $"Host=127.0.0.1;Port={PostgresPort};Username=comments;Password=comments;Database=comments;Timeout=3";

    public static async Task<OwnServers> StartAsync(bool redis = false, bool rabbitMq = false, bool postgres = false)
    {
        var servers = new OwnServers();
        if (redis)
        {
            servers.RedisPort = FreePort();
            await servers.StartRedisAsync();
        }

        if (rabbitMq)
        {
            servers.RabbitPort = FreePort();
            await servers.StartRabbitMqAsync();
        }

        if (postgres)
        {
            servers.PostgresPort = FreePort();
            await servers.StartPostgresAsync();
        }

        return servers;
    }

    public Task StartRedisAsync() => Script($"srv_redis_start {Q(_dir + "/redis")} {RedisPort} persist");

    public Task StopRedisAsync() => Script($"srv_redis_stop {Q(_dir + "/redis")}");

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) the Redis process: unreachable, but its data stays as it was.</summary>
    public Task SignalRedisAsync(string signal) => Script($"kill -{signal} \"$(head -n1 {Q(_dir + "/redis/redis.pid")})\"");

    public Task StartRabbitMqAsync() =>
        Script($"srv_rabbit_start {Q(_dir + "/rabbitmq")} {RabbitPort} {FreePort()} fault-{RabbitPort}@localhost");

    public Task StopRabbitMqAsync() => Script($"srv_rabbit_stop {Q(_dir + "/rabbitmq")}");

    /// <summary>Starts the node again on the same ports, with the same data.</summary>
    public Task RestartRabbitMqAsync() =>
        Script($"srv_rabbit_start {Q(_dir + "/rabbitmq")} {RabbitPort} \"$(cat {Q(_dir + "/rabbitmq/dist_port")})\" fault-{RabbitPort}@localhost");

    public Task StartPostgresAsync() => Script($"srv_pg_start {Q(_dir + "/pg")} {PostgresPort} off");

    public Task StopPostgresAsync() => Script($"srv_pg_stop {Q(_dir + "/pg")}");

    private static string Q(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task Script(string command)
    {
        var library = Repository.PathOf("deploy", "lib", "servers.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", $". {Q(library)} && {command}"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("bash did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{command}` failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (RedisPort != 0)
        {
            await SignalRedisAsync("CONT").ContinueWith(_ => { }, TaskScheduler.Default);
            await StopRedisAsync();
        }

        if (RabbitPort != 0)
        {
            await StopRabbitMqAsync();
        }

        if (PostgresPort != 0)
        {
            await StopPostgresAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}
