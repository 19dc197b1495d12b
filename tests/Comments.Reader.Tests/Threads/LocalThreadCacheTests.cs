using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Reader.Threads;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Comments.Reader.Tests.Threads;

/// <summary>
/// The per-instance page cache in front of Redis, with two Reader instances on the real Redis. Local pages live a minute
/// here, so a fresh page can only come from an invalidation, never from expiry.
/// </summary>
public sealed class LocalThreadCacheTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> LongLocalPages = new() { ["ThreadCache:LocalPageTtl"] = "00:01:00" };

    private ServerAddresses _servers = null!;
    private ServiceFactory<ReaderEntryPoint> _a = null!;
    private ServiceFactory<ReaderEntryPoint> _b = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        _servers = await Servers.GetAsync();
        _a = new ServiceFactory<ReaderEntryPoint>(_servers, LongLocalPages);
        _b = new ServiceFactory<ReaderEntryPoint>(_servers, LongLocalPages);
        _db = NpgsqlDataSource.Create(_servers.Postgres);
        _site = await TestSites.CreateAsync(_servers);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _db.DisposeAsync();
    }

    private string ThreadUrl => $"/api/v1/sites/{_site}/articles/story/comments";

    private async Task<Guid> Insert(string body)
    {
        var id = Guid.CreateVersion7();
        await using var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, 'story') ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
            VALUES (@id, @site, 'story', 'Author', @body, 'approved', now());
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("body", body);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private static async Task<int> CountAsync(HttpClient client, string url)
    {
        var thread = await client.GetFromJsonAsync<JsonElement>(url);
        return thread.GetProperty("comments").GetArrayLength();
    }

    [Fact]
    public async Task ServesARepeatedReadFromLocalMemoryWithoutRedis()
    {
        await Insert("first");
        using var client = _b.CreateClient();
        await CountAsync(client, ThreadUrl);

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(_servers.Redis))
        {
            await redis.GetDatabase().KeyDeleteAsync(ThreadCache.GenerationKey(_site, "story"));
        }

        await Insert("written behind both caches' backs");

        Assert.Equal(1, await CountAsync(client, ThreadUrl));
    }

    [Fact]
    public async Task AnInvalidationByOneInstanceReachesTheOthersLocalCache()
    {
        using var clientB = _b.CreateClient();
        // The precondition: B serves its local page although the thread changed behind its back. A Redis operation
        // over its timeout in any Reader of the suite (CI runs the suites side by side) makes every instance drop
        // its local pages, which would spoil it; so it is set up again on a new site then, and the test fails if it
        // never holds. (The same drop after this point would let the last step pass without A's announcement: a rare
        // false pass, not a false failure.)
        var primed = false;
        for (var attempt = 0; attempt < 3 && !primed; attempt++)
        {
            _site = attempt == 0 ? _site : await TestSites.CreateAsync(_servers);
            await Insert("first");
            Assert.Equal(1, await CountAsync(clientB, ThreadUrl));
            await Insert("second");
            primed = await CountAsync(clientB, ThreadUrl) == 1;
        }
        Assert.True(primed, "instance B never served its locally cached page");

        await _a.Services.GetRequiredService<ThreadCache>().InvalidateAsync(_site, "story");

        await Eventually.Within(TimeSpan.FromSeconds(5),
            async () => await CountAsync(clientB, ThreadUrl) == 2 ? "" : null, "instance B serves the invalidated thread afresh");
    }

    [Fact]
    public async Task AnswersNotModifiedForTheETagOfALocallyCachedPage()
    {
        await Insert("first");
        using var client = _b.CreateClient();
        var first = await client.GetAsync(ThreadUrl);
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, ThreadUrl);
        request.Headers.IfNoneMatch.Add(etag);
        var second = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }
}
