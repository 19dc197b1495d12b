using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Reader.Threads;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Comments.Reader.Tests.Threads;

/// <summary>GET threads and counts against real PostgreSQL and Redis; comments are written straight to the database.</summary>
public sealed class GetThreadTests : IAsyncLifetime
{
    private ServerAddresses _servers = null!;
    private ServiceFactory<ReaderEntryPoint> _reader = null!;
    private HttpClient _client = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        _servers = await Servers.GetAsync();
        _reader = new ServiceFactory<ReaderEntryPoint>(_servers);
        _client = _reader.CreateClient();
        _db = NpgsqlDataSource.Create(_servers.Postgres);
        _site = await TestSites.CreateAsync(_servers);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _reader.DisposeAsync();
        await _db.DisposeAsync();
    }

    private string ThreadUrl(string article = "story", string query = "") => $"/api/v1/sites/{_site}/articles/{article}/comments{query}";

    private async Task<Guid> Insert(string body, string status = "approved", Guid? parent = null, Guid? root = null, int minute = 0, string article = "story")
    {
        var id = Guid.CreateVersion7();
        await using var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, @article) ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, parent_id, root_id, author_name, body, status, created_at)
            VALUES (@id, @site, @article, @parent, @root, 'Author', @body, @status, @at);
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("article", article);
        command.Parameters.AddWithValue("parent", (object?)parent ?? DBNull.Value);
        command.Parameters.AddWithValue("root", (object?)root ?? DBNull.Value);
        command.Parameters.AddWithValue("body", body);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("at", new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(minute));
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private async Task<JsonElement> Get(string url)
    {
        var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static Guid[] Ids(JsonElement thread) =>
        thread.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).ToArray();

    [Fact]
    public async Task ServesOnlyApprovedComments()
    {
        var approved = await Insert("yes");
        await Insert("held", "held", minute: 1);
        await Insert("pending", "pending", minute: 2);
        await Insert("rejected", "rejected", minute: 3);

        var thread = await Get(ThreadUrl());

        Assert.Equal([approved], Ids(thread));
        Assert.Equal(1, thread.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task AnswersAnEmptyThreadForAnArticleWithoutComments()
    {
        var thread = await Get(ThreadUrl("never-commented"));

        Assert.Empty(Ids(thread));
        Assert.Equal(0, thread.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task AnswersNotFoundForAnUnknownSite()
    {
        var response = await _client.GetAsync("/api/v1/sites/no-such-site/articles/story/comments");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PagesTopLevelCommentsWithACursorInBothSorts()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await Insert($"c{i}", minute: i));
        }

        var first = await Get(ThreadUrl(query: "?limit=2"));
        var second = await Get(ThreadUrl(query: $"?limit=2&cursor={first.GetProperty("nextCursor").GetString()}"));
        var third = await Get(ThreadUrl(query: $"?limit=2&cursor={second.GetProperty("nextCursor").GetString()}"));
        var newest = await Get(ThreadUrl(query: "?sort=newest&limit=2"));
        var newestNext = await Get(ThreadUrl(query: $"?sort=newest&limit=2&cursor={newest.GetProperty("nextCursor").GetString()}"));

        Assert.Equal(ids[..2], Ids(first));
        Assert.Equal(ids[2..4], Ids(second));
        Assert.Equal(ids[4..], Ids(third));
        Assert.Equal(JsonValueKind.Null, third.GetProperty("nextCursor").ValueKind);
        Assert.Equal([ids[4], ids[3]], Ids(newest));
        Assert.Equal([ids[2], ids[1]], Ids(newestNext));
    }

    [Fact]
    public async Task NestsRepliesUnderTheirParent()
    {
        var top = await Insert("top");
        var reply = await Insert("reply", parent: top, root: top, minute: 1);

        var thread = await Get(ThreadUrl());

        var comment = Assert.Single(thread.GetProperty("comments").EnumerateArray());
        Assert.Equal(reply, Assert.Single(comment.GetProperty("replies").EnumerateArray()).GetProperty("id").GetGuid());
    }

    [Theory]
    [InlineData("?sort=random", "sort")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?cursor=garbage", "cursor")]
    public async Task RefusesBadQueryParametersWithAValidationProblem(string query, string field)
    {
        var response = await _client.GetAsync(ThreadUrl(query: query));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task RefusesACursorOfTheOtherSort()
    {
        await Insert("a");
        await Insert("b", minute: 1);
        var oldest = await Get(ThreadUrl(query: "?limit=1"));

        var response = await _client.GetAsync(ThreadUrl(query: $"?sort=newest&cursor={oldest.GetProperty("nextCursor").GetString()}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AnswersNotModifiedForAMatchingETag()
    {
        await Insert("hello");
        var first = await _client.GetAsync(ThreadUrl());
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var request = new HttpRequestMessage(HttpMethod.Get, ThreadUrl());
        request.Headers.IfNoneMatch.Add(etag);
        var second = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ServesTheCachedPageUntilTheArticleIsInvalidated()
    {
        await Insert("first");
        var before = await Get(ThreadUrl());
        await Insert("written behind the cache's back", minute: 1);

        var cached = await Get(ThreadUrl());
        await _reader.Services.GetRequiredService<ThreadCache>().InvalidateAsync(_site, "story");
        var fresh = await Get(ThreadUrl());

        Assert.Equal(Ids(before), Ids(cached));
        Assert.Equal(2, Ids(fresh).Length);
    }

    [Fact]
    public async Task KeepsEveryCacheKeyUnderATimeToLive()
    {
        await Insert("first");
        await Get(ThreadUrl());

        await using var redis = await ConnectionMultiplexer.ConnectAsync(_servers.Redis);
        var db = redis.GetDatabase();
        var gen = ThreadCache.GenerationKey(_site, "story");
        var version = $"{(long)await db.StringGetAsync(ThreadCache.EpochKey)}.{(long)await db.StringGetAsync(gen)}";
        var page = ThreadCache.PageKey(_site, "story", version, "Oldest:50:-");

        Assert.NotNull(await db.KeyTimeToLiveAsync(ThreadCache.EpochKey));
        Assert.NotNull(await db.KeyTimeToLiveAsync(gen));
        Assert.True(await db.KeyExistsAsync(page));
        Assert.NotNull(await db.KeyTimeToLiveAsync(page));
    }

    [Fact]
    public async Task ServesThreadsFromPostgresWhenRedisIsUnreachable()
    {
        var id = await Insert("still here");
        // No broker either: on the shared one this instance would take other tests' decisions off the queue and, with no
        // Redis to record them, hold them in its retries for minutes.
        await using var noRedis = new ServiceFactory<ReaderEntryPoint>(
            _servers with { Redis = "127.0.0.1:1,connectTimeout=200", RabbitMq = "amqp://guest:guest@127.0.0.1:1/" });
        using var client = noRedis.CreateClient();

        var first = await client.GetAsync(ThreadUrl());
        var second = await client.GetAsync(ThreadUrl());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal([id], Ids(await second.Content.ReadFromJsonAsync<JsonElement>()));
    }

    [Fact]
    public async Task CountsApprovedCommentsPerArticle()
    {
        await Insert("a1", article: "one");
        await Insert("a2", article: "one", minute: 1);
        await Insert("held", "held", article: "one", minute: 2);
        await Insert("b1", article: "two");

        var counts = await Get($"/api/v1/sites/{_site}/counts?articleId=one&articleId=two&articleId=three");

        var map = counts.GetProperty("counts");
        Assert.Equal(2, map.GetProperty("one").GetInt32());
        Assert.Equal(1, map.GetProperty("two").GetInt32());
        Assert.Equal(0, map.GetProperty("three").GetInt32());
    }

    [Fact]
    public async Task RefusesACountsRequestWithoutArticles()
    {
        var response = await _client.GetAsync($"/api/v1/sites/{_site}/counts");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task RefusesACountsRequestWithANulInAnArticleIdAsAValidationProblem()
    {
        // Found by the Reader fuzz run: the id reached PostgreSQL, which refuses NUL in text, and the Reader answered 500.
        var response = await _client.GetAsync($"/api/v1/sites/{_site}/counts?articleId=one&articleId=a%00b");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("articleId", out _));
    }

    [Fact]
    public async Task EchoesRequestTextInJsonWithMarkupEscaped()
    {
        // Found by the Reader fuzz run: count keys and problem details carried a script payload verbatim.
        var counts = await _client.GetStringAsync($"/api/v1/sites/{_site}/counts?articleId=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
        var unknownSite = await _client.GetAsync("/api/v1/sites/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/articles/story/comments");
        var problem = await unknownSite.Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script>", counts, StringComparison.Ordinal);
        Assert.Contains("\\u003Cscript\\u003E", counts, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownSite.StatusCode);
        Assert.DoesNotContain("<img", problem, StringComparison.Ordinal);
        Assert.Contains("\\u003Cimg", problem, StringComparison.Ordinal);
    }
}
