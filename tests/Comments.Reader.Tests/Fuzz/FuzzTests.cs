using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Comments.Reader.Live;
using Comments.Reader.Threads;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Comments.Reader.Tests.Fuzz;

/// <summary>
/// A seeded, reproducible run of 10,000 hostile requests over every public endpoint of the Reader on a real socket: no
/// 5xx, problem details for every refusal of an API endpoint, stored script payloads never served unescaped, and the
/// service healthy afterwards.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 20261128;
    private const int Requests = 10_000;
    private const string Script = "<script>alert(1)</script>";
    private const string Image = "<img src=x onerror=alert(1)>";

    private static readonly string[] Payloads =
    [
        "'; DROP TABLE comments; --", "\" OR 1=1 --", Script, Image, "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://x}",
        "\u202Eevil", "😀", "\0", "%00", "../../etc/passwd", "", "a\r\nSet-Cookie: x=1", "\uFFFF", "story",
    ];

    // Percent-escapes the client sends as they are: invalid UTF-8, NUL, encoded slashes and dots, a lone surrogate.
    private static readonly string[] RawEscapes = ["%FF", "%C3%28", "%00", "%2F", "%2e%2e", "%E2%82", "%ED%A0%80", "%25", "%"];

    [Fact]
    public async Task TenThousandHostileRequestsGetNoServerErrorProblemDetailsForEveryRefusalAndNoUnescapedScript()
    {
        var servers = await Servers.GetAsync();
        var site = await TestSites.CreateAsync(servers);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        var comments = await SeedAsync(db, site);
        await using var reader = new KestrelService<ReaderEntryPoint>(servers, new Dictionary<string, string?> { ["Widget:DemoSiteId"] = site });
        var address = reader.Start();
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var live = reader.Services.GetRequiredService<LiveEvents>();
        foreach (var id in comments)
        {
            // Events to replay for a Last-Event-ID, carrying the stored payloads.
            await live.PublishAsync(site, "story", new LiveEvent("approved", id, "approved",
                new ThreadComment(id, null, Script, DateTimeOffset.UtcNow, SafeHtml.Render(Image + " " + Script), [])));
        }

        var random = new Random(Seed);
        var failures = new List<string>();
        var seen = new HashSet<HttpStatusCode>();
        var cursor = new ThreadCursor(ThreadSort.Oldest, DateTimeOffset.UtcNow, comments[0]).Encode();
        // Real validators too, so conditional requests reach 304.
        string[] etags =
        [
            (await client.GetAsync("/widget.js")).Headers.ETag!.Tag,
            (await client.GetAsync($"/api/v1/sites/{site}/articles/story/comments")).Headers.ETag!.Tag,
        ];

        string[] routes =
        [
            $"/api/v1/sites/{site}/articles/{{article}}/comments?sort={{sort}}&limit={{limit}}&cursor={{cursor}}",
            $"/api/v1/sites/{site}/articles/story/comments?limit={{limit}}&cursor={{cursor}}",
            "/api/v1/sites/{site}/articles/story/comments",
            $"/api/v1/sites/{site}/counts?articleId={{article}}&articleId=story&articleId={{text}}",
            $"/api/v1/sites/{site}/counts{{manyArticles}}",
            "/api/v1/sites/{site}/counts?articleId={article}",
            $"/api/v1/sites/{site}/comments/{{id}}/status",
            "/api/v1/sites/{site}/comments/{id}/status",
            $"/api/v1/sites/{site}/articles/{{article}}/events?lastEventId={{eventId}}",
            $"/api/v1/sites/{site}/articles/story/events",
            "/api/v1/sites/{site}/articles/{article}/events",
            "/widget.js?v={text}",
            "/demo/{article}?lang={text}",
            "/demo/story",
            "/health",
            "/alive",
            "/{text}/{text}",
        ];

        for (var i = 0; i < Requests; i++)
        {
            var template = routes[random.Next(routes.Length)];
            var target = template
                .Replace("{site}", Segment(random, 20), StringComparison.Ordinal)
                .Replace("{article}", random.Next(4) == 0 ? "story" : Segment(random, 40), StringComparison.Ordinal)
                .Replace("{text}", Segment(random, 30), StringComparison.Ordinal)
                .Replace("{sort}", random.Next(3) switch { 0 => "oldest", 1 => "newest", _ => Segment(random, 10) }, StringComparison.Ordinal)
                .Replace("{limit}", random.Next(4) switch
                {
                    0 => random.Next(-5, 120).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    1 => "99999999999999999999",
                    2 => Segment(random, 8),
                    _ => "",
                }, StringComparison.Ordinal)
                .Replace("{cursor}", BogusCursor(random, cursor), StringComparison.Ordinal)
                .Replace("{id}", random.Next(3) switch { 0 => comments[random.Next(comments.Length)].ToString(), 1 => Guid.NewGuid().ToString(), _ => Segment(random, 40) }, StringComparison.Ordinal)
                .Replace("{eventId}", Uri.EscapeDataString(EventId(random)), StringComparison.Ordinal)
                .Replace("{manyArticles}", "?" + string.Join('&', Enumerable.Range(0, random.Next(90, 130)).Select(n => $"articleId=a{n}")), StringComparison.Ordinal);
            if (random.Next(40) == 0)
            {
                target += (target.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "pad=" + new string('q', random.Next(2_000, 20_000)); // huge query string
            }

            var api = target.StartsWith("/api/", StringComparison.Ordinal);
            // Raw requests wait for the server to close; a live stream never does, so those go through HttpClient only.
            var (status, contentType, body) = random.Next(30) == 0 && !target.Contains("/events", StringComparison.Ordinal)
                ? await RawAsync(address, RawTarget(random, target))
                : await SendAsync(client, random, target, etags);
            seen.Add(status);
            if (status == 0)
            {
                failures.Add($"#{i} GET {target} → no answer: {body}");
            }
            else if ((int)status >= 500)
            {
                failures.Add($"#{i} GET {target} → {(int)status} {body}");
            }
            else if (api && (int)status is >= 400 and < 500 && !IsProtocolRefusal(status, body) && !IsProblem(status, contentType, body))
            {
                failures.Add($"#{i} GET {target} → {(int)status} without problem details ({contentType}): {body}");
            }

            if (body.Contains(Script, StringComparison.OrdinalIgnoreCase) || body.Contains(Image, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"#{i} GET {target} → a script payload came back unescaped: {body}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers, the first:\n" + string.Join('\n', failures.Take(25).Select(f => f.Length > 600 ? f[..600] : f)));
        await AssertReplayEscapedAsync(client, site);
        // The generator reaches every kind of answer, or the run proves little.
        HttpStatusCode[] expected =
        [
            HttpStatusCode.OK, HttpStatusCode.NotModified, HttpStatusCode.BadRequest, HttpStatusCode.NotFound,
            HttpStatusCode.RequestUriTooLong, HttpStatusCode.RequestHeaderFieldsTooLarge,
        ];
        Assert.All(expected, status => Assert.Contains(status, seen));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var thread = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/sites/{site}/articles/story/comments"));
        Assert.Equal(comments.Length, thread.RootElement.GetProperty("total").GetInt32());
    }

    /// <summary>Approved comments and a demo article whose every text field is a script payload.</summary>
    private static async Task<Guid[]> SeedAsync(NpgsqlDataSource db, string site)
    {
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.CreateVersion7()).ToArray();
        await using var command = db.CreateCommand(
            """
            INSERT INTO articles (site_id, id, title, paragraphs) VALUES (@site, 'story', @script, ARRAY[@image, @script]);
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
            SELECT id, @site, 'story', @script, @image || ' ' || @script, 'approved', now() FROM unnest(@ids) AS id;
            """);
        command.Parameters.AddWithValue("site", site);
        command.Parameters.AddWithValue("script", Script);
        command.Parameters.AddWithValue("image", Image);
        command.Parameters.AddWithValue("ids", ids);
        await command.ExecuteNonQueryAsync();
        return ids;
    }

    /// <summary>A resuming browser gets the stored events replayed, their payloads escaped like everywhere else.</summary>
    private static async Task AssertReplayEscapedAsync(HttpClient client, string site)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/sites/{site}/articles/story/events");
        request.Headers.Add("Last-Event-ID", "0-0");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync());
        var data = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (data.Count < 3 && await lines.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line);
            }
        }

        Assert.Equal(3, data.Count);
        Assert.All(data, line =>
        {
            Assert.DoesNotContain(Script, line, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Image, line, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("\\u003Cscript\\u003E", line, StringComparison.Ordinal); // the payload is there, escaped
        });
    }

    private static async Task<(HttpStatusCode, string?, string)> SendAsync(HttpClient client, Random random, string target, string[] etags)
    {
        // Absolute, so a target starting with "//" stays a path rather than naming a host.
        using var request = new HttpRequestMessage(random.Next(20) == 0 ? HttpMethod.Post : HttpMethod.Get,
            new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + target));
        switch (random.Next(12))
        {
            case 0:
                request.Headers.TryAddWithoutValidation("X-Fuzz", new string('h', 40_000)); // oversized header
                break;
            case 1:
                request.Headers.TryAddWithoutValidation("Last-Event-ID", Printable(EventId(random)));
                break;
            case 2:
                request.Headers.TryAddWithoutValidation("If-None-Match", random.Next(3) switch
                {
                    0 => "*",
                    1 => "\"" + Segment(random, 40) + "\"",
                    _ => etags[random.Next(etags.Length)],
                });
                break;
            case 3:
                request.Headers.TryAddWithoutValidation("Accept-Encoding", random.Next(2) == 0 ? "gzip" : Segment(random, 20));
                break;
            case 4:
                request.Headers.TryAddWithoutValidation("Origin", random.Next(2) == 0 ? "https://evil.example" : "null");
                break;
        }

        var stream = target.Contains("/events", StringComparison.Ordinal);
        using var response = await client.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (stream && contentType == "text/event-stream")
        {
            // Read what is there at once (the retry line and any replay), then leave: the stream itself never ends.
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64 * 1024];
            var read = await body.ReadAsync(buffer);
            return (response.StatusCode, contentType, Encoding.UTF8.GetString(buffer, 0, read));
        }

        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            return (response.StatusCode, contentType, "(gzip)");
        }

        return (response.StatusCode, contentType, Encoding.UTF8.GetString(bytes));
    }

    /// <summary>
    /// A request written byte by byte on a socket of its own, for what HttpClient refuses to send: raw invalid UTF-8 and
    /// control bytes in the request target. Answers the status line's code and the rest as text.
    /// </summary>
    private static async Task<(HttpStatusCode, string?, string)> RawAsync(Uri address, byte[] target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var request = new MemoryStream();
        request.Write("GET "u8);
        request.Write(target);
        request.Write(Encoding.ASCII.GetBytes($" HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(request.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer, timeout.Token);

        var text = Encoding.UTF8.GetString(answer.ToArray());
        var code = text.Length >= 12 && int.TryParse(text.AsSpan(9, 3), out var parsed) ? parsed : 0;
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var type = headerEnd < 0 ? null : text[..headerEnd].Split("\r\n")
            .FirstOrDefault(line => line.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?[13..].Split(';')[0].Trim();
        return ((HttpStatusCode)code, type, headerEnd < 0 ? text : text[(headerEnd + 4)..]);
    }

    private static byte[] RawTarget(Random random, string target)
    {
        var bytes = Encoding.UTF8.GetBytes(target).ToList();
        var junk = new byte[random.Next(1, 6)];
        random.NextBytes(junk);
        bytes.InsertRange(random.Next(1, bytes.Count), junk);
        return [.. bytes];
    }

    /// <summary>Refusals Kestrel makes before the application sees the request (no body, so no problem details).</summary>
    private static bool IsProtocolRefusal(HttpStatusCode status, string body) =>
        status is HttpStatusCode.RequestUriTooLong or HttpStatusCode.RequestHeaderFieldsTooLarge
        || (status == HttpStatusCode.BadRequest && body.Length == 0);

    private static bool IsProblem(HttpStatusCode status, string? contentType, string body)
    {
        if (contentType != "application/problem+json")
        {
            return false;
        }

        try
        {
            // A chunked raw answer carries chunk sizes around the JSON: take the object itself.
            var json = body[body.IndexOf('{', StringComparison.Ordinal)..(body.LastIndexOf('}') + 1)];
            using var problem = JsonDocument.Parse(json);
            return problem.RootElement.TryGetProperty("status", out var code) && code.GetInt32() == (int)status
                && problem.RootElement.TryGetProperty("title", out _);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>A path segment or query value: random text escaped, or raw escapes that decode to invalid UTF-8 or NUL.</summary>
    private static string Segment(Random random, int maxLength) => random.Next(8) switch
    {
        0 or 1 => Uri.EscapeDataString(Payloads[random.Next(Payloads.Length)]),
        2 => Uri.EscapeDataString(new string((char)random.Next(0x20, 0x7f), random.Next(maxLength))),
        3 => Uri.EscapeDataString(string.Concat(Enumerable.Range(0, random.Next(maxLength)).Select(_ => (char)random.Next(0, 0xD7FF)))),
        4 => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => RawEscapes[random.Next(RawEscapes.Length)])) + "x",
        5 => new string('x', random.Next(1, 300)),
        _ => Guid.NewGuid().ToString(),
    };

    /// <summary>What a header value can carry at all (HttpClient refuses control and non-ASCII characters).</summary>
    private static string Printable(string text) => string.Concat(text.Where(c => c is >= ' ' and <= '~'));

    private static string BogusCursor(Random random, string valid)
    {
        var bytes = new byte[random.Next(0, 48)];
        random.NextBytes(bytes);
        return random.Next(7) switch
        {
            0 => valid,
            1 => valid[..random.Next(valid.Length)],
            2 => System.Buffers.Text.Base64Url.EncodeToString(bytes),
            3 => Uri.EscapeDataString(Convert.ToBase64String(bytes)),
            4 => new ThreadCursor((ThreadSort)random.Next(2), DateTimeOffset.MaxValue, Guid.NewGuid()).Encode(),
            5 => Segment(random, 80),
            _ => "",
        };
    }

    private static string EventId(Random random) => random.Next(7) switch
    {
        0 => "0-0",
        1 => "99999999999999999999-1",
        2 => $"{random.NextInt64()}-{random.NextInt64()}",
        3 => "-1",
        4 => new string('9', random.Next(1, 60)),
        5 => Payloads[random.Next(Payloads.Length)].Replace("\r\n", " ", StringComparison.Ordinal),
        _ => $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}-0",
    };
}
