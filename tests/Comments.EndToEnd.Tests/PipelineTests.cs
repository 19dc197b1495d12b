using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Moderation;
using Comments.Reader;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.EndToEnd.Tests;

/// <summary>Submit → RabbitMQ → moderation worker → cached thread, all three services on the real servers.</summary>
public sealed class PipelineTests : IAsyncLifetime
{
    // A bound against hangs, not a speed goal (that is benchmarked): CI runs the test projects side by side on two cores,
    // and this suite's services start cold while the others are still busy.
    private static readonly TimeSpan Visible = TimeSpan.FromSeconds(15);

    private ServiceFactory<ApiEntryPoint> _api = null!;
    private ServiceFactory<ModerationEntryPoint> _worker = null!;
    private ServiceFactory<ReaderEntryPoint> _reader = null!;
    private HttpClient _apiClient = null!;
    private HttpClient _readerClient = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new ServiceFactory<ApiEntryPoint>(servers);
        _worker = new ServiceFactory<ModerationEntryPoint>(servers).Started();
        _reader = new ServiceFactory<ReaderEntryPoint>(servers).Started();
        _apiClient = _api.CreateClient();
        _readerClient = _reader.CreateClient();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
    }

    public async Task DisposeAsync()
    {
        _apiClient.Dispose();
        _readerClient.Dispose();
        await _api.DisposeAsync();
        await _worker.DisposeAsync();
        await _reader.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<Guid> Submit(string body, Guid? parentId = null, string article = "story")
    {
        var response = await _apiClient.PostAsJsonAsync(
            $"/api/v1/sites/{_site}/articles/{article}/comments", new { authorName = "Reader", body, parentId });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task<JsonElement> Thread(string article = "story")
    {
        var response = await _readerClient.GetAsync($"/api/v1/sites/{_site}/articles/{article}/comments");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string?> StatusOf(Guid id)
    {
        await using var command = _db.CreateCommand("SELECT status FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (string?)await command.ExecuteScalarAsync();
    }

    private Task<string> Decided(Guid id) => Eventually.Within(Visible, async () =>
    {
        var status = await StatusOf(id);
        return status is "pending" ? null : status;
    }, $"comment {id} decided");

    private static IEnumerable<Guid> Ids(JsonElement comments) =>
        comments.EnumerateArray().Select(c => c.GetProperty("id").GetGuid());

    [Fact]
    public async Task ACleanCommentAppearsInTheThreadWithinFiveSeconds()
    {
        var id = await Submit("A thoughtful remark about the article.");

        var thread = await Eventually.Within(Visible, async () =>
        {
            var t = await Thread();
            return Ids(t.GetProperty("comments")).Contains(id) ? (JsonElement?)t : null;
        }, "approved comment visible in the reader");

        Assert.Equal(1, thread!.Value.GetProperty("total").GetInt32());
        Assert.Equal("<p>A thoughtful remark about the article.</p>", thread!.Value.GetProperty("comments")[0].GetProperty("bodyHtml").GetString());
    }

    [Fact]
    public async Task ABannedWordCommentEndsRejectedAndNeverAppears()
    {
        var banned = await Submit("You are an 1d10t.");
        var clean = await Submit("Sent after the banned one.");

        Assert.Equal("rejected", await Decided(banned));
        Assert.Equal("approved", await Decided(clean));
        await Eventually.Within(Visible, async () => Ids((await Thread()).GetProperty("comments")).Contains(clean) ? "" : null, "clean comment visible");
        Assert.DoesNotContain(banned, Ids((await Thread()).GetProperty("comments")));

        await using var command = _db.CreateCommand("SELECT reasons::text, model_version FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", banned);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Contains("banned word: idiot", reader.GetString(0), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(reader.GetString(1)));
    }

    [Fact]
    public async Task ASuspectWordCommentIsHeldForReview()
    {
        var id = await Submit("Buy crypto now");

        Assert.Equal("held", await Decided(id));
    }

    [Fact]
    public async Task AReplyNestsUnderItsParent()
    {
        var parent = await Submit("Parent comment");
        Assert.Equal("approved", await Decided(parent));
        var reply = await Submit("A reply", parent);
        Assert.Equal("approved", await Decided(reply));

        var thread = await Eventually.Within(Visible, async () =>
        {
            var t = await Thread();
            return t.GetProperty("total").GetInt32() == 2 ? (JsonElement?)t : null;
        }, "both comments visible");

        var top = Assert.Single(thread!.Value.GetProperty("comments").EnumerateArray());
        Assert.Equal(parent, top.GetProperty("id").GetGuid());
        var nested = Assert.Single(top.GetProperty("replies").EnumerateArray());
        Assert.Equal(reply, nested.GetProperty("id").GetGuid());
        Assert.Equal(parent, nested.GetProperty("parentId").GetGuid());
    }

    [Fact]
    public async Task TheThreadReadBeforeAndAfterAnApprovalReflectsIt()
    {
        var first = await Submit("First");
        await Eventually.Within(Visible, async () => (await Thread()).GetProperty("total").GetInt32() == 1 ? "" : null, "first visible");
        var cachedBefore = await Thread(); // a cache hit now holds the one-comment thread

        var second = await Submit("Second");
        var after = await Eventually.Within(Visible, async () =>
        {
            var t = await Thread();
            return t.GetProperty("total").GetInt32() == 2 ? (JsonElement?)t : null;
        }, "cached thread invalidated by the approval");

        Assert.Equal([first], Ids(cachedBefore.GetProperty("comments")));
        Assert.Equal([first, second], Ids(after!.Value.GetProperty("comments")));
    }
}
