using System.Net;
using System.Text.Json;

namespace Comments.Api.Tests.Moderation;

/// <summary>GET queue: one state's comments with what a moderator needs, in priority or arrival order.</summary>
public sealed class QueueTests : ModerationTestBase
{
    private async Task<JsonElement> Queue(string query = "")
    {
        var response = await Client.GetAsync(Url("queue" + query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static List<Guid> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();

    [Fact]
    public async Task ListsHeldCommentsByDefault()
    {
        var held = await ModerationTestData.CommentAsync(Db, Site, "held");
        await ModerationTestData.CommentAsync(Db, Site, "approved");

        var page = await Queue();

        Assert.Equal("held", page.GetProperty("state").GetString());
        Assert.Equal([held], Ids(page));
    }

    [Fact]
    public async Task AnItemCarriesArticleScoresReasonsAndAuthorHistory()
    {
        await ModerationTestData.CommentAsync(Db, Site, "approved", authorKey: "author-1");
        await ModerationTestData.CommentAsync(Db, Site, "rejected", authorKey: "author-1");
        await ModerationTestData.CommentAsync(Db, Site, "held", authorKey: "author-1", body: "Buy crypto",
            scoresJson: """{"rules.suspect":0.5}""", reasonsJson: """["suspect word: crypto"]""");

        var item = (await Queue()).GetProperty("items")[0];

        Assert.Equal("Buy crypto", item.GetProperty("body").GetString());
        Assert.Equal("Title of story", item.GetProperty("articleTitle").GetString());
        Assert.Equal(0.5, item.GetProperty("scores").GetProperty("rules.suspect").GetDouble());
        Assert.Equal("suspect word: crypto", item.GetProperty("reasons")[0].GetString());
        Assert.Equal(1, item.GetProperty("authorHistory").GetProperty("approved").GetInt32());
        Assert.Equal(1, item.GetProperty("authorHistory").GetProperty("rejected").GetInt32());
        Assert.False(item.GetProperty("authorHistory").GetProperty("banned").GetBoolean());
    }

    [Fact]
    public async Task ASignedInUsersHistoryGoesByTheirUserKey()
    {
        await ModerationTestData.CommentAsync(Db, Site, "approved", userId: "u-42");
        await ModerationTestData.CommentAsync(Db, Site, "rejected", userId: "u-42", authorKey: new string('e', 64));
        await ModerationTestData.CommentAsync(Db, Site, "approved", authorKey: new string('e', 64));
        await ModerationTestData.CommentAsync(Db, Site, "held", userId: "u-42");
        var ban = await Client.PostAsync(Url("bans"), new StringContent("""{"userId":"u-42"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, ban.StatusCode);

        var item = (await Queue()).GetProperty("items")[0];

        Assert.Equal("user:u-42", item.GetProperty("authorKey").GetString());
        Assert.Equal(1, item.GetProperty("authorHistory").GetProperty("approved").GetInt32());
        Assert.Equal(1, item.GetProperty("authorHistory").GetProperty("rejected").GetInt32());
        Assert.True(item.GetProperty("authorHistory").GetProperty("banned").GetBoolean());
    }

    [Fact]
    public async Task AnEmailBanDoesNotMarkASignedInUserWithThatEmailAsBanned()
    {
        await ModerationTestData.CommentAsync(Db, Site, "held", userId: "u-42", authorKey: new string('e', 64));
        var ban = await Client.PostAsync(Url("bans"), new StringContent($$"""{"authorKey":"{{new string('e', 64)}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, ban.StatusCode);

        var item = (await Queue()).GetProperty("items")[0];

        Assert.Equal("user:u-42", item.GetProperty("authorKey").GetString());
        Assert.False(item.GetProperty("authorHistory").GetProperty("banned").GetBoolean());
    }

    [Fact]
    public async Task AReportedItemCarriesItsReportCountAndReasons()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "reported");
        foreach (var (key, reason) in new[] { ("r1", "spam"), ("r2", "spam"), ("r3", "abusive") })
        {
            await using var report = Db.CreateCommand(
                "INSERT INTO comment_reports (id, comment_id, site_id, reporter_key, reason, created_at) VALUES (gen_random_uuid(), @id, @site, @key, @reason, now())");
            report.Parameters.AddWithValue("id", id);
            report.Parameters.AddWithValue("site", Site);
            report.Parameters.AddWithValue("key", key);
            report.Parameters.AddWithValue("reason", reason);
            await report.ExecuteNonQueryAsync();
        }

        var reports = (await Queue("?state=reported")).GetProperty("items")[0].GetProperty("reports");

        Assert.Equal(3, reports.GetProperty("count").GetInt32());
        Assert.Equal(2, reports.GetProperty("reasons").GetProperty("spam").GetInt32());
        Assert.Equal(1, reports.GetProperty("reasons").GetProperty("abusive").GetInt32());
    }

    [Fact]
    public async Task PrioritySortPutsTheRiskiestFirstAndOlderFirstWithinARisk()
    {
        var now = DateTimeOffset.UtcNow;
        var lowOld = await ModerationTestData.CommentAsync(Db, Site, "held", scoresJson: """{"a":0.2}""", createdAt: now.AddMinutes(-30));
        var highNew = await ModerationTestData.CommentAsync(Db, Site, "held", scoresJson: """{"a":0.9}""", createdAt: now.AddMinutes(-1));
        var highOld = await ModerationTestData.CommentAsync(Db, Site, "held", scoresJson: """{"a":0.9}""", createdAt: now.AddMinutes(-10));

        Assert.Equal([highOld, highNew, lowOld], Ids(await Queue("?sort=priority")));
    }

    [Fact]
    public async Task NewestSortListsTheLatestArrivalFirst()
    {
        var now = DateTimeOffset.UtcNow;
        var older = await ModerationTestData.CommentAsync(Db, Site, "held", createdAt: now.AddMinutes(-5));
        var newer = await ModerationTestData.CommentAsync(Db, Site, "held", createdAt: now);

        Assert.Equal([newer, older], Ids(await Queue("?sort=newest")));
    }

    [Fact]
    public async Task TheCursorWalksThroughEveryItemOnce()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await ModerationTestData.CommentAsync(Db, Site, "held", scoresJson: $$"""{"a":{{(i % 2 == 0 ? "0.8" : "0.1")}}}""",
                createdAt: now.AddMinutes(i - 10)));
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await Queue("?limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            seen.AddRange(Ids(page));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal([ids[0], ids[2], ids[4], ids[1], ids[3]], seen);
    }

    [Fact]
    public async Task TheArticleFilterKeepsOneArticlesComments()
    {
        var mine = await ModerationTestData.CommentAsync(Db, Site, "held", article: "one");
        await ModerationTestData.CommentAsync(Db, Site, "held", article: "two");

        var page = await Queue("?articleId=one");

        Assert.Equal([mine], Ids(page));
        Assert.Equal(1, page.GetProperty("counts").GetProperty("held").GetInt32());
    }

    [Fact]
    public async Task CountsEveryStateForTheTabs()
    {
        await ModerationTestData.CommentAsync(Db, Site, "held");
        await ModerationTestData.CommentAsync(Db, Site, "held");
        await ModerationTestData.CommentAsync(Db, Site, "rejected");

        var counts = (await Queue()).GetProperty("counts");

        Assert.Equal(2, counts.GetProperty("held").GetInt32());
        Assert.Equal(1, counts.GetProperty("rejected").GetInt32());
        Assert.Equal(0, counts.GetProperty("reported").GetInt32());
    }

    [Theory]
    [InlineData("?state=deleted", "state")]
    [InlineData("?sort=random", "sort")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?cursor=%%%", "cursor")]
    public async Task RefusesABadQueryWithAValidationProblem(string query, string field)
    {
        var response = await Client.GetAsync(Url("queue" + query));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }
}
