using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Comments.Api.Tests.Moderation;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Fuzz;

/// <summary>
/// A seeded, reproducible run of 10,000 hostile requests over every public and moderation endpoint of the Api on a real
/// socket: no 5xx, nothing written for a refused request, and the service healthy afterwards.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 20261128;
    private const int Requests = 10_000;

    private static readonly string[] Payloads =
    [
        "'; DROP TABLE comments; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
        "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://x}", "\u202Eevil", "😀", "\0", "%00", "../../etc/passwd", "",
    ];

    [Fact]
    public async Task TenThousandHostileRequestsGetNoServerErrorAndWriteNothingTheyWereRefused()
    {
        var servers = await Servers.GetAsync();
        var site = await TestSites.CreateAsync(servers);
        await using var db = NpgsqlDataSource.Create(servers.Postgres);
        var token = await ModerationTestData.TokenAsync(db, site);
        var comment = await ModerationTestData.CommentAsync(db, site, "held");
        await using var api = new KestrelService<ApiEntryPoint>(servers);
        using var client = new HttpClient { BaseAddress = api.Start(), Timeout = TimeSpan.FromSeconds(30) };
        var random = new Random(Seed);
        var accepted = 0;
        var serverErrors = new List<string>();
        var unescaped = new List<string>();
        var seen = new HashSet<HttpStatusCode>();

        string[] routes =
        [
            $"POST /api/v1/sites/{site}/articles/{{article}}/comments",
            $"POST /api/v1/sites/{site}/comments/{comment}/reports",
            $"POST /api/v1/sites/{{site}}/articles/story/comments",
            $"GET /api/v1/sites/{site}/moderation/queue?state={{text}}&sort={{text}}&cursor={{text}}&articleId={{text}}",
            $"POST /api/v1/sites/{site}/moderation/comments/{comment}/approve",
            $"POST /api/v1/sites/{site}/moderation/comments/{comment}/reject",
            $"POST /api/v1/sites/{site}/moderation/comments/bulk/approve",
            $"POST /api/v1/sites/{site}/moderation/comments/bulk/reject",
            $"GET /api/v1/sites/{site}/moderation/bans",
            $"POST /api/v1/sites/{site}/moderation/bans",
            $"POST /api/v1/sites/{site}/moderation/bans/{Guid.NewGuid()}/lift",
            $"GET /api/v1/sites/{site}/moderation/settings",
            $"PUT /api/v1/sites/{site}/moderation/settings",
            $"GET /api/v1/sites/{site}/moderation/audit?cursor={{text}}",
        ];

        for (var i = 0; i < Requests; i++)
        {
            var route = routes[random.Next(routes.Length)];
            var (method, template) = (route[..route.IndexOf(' ', StringComparison.Ordinal)], route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
            var path = template
                .Replace("{article}", Uri.EscapeDataString(Text(random, 40)), StringComparison.Ordinal)
                .Replace("{site}", Uri.EscapeDataString(Text(random, 20)), StringComparison.Ordinal)
                .Replace("{text}", Uri.EscapeDataString(Text(random, 30)), StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method != "GET")
            {
                request.Content = Body(random);
            }

            if (template.Contains("/moderation/", StringComparison.Ordinal) && random.Next(4) > 0)
            {
                var junk = new byte[random.Next(1, 64)];
                random.NextBytes(junk);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", random.Next(5) == 0 ? Convert.ToBase64String(junk) : token);
            }

            if (random.Next(50) == 0)
            {
                request.Headers.TryAddWithoutValidation("X-Fuzz", new string('h', 40_000)); // oversized header
            }

            using var response = await client.SendAsync(request);
            seen.Add(response.StatusCode);
            if ((int)response.StatusCode >= 500)
            {
                serverErrors.Add($"#{i} {method} {path} → {(int)response.StatusCode}");
            }

            var answer = await response.Content.ReadAsStringAsync();
            if (answer.Contains("<script", StringComparison.OrdinalIgnoreCase) || answer.Contains("<img", StringComparison.OrdinalIgnoreCase))
            {
                unescaped.Add($"#{i} {method} {path} → {answer[..Math.Min(answer.Length, 200)]}");
            }

            if (response.StatusCode == HttpStatusCode.Accepted && template.EndsWith("/comments", StringComparison.Ordinal))
            {
                accepted++;
            }
        }

        Assert.Empty(serverErrors);
        Assert.Empty(unescaped); // request text echoed in JSON (problem details, settings, queue) is escaped, never markup
        // The generator reaches every kind of refusal and some acceptances, or the run proves little.
        HttpStatusCode[] expected =
        [
            HttpStatusCode.Accepted, HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound,
            HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.TooManyRequests,
            HttpStatusCode.RequestHeaderFieldsTooLarge,
        ];
        Assert.All(expected, status => Assert.Contains(status, seen));
        // Few: fuzzed settings soon reset the site to the default rate limit of one comment per 3 s from this client.
        Assert.True(accepted > 0, "no comment accepted");
        await using (var count = db.CreateCommand("SELECT count(*) FROM comments WHERE site_id = @site"))
        {
            count.Parameters.AddWithValue("site", site);
            Assert.Equal(accepted + 1, (long)(await count.ExecuteScalarAsync())!); // + the held comment written above
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    private static string Text(Random random, int maxLength) => random.Next(6) switch
    {
        0 => Payloads[random.Next(Payloads.Length)],
        1 => new string((char)random.Next(0x20, 0x7f), random.Next(maxLength)),
        3 when random.Next(2) == 0 => "story",
        2 => string.Concat(Enumerable.Range(0, random.Next(maxLength)).Select(_ => (char)random.Next(0, 0xD7FF))),
        3 => "a",
        4 => new string('x', random.Next(1, 5)),
        _ => Guid.NewGuid().ToString(),
    };

    private static HttpContent Body(Random random)
    {
        var kind = random.Next(13);
        if (kind == 0)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes); // random bytes, mostly invalid UTF-8
            return WithType(new ByteArrayContent(bytes), random);
        }

        var json = kind switch
        {
            1 => new string('[', 5000) + new string(']', 5000),
            2 => "{\"body\":\"" + new string('x', random.Next(60_000, 80_000)) + "\"}",
            3 => """{"authorName":123,"body":["a"],"parentId":true,"reason":{},"ids":"x","mode":5}""",
            4 => $$"""{"authorName":"{{new string('n', random.Next(79, 82))}}","body":"{{new string('b', random.Next(4999, 5002))}}"}""",
            5 => $$$"""{"authorName":"Fuzz","body":"{{{Escape(Payloads[random.Next(Payloads.Length)])}}}","unknown":{"deep":[1,2,3]}}""",
            6 => """{"authorName":"Fuzz","body":"ok","parentId":"not-a-guid"}""",
            7 => """{"reason":"spam","note":"n","ids":["00000000-0000-0000-0000-000000000000"],"authorKey":"k","durationHours":-5}""",
            8 => "null",
            9 => """{"authorName":"Fuzz","body":"\ud800 lone"}""",
            10 => """{"mode":"auto","bannedWords":[""],"rateLimit":{"perClientSeconds":-3},"thresholds":{"x":2}}""",
            12 => """{"authorName":"Fuzz","body":"A perfectly valid comment."}""",
            _ => $$"""{"authorName":"{{Escape(Text(random, 90))}}","authorEmail":"{{Escape(Text(random, 30))}}","body":"{{Escape(Text(random, 200))}}"}""",
        };
        return WithType(new StringContent(json, Encoding.UTF8), random);
    }

    private static HttpContent WithType(HttpContent content, Random random)
    {
        content.Headers.ContentType = random.Next(8) switch
        {
            0 => new MediaTypeHeaderValue("text/plain"),
            1 => null,
            2 => new MediaTypeHeaderValue("application/x-www-form-urlencoded"),
            _ => new MediaTypeHeaderValue("application/json"),
        };
        return content;
    }

    private static string Escape(string text) => System.Text.Json.JsonEncodedText.Encode(text).ToString();
}
