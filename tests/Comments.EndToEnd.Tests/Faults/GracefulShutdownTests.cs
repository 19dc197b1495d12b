using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Comments.Api;
using Comments.Contracts;
using Comments.Moderation;
using Comments.Tests.Fixtures;
using Npgsql;
using RabbitMQ.Client;

namespace Comments.EndToEnd.Tests.Faults;

/// <summary>A RabbitMQ of the class's own: no other test's consumers may take these tests' messages.</summary>
public sealed class OwnBroker : IAsyncLifetime
{
    public OwnServers Servers { get; private set; } = null!;

    public async Task InitializeAsync() => Servers = await OwnServers.StartAsync(rabbitMq: true);

    public async Task DisposeAsync() => await Servers.DisposeAsync();
}

/// <summary>
/// SIGTERM, as an orchestrator sends it, to each service under load: it drains, exits 0 within the shutdown timeout,
/// and nothing accepted is lost. Each test has a database of its own (no other dispatcher may publish its outbox) and
/// the class a RabbitMQ of its own; outcomes are read from the database, not from logs.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class GracefulShutdownTests(OwnBroker broker) : IClassFixture<OwnBroker>
{
    private static readonly Dictionary<string, string?> NoDispatcher = new() { ["Outbox:DispatcherEnabled"] = "false" };

    [Fact]
    public async Task ApiFinishesInFlightSubmissionsExitsZeroAndPublishesWhatItLeftUnsentAfterRestart()
    {
        var servers = await IsolatedAsync();
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        // Only the Api dispatches, so what its stop leaves unsent waits in the outbox for its restart.
        await using var worker = new ServiceFactory<ModerationEntryPoint>(servers, NoDispatcher).Started();
        await using var api = new ServiceProcess("Comments.Api", servers);
        await api.StartAsync();
        using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var path = $"/api/v1/sites/{site}/articles/drain/comments";

        var accepted = new ConcurrentBag<Guid>();
        var otherAnswers = new ConcurrentBag<string>();
        async Task Submitter(int lane)
        {
            for (var n = 0; ; n++)
            {
                HttpResponseMessage response;
                try
                {
                    response = await client.PostAsJsonAsync(path, new { authorName = "Load", body = n % 10 == 0 ? $"idiot {lane}-{n}" : $"calm {lane}-{n}" });
                }
                catch (HttpRequestException)
                {
                    return; // the Api no longer takes connections: this request was never accepted
                }

                using (response)
                {
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        otherAnswers.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        return;
                    }

                    accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
                }
            }
        }

        var load = Enumerable.Range(0, 8).Select(lane => Task.Run(() => Submitter(lane))).ToArray();
        await Eventually.Within(TimeSpan.FromSeconds(60), () => Task.FromResult(accepted.Count >= 300 ? "" : null), "300 comments accepted under load");

        // Requests the Api has started (it asked for their bodies with 100 Continue) when the signal arrives.
        var inFlight = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            InFlightRequest.BeginAsync(api.BaseAddress, path, $$"""{"authorName":"Late","body":"in flight {{i}}"}""")));
        var stopping = api.TerminateAsync();
        await Eventually.Within(TimeSpan.FromSeconds(20), async () => await RefusesConnectionsAsync(api.BaseAddress) ? "" : null,
            "the Api stopped taking new connections");
        var answers = await Task.WhenAll(inFlight.Select(request => request.FinishAsync()));
        var (exitCode, took) = await stopping;
        await Task.WhenAll(load);

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{api.Output}");
        Assert.True(took < ServiceProcess.ShutdownTimeout, $"stopping took {took}");
        Assert.Empty(otherAnswers);
        var late = answers.Select(answer =>
        {
            Assert.StartsWith("HTTP/1.1 202", answer, StringComparison.Ordinal);
            return Guid.Parse(IdInJson().Match(answer).Groups[1].Value);
        }).ToArray();
        Guid[] all = [.. accepted, .. late];

        await api.StartAsync();
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
            await ScalarAsync(db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
            && await ScalarAsync(db, "SELECT count(*) FROM comments WHERE status = 'pending'") == 0 ? "" : null,
            "the restarted Api published every outbox row and every comment was decided");

        await using var check = db.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM comments WHERE id = ANY(@ids) AND status IN ('approved', 'rejected')),
                   (SELECT count(*) FROM {OutboxItems.Relation}
                    WHERE message_type = @type AND (item->>'commentId')::uuid = ANY(@ids) AND sent_at IS NOT NULL),
                   (SELECT count(*) FROM comments)
            """);
        check.Parameters.AddWithValue("ids", all);
        check.Parameters.AddWithValue("type", typeof(CommentsSubmitted).FullName!);
        await using var reader = await check.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(all.Length, reader.GetInt64(0)); // every 202 has its row, decided
        Assert.Equal(all.Length, reader.GetInt64(1)); // each in one published CommentsSubmitted
        Assert.Equal(all.Length, reader.GetInt64(2)); // and no row whose request went unanswered
        Assert.Equal(0, (await api.TerminateAsync()).ExitCode);
    }

    [Fact]
    public async Task WorkerStoppedMidBacklogLeavesNoHalfDecisionReturnsTheRestAndDecidesEachCommentOnceAfterRestart()
    {
        const int Backlog = 2000;
        var servers = await IsolatedAsync();
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        // Small batches, so the worker is still deep in the backlog (with batches in flight) when the signal comes.
        await using var worker = new ServiceProcess("Comments.Moderation", servers,
            new Dictionary<string, string?> { ["Messaging:BatchSize"] = "1", ["Messaging:BatchConcurrency"] = "2" });
        await worker.StartAsync(); // declares and binds its queue, so the backlog waits there
        Assert.Equal(0, (await worker.TerminateAsync()).ExitCode);

        await using (var api = new ServiceFactory<ApiEntryPoint>(servers))
        {
            using var client = api.CreateClient();
            var next = -1;
            async Task Submitter()
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < Backlog)
                {
                    var response = await client.PostAsJsonAsync($"/api/v1/sites/{site}/articles/backlog/comments",
                        new { authorName = "Load", body = n % 10 == 0 ? $"an idiot remark {n}" : $"calm remark {n}" });
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                }
            }

            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(Submitter)));
            await Eventually.Within(TimeSpan.FromSeconds(60), async () => await UnsentAsync(servers, typeof(CommentsSubmitted)) == 0 ? "" : null,
                "the whole backlog published to RabbitMQ");
        }

        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await worker.StartAsync();
        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
            await ScalarAsync(db, "SELECT count(*) FROM comments WHERE status <> 'pending'") >= 50 ? "" : null, "the worker deep in the backlog");
        var (exitCode, took) = await worker.TerminateAsync();

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{worker.Output}");
        Assert.True(took < ServiceProcess.ShutdownTimeout, $"stopping took {took}");
        var pending = await ScalarAsync(db, "SELECT count(*) FROM comments WHERE status = 'pending'");
        Assert.True(pending > 0, "the worker finished the backlog before the signal; the test proved nothing");
        // A decision and its event are one transaction: never a decided comment without its announcement, or the reverse.
        Assert.Equal(0, await ScalarAsync(db,
            $"""
            SELECT count(*) FROM comments c
            WHERE (c.status = 'pending') = EXISTS (SELECT 1 FROM {OutboxItems.Relation}
                WHERE message_type = '{typeof(CommentsModerated).FullName}' AND (item->>'commentId')::uuid = c.id)
            """));
        // Every group holding a comment still pending is back in the queue: nothing was acknowledged undone.
        var undoneGroups = await ScalarAsync(db,
            $"""
            SELECT count(*) FROM outbox o WHERE o.message_type = '{typeof(CommentsSubmitted).FullName}' AND EXISTS (
                SELECT 1 FROM jsonb_array_elements(o.payload->'comments') e JOIN comments c ON c.id = (e->>'commentId')::uuid
                WHERE c.status = 'pending')
            """);
        await Eventually.Within(TimeSpan.FromSeconds(10), async () => await QueueDepthAsync("comment-submitted") >= undoneGroups ? "" : null,
            $"a message in the queue for each of the {undoneGroups} groups holding the {pending} undecided comments");

        await worker.StartAsync();
        await Eventually.Within(TimeSpan.FromSeconds(90), async () =>
            await ScalarAsync(db, "SELECT count(*) FROM comments WHERE status = 'pending'") == 0
            && await UnsentAsync(servers, typeof(CommentsModerated)) == 0 ? "" : null, "every comment decided after the restart");
        Assert.Equal(0, (await worker.TerminateAsync()).ExitCode);

        await using var check = db.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM comments),
                   (SELECT count(*) FROM comments WHERE status = 'rejected'),
                   (SELECT count(*) FROM (SELECT item->>'commentId' FROM {OutboxItems.Relation} WHERE message_type = @type GROUP BY 1 HAVING count(*) = 1) AS once),
                   (SELECT count(*) FROM {OutboxItems.Relation} WHERE message_type = @type)
            """);
        check.Parameters.AddWithValue("type", typeof(CommentsModerated).FullName!);
        await using var reader = await check.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(Backlog, reader.GetInt64(0));
        Assert.Equal(Backlog / 10, reader.GetInt64(1)); // decided right
        Assert.Equal(Backlog, reader.GetInt64(2));      // one decision event per comment
        Assert.Equal(Backlog, reader.GetInt64(3));      // and no second one for any
    }

    [Fact]
    public async Task ReaderEndsLiveStreamsAndInFlightReadsCleanlyExitsZeroAndLosesNoInvalidation()
    {
        string[] articles = ["a0", "a1", "a2", "a3", "a4"];
        var servers = await IsolatedAsync();
        var site = await TestSites.CreateAsync(servers, connectionString: servers.Postgres);
        await using var api = new ServiceFactory<ApiEntryPoint>(servers);
        await using var worker = new ServiceFactory<ModerationEntryPoint>(servers).Started();
        await using var reader = new ServiceProcess("Comments.Reader", servers);
        await reader.StartAsync();
        using var apiClient = api.CreateClient();
        using var readerClient = new HttpClient { BaseAddress = reader.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var liveClient = new HttpClient { BaseAddress = reader.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };

        // Comments keep arriving on five articles whose pages the readers keep cached.
        using var stopSubmitting = new CancellationTokenSource();
        var submitted = 0;
        var submitting = Task.Run(async () =>
        {
            for (var n = 0; !stopSubmitting.IsCancellationRequested; n++)
            {
                var response = await apiClient.PostAsJsonAsync($"/api/v1/sites/{site}/articles/{articles[n % articles.Length]}/comments",
                    new { authorName = "Live", body = n % 10 == 0 ? $"an idiot remark {n}" : $"calm remark {n}" });
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                Interlocked.Increment(ref submitted);
                await Task.Delay(10);
            }
        });

        var readAnswers = new ConcurrentBag<HttpStatusCode>();
        async Task ReadLoop(int lane)
        {
            for (var n = lane; ; n++)
            {
                try
                {
                    using var response = await readerClient.GetAsync($"/api/v1/sites/{site}/articles/{articles[n % articles.Length]}/comments?limit=100");
                    readAnswers.Add(response.StatusCode);
                    await response.Content.ReadAsByteArrayAsync();
                }
                catch (HttpRequestException)
                {
                    return; // the Reader no longer takes connections: this read was never accepted
                }
            }
        }

        using var live = await liveClient.GetAsync($"/api/v1/sites/{site}/articles/{articles[0]}/events", HttpCompletionOption.ResponseHeadersRead);
        using var liveLines = new StreamReader(await live.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await liveLines.ReadLineAsync());
        var listening = Task.Run(async () =>
        {
            var approvedEvents = 0;
            try
            {
                while (await liveLines.ReadLineAsync() is { } line)
                {
                    approvedEvents += line == "event: approved" ? 1 : 0;
                }

                return (approvedEvents, Error: (Exception?)null);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                return (approvedEvents, Error: ex);
            }
        });
        var reads = Enumerable.Range(0, 4).Select(lane => Task.Run(() => ReadLoop(lane))).ToArray();

        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
            (await ThreadAsync(readerClient, site, articles[0])).Count >= 5 ? "" : null, "approvals reach the Reader's cached pages");
        await stopSubmitting.CancelAsync();
        var (exitCode, took) = await reader.TerminateAsync();
        await submitting;
        await Task.WhenAll(reads);
        var (approvedEvents, liveError) = await listening.WaitAsync(ServiceProcess.ShutdownTimeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{reader.Output}");
        Assert.True(took < ServiceProcess.ShutdownTimeout, $"stopping took {took}");
        Assert.True(liveError is null, $"the live stream was cut instead of ended: {liveError}");
        Assert.True(approvedEvents > 0, "no approval came down the live stream before the stop");
        Assert.All(readAnswers, status => Assert.Equal(HttpStatusCode.OK, status));

        // Decisions still being made while no Reader runs wait in its queue for the next one.
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
            await ScalarAsync(db, "SELECT count(*) FROM comments WHERE status = 'pending'") == 0
            && await UnsentAsync(servers, typeof(CommentsModerated)) == 0 ? "" : null, $"all {submitted} comments decided and announced");
        await reader.StartAsync();
        foreach (var article in articles)
        {
            await using var approved = db.CreateCommand("SELECT id FROM comments WHERE article_id = @article AND status = 'approved' ORDER BY id");
            approved.Parameters.AddWithValue("article", article);
            var expected = new List<Guid>();
            await using (var rows = await approved.ExecuteReaderAsync())
            {
                while (await rows.ReadAsync())
                {
                    expected.Add(rows.GetGuid(0));
                }
            }

            expected.Sort();
            // A lost invalidation leaves a page cached before its approval in place for its whole TTL (minutes).
            await Eventually.Within(TimeSpan.FromSeconds(30), async () =>
                (await ThreadAsync(readerClient, site, article)).Order().SequenceEqual(expected) ? "" : null,
                $"the restarted Reader shows all {expected.Count} approved comments of {article}");
        }

        Assert.Equal(0, (await reader.TerminateAsync()).ExitCode);
    }

    /// <summary>The ids of every comment of a thread, all pages (top-level only: these tests post no replies).</summary>
    private static async Task<List<Guid>> ThreadAsync(HttpClient client, string site, string article)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>(
                $"/api/v1/sites/{site}/articles/{article}/comments?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            ids.AddRange(page.GetProperty("comments").EnumerateArray().Select(comment => comment.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return ids;
    }

    private async Task<uint> QueueDepthAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(broker.Servers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    private static async Task<long> UnsentAsync(ServerAddresses servers, Type messageType)
    {
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        await using var command = db.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND message_type = @type");
        command.Parameters.AddWithValue("type", messageType.FullName!);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<ServerAddresses> IsolatedAsync()
    {
        var shared = await Servers.GetAsync();
        var servers = shared with { RabbitMq = broker.Servers.RabbitMq };
        return servers with { Postgres = await Servers.CreateIsolatedDatabaseAsync(servers) };
    }

    private static async Task<bool> RefusesConnectionsAsync(Uri address)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(address.Host, address.Port);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [GeneratedRegex("\"id\":\"([0-9a-f-]{36})\"")]
    private static partial Regex IdInJson();

    /// <summary>
    /// A POST over a raw socket with <c>Expect: 100-continue</c>: once the 100 arrives the server has started the request
    /// and is reading its body, so it is in flight for certain. The body (JSON behind leading whitespace) then trickles
    /// in, as from a slow client, fast enough for Kestrel's minimum body data rate, until the test finishes it.
    /// </summary>
    private sealed class InFlightRequest : IDisposable
    {
        private const int Padding = 48_000; // a minute's trickle, under the Api's 64 KB body limit
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly byte[] _json;
        private readonly CancellationTokenSource _finish = new();
        private readonly Task<int> _trickle;

        private InFlightRequest(TcpClient tcp, NetworkStream stream, byte[] json)
        {
            _tcp = tcp;
            _stream = stream;
            _json = json;
            _trickle = TrickleAsync();
        }

        public static async Task<InFlightRequest> BeginAsync(Uri address, string path, string json)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            var stream = tcp.GetStream();
            var body = Encoding.UTF8.GetBytes(json);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\n" +
                $"Content-Length: {Padding + body.Length}\r\nExpect: 100-continue\r\n\r\n"));
            var interim = await ReadHeadAsync(stream);
            Assert.StartsWith("HTTP/1.1 100", interim, StringComparison.Ordinal);
            return new InFlightRequest(tcp, stream, body);
        }

        /// <summary>Sends the rest of the body and reads the answer to the end: a reset instead of an answer fails the test here.</summary>
        public async Task<string> FinishAsync()
        {
            using (this)
            {
                await _finish.CancelAsync();
                var sent = await _trickle;
                await _stream.WriteAsync(Encoding.ASCII.GetBytes(new string(' ', Padding - sent)).Concat(_json).ToArray());
                using var answer = new MemoryStream();
                using var timeout = new CancellationTokenSource(ServiceProcess.ShutdownTimeout);
                await _stream.CopyToAsync(answer, timeout.Token); // a stopping server closes the connection after answering
                return Encoding.UTF8.GetString(answer.ToArray());
            }
        }

        /// <summary>100 spaces every 100 ms (about 1 KB/s, Kestrel wants 240 B/s); answers how many were sent.</summary>
        private async Task<int> TrickleAsync()
        {
            var sent = 0;
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 100));
            try
            {
                while (sent + chunk.Length <= Padding)
                {
                    await Task.Delay(100, _finish.Token);
                    await _stream.WriteAsync(chunk);
                    sent += chunk.Length;
                }
            }
            catch (OperationCanceledException)
            {
                // Finishing.
            }

            return sent;
        }

        private static async Task<string> ReadHeadAsync(NetworkStream stream)
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one) == 0)
                {
                    throw new IOException($"Connection closed after: {head}");
                }

                head.Append((char)one[0]);
            }

            return head.ToString();
        }

        public void Dispose()
        {
            _finish.Dispose();
            _stream.Dispose();
            _tcp.Dispose();
        }
    }
}
