using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Comments.Api;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Comments;

/// <summary>POST /api/v1/sites/{site}/articles/{article}/comments against real PostgreSQL and RabbitMQ.</summary>
public sealed class SubmitCommentTests : IAsyncLifetime
{
    private ServiceFactory<ApiEntryPoint> _api = null!;
    private HttpClient _client = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new ServiceFactory<ApiEntryPoint>(servers);
        _client = _api.CreateClient();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _db.DisposeAsync();
    }

    private string Url(string article = "a1", string? site = null) => $"/api/v1/sites/{site ?? _site}/articles/{article}/comments";

    private Task<HttpResponseMessage> PostJson(string json, string article = "a1") =>
        _client.PostAsync(Url(article), new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<long> CountAsync(string sql)
    {
        await using var command = _db.CreateCommand(sql);
        command.Parameters.AddWithValue("site", _site);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Task<long> CommentRows() => CountAsync("SELECT count(*) FROM comments WHERE site_id = @site");

    // Only the Api's own messages: a worker of a parallel test may already have decided the comment.
    private Task<long> OutboxRows() => CountAsync(
        $"SELECT count(*) FROM {OutboxItems.Relation} WHERE item->>'siteId' = @site AND message_type = 'Comments.Contracts.CommentsSubmitted'");

    private Task<long> ArticleRows() => CountAsync("SELECT count(*) FROM articles WHERE site_id = @site");

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task AcceptsACleanCommentAsPendingWithItsOutboxMessage()
    {
        var response = await _client.PostAsJsonAsync(Url(), new { authorName = "Ann", authorEmail = "ann@example.org", body = "Well written." });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pending", body.GetProperty("status").GetString());
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal(7, id.Version);

        await using var command = _db.CreateCommand("SELECT status, body, author_email_hash FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("pending", reader.GetString(0));
        Assert.Equal("Well written.", reader.GetString(1));
        Assert.DoesNotContain("ann", reader.GetString(2), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(64, reader.GetString(2).Length);
        Assert.Equal(1, await OutboxRows());
    }

    [Fact]
    public async Task StoresTheBodyTrimmedAndNfcNormalised()
    {
        var response = await _client.PostAsJsonAsync(Url(), new { authorName = "Zoë", body = "  Cafe\u0301\r\nsecond line  " });

        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using var command = _db.CreateCommand("SELECT body FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        Assert.Equal("Caf\u00e9\nsecond line", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CreatesTheArticleOnFirstCommentWhenTheSiteAllowsIt()
    {
        await _client.PostAsJsonAsync(Url("new-article"), new { authorName = "Ann", body = "First!" });

        Assert.Equal(1, await ArticleRows());
    }

    [Fact]
    public async Task RefusesAnUnknownArticleWhenTheSiteDoesNotCreateArticles()
    {
        var servers = await Servers.GetAsync();
        var strictSite = await TestSites.CreateAsync(servers, autoCreateArticles: false);

        var response = await _client.PostAsJsonAsync(Url("nope", strictSite), new { authorName = "Ann", body = "Hello" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Unknown article", (await Problem(response)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task AnswersNotFoundForAnUnknownSiteAndWritesNothing()
    {
        var response = await _client.PostAsJsonAsync(Url(site: "no-such-site"), new { authorName = "Ann", body = "Hello" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(404, (await Problem(response)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task NamesAnUnknownSiteInTheProblemWithMarkupEscaped()
    {
        var response = await _client.PostAsJsonAsync(Url(site: Uri.EscapeDataString("<img src=x onerror=alert(1)>")), new { authorName = "Ann", body = "Hello" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<img", raw, StringComparison.Ordinal);
        Assert.Contains("\\u003Cimg", raw, StringComparison.Ordinal);
        Assert.Equal("There is no site '<img src=x onerror=alert(1)>'.", (await Problem(response)).GetProperty("detail").GetString());
    }

    public static TheoryData<string, string> RefusedBodies => new()
    {
        { """{"authorName":"Ann","body":""}""", "body" },
        { """{"authorName":"Ann","body":"   \n\t  "}""", "body" },
        { """{"authorName":"Ann"}""", "body" },
        { $$"""{"authorName":"Ann","body":"{{new string('x', 5001)}}"}""", "body" },
        { """{"authorName":"Ann","body":"bell \u0007 inside"}""", "body" },
        { """{"authorName":"","body":"Hello"}""", "authorName" },
        { $$"""{"authorName":"{{new string('n', 81)}}","body":"Hello"}""", "authorName" },
        { """{"authorName":"Ann\nBob","body":"Hello"}""", "authorName" },
        { """{"authorName":"Ann","authorEmail":"not-an-email","body":"Hello"}""", "authorEmail" },
        { """{"authorName":"Ann","authorEmail":"ann@localhost","body":"Hello"}""", "authorEmail" },
        { """{"authorName":"Ann","body":"Hello","parentId":"0195f0a0-0000-7000-8000-000000000000"}""", "parentId" },
    };

    [Theory]
    [MemberData(nameof(RefusedBodies))]
    public async Task RefusesInvalidFieldsWithAValidationProblemAndWritesNothing(string json, string field)
    {
        var response = await PostJson(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
        Assert.Equal(0, await CommentRows());
        Assert.Equal(0, await OutboxRows());
    }

    [Fact]
    public async Task AcceptsABodyOfExactlyTheMaximumLength()
    {
        var response = await _client.PostAsJsonAsync(Url(), new { authorName = "Ann", body = new string('x', 5000) });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"authorName\":\"Ann\",\"body\":")]
    [InlineData("not json at all")]
    [InlineData("{\"authorName\":12,\"body\":\"Hello\"}")]
    [InlineData("null")]
    [InlineData("{\"authorName\":\"Ann\",\"body\":\"lone \\ud800 surrogate\"}")]
    public async Task RefusesMalformedJsonWithBadRequestAndWritesNothing(string json)
    {
        var response = await PostJson(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Malformed request body", (await Problem(response)).GetProperty("title").GetString());
        Assert.Equal(0, await CommentRows());
    }

    [Fact]
    public async Task RefusesABodyOverSixtyFourKilobytesWith413AndWritesNothing()
    {
        var json = $$"""{"authorName":"Ann","body":"{{new string('x', 70_000)}}"}""";

        var response = await PostJson(json);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Problem(response);
        Assert.Equal(0, await CommentRows());
    }

    [Fact]
    public async Task RefusesANonJsonContentTypeWith415()
    {
        var response = await _client.PostAsync(Url(), new StringContent("authorName=Ann&body=Hi", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await Problem(response);
    }

    [Fact]
    public async Task RefusesAMalformedArticleIdAndWritesNothing()
    {
        var response = await _client.PostAsJsonAsync(Url("has%20space"), new { authorName = "Ann", body = "Hello" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty("articleId", out _));
        Assert.Equal(0, await ArticleRows());
    }

    [Fact]
    public async Task RefusesAReplyToAPendingComment()
    {
        var parent = await _client.PostAsJsonAsync(Url(), new { authorName = "Ann", body = "Parent" });
        var parentId = (await parent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var reply = await _client.PostAsJsonAsync(Url(), new { authorName = "Bob", body = "Reply", parentId });

        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.True((await Problem(reply)).GetProperty("errors").TryGetProperty("parentId", out _));
    }

    [Fact]
    public async Task AcceptsAReplyToAnApprovedCommentAndRecordsItsRoot()
    {
        var top = await _client.PostAsJsonAsync(Url(), new { authorName = "Ann", body = "Parent" });
        var topId = (await top.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var approve = _db.CreateCommand("UPDATE comments SET status = 'approved' WHERE id = @id"))
        {
            approve.Parameters.AddWithValue("id", topId);
            await approve.ExecuteNonQueryAsync();
        }

        var reply = await _client.PostAsJsonAsync(Url(), new { authorName = "Bob", body = "Reply", parentId = topId });
        var replyId = (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        await using var command = _db.CreateCommand("SELECT root_id FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", replyId);
        Assert.Equal(topId, (Guid?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task RefusesAReplyToACommentOfAnotherArticle()
    {
        var top = await _client.PostAsJsonAsync(Url("a1"), new { authorName = "Ann", body = "Parent" });
        var topId = (await top.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var approve = _db.CreateCommand("UPDATE comments SET status = 'approved' WHERE id = @id"))
        {
            approve.Parameters.AddWithValue("id", topId);
            await approve.ExecuteNonQueryAsync();
        }

        var reply = await _client.PostAsJsonAsync(Url("a2"), new { authorName = "Bob", body = "Reply", parentId = topId });

        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
    }
}
