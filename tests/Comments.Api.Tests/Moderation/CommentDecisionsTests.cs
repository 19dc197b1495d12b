using System.Net;
using System.Net.Http.Json;
using System.Text;
using Npgsql;

namespace Comments.Api.Tests.Moderation;

/// <summary>POST comments/{id}/approve|reject and their bulk versions against real PostgreSQL.</summary>
public sealed class CommentDecisionsTests : ModerationTestBase
{
    private Task<HttpResponseMessage> Approve(Guid id, object? body = null) => body is null
        ? Client.PostAsync(Url($"comments/{id}/approve"), null)
        : Client.PostAsJsonAsync(Url($"comments/{id}/approve"), body);

    private Task<HttpResponseMessage> Reject(Guid id, object body) => Client.PostAsJsonAsync(Url($"comments/{id}/reject"), body);

    [Fact]
    public async Task ApprovingAHeldCommentPublishesIt()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "held");

        var response = await Approve(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("approved", body.GetProperty("status").GetString());
        Assert.Equal("held", body.GetProperty("previousStatus").GetString());
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, id));
    }

    [Fact]
    public async Task ApprovingWritesACommentModeratedMessageForTheReader()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "held");

        await Approve(id);

        Assert.Equal(["approved"], await ModerationTestData.ModeratedEventsAsync(Db, id));
    }

    [Fact]
    public async Task RejectingRecordsWhoWhatWhyAndBeforeAfterInTheAuditLog()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        var response = await Reject(id, new { reason = "toxic", note = "insults another reader" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var audit = await (await Client.GetAsync(Url("audit"))).JsonAsync();
        var entry = audit.GetProperty("items")[0];
        Assert.Equal("reject", entry.GetProperty("action").GetString());
        Assert.Equal(id, entry.GetProperty("commentId").GetGuid());
        Assert.Equal("toxic", entry.GetProperty("reason").GetString());
        Assert.Equal("insults another reader", entry.GetProperty("note").GetString());
        Assert.Equal("approved", entry.GetProperty("before").GetString());
        Assert.Equal("rejected", entry.GetProperty("after").GetString());
        Assert.StartsWith("Mod ", entry.GetProperty("actor").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectingAnApprovedCommentWritesARejectedMessage()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        await Reject(id, new { reason = "spam" });

        Assert.Equal(["rejected"], await ModerationTestData.ModeratedEventsAsync(Db, id));
    }

    [Fact]
    public async Task ApprovingAnAlreadyApprovedCommentIsAConflictAndWritesNothing()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        var response = await Approve(id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("approved", (await response.JsonAsync()).GetProperty("currentStatus").GetString());
        Assert.Empty(await ModerationTestData.ModeratedEventsAsync(Db, id));
        Assert.Empty(await ModerationTestData.AuditAsync(Db, Site));
    }

    [Fact]
    public async Task AnActionOnAStateTheModeratorDidNotSeeIsAConflict()
    {
        // The card showed "held", but another moderator rejected it meanwhile.
        var id = await ModerationTestData.CommentAsync(Db, Site, "rejected");

        var response = await Approve(id, new { expectedStatus = "held" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("rejected", await ModerationTestData.StatusAsync(Db, id));
    }

    [Fact]
    public async Task ACommentOfAnotherSiteIsNotFound()
    {
        var otherSite = await global::Comments.Tests.Fixtures.TestSites.CreateAsync(Servers);
        var id = await ModerationTestData.CommentAsync(Db, otherSite, "held");

        var response = await Approve(id);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, id));
    }

    [Fact]
    public async Task RejectingWithoutAKnownReasonCodeIsAValidationProblem()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "held");

        var response = await Reject(id, new { reason = "because" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, id));
    }

    [Fact]
    public async Task ANoteOverFiveHundredCharactersIsAValidationProblem()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "held");

        var response = await Approve(id, new { note = new string('n', 501) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("note", out _));
    }

    [Fact]
    public async Task MalformedJsonIsABadRequestProblem()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "held");

        var response = await Client.PostAsync(Url($"comments/{id}/reject"), new StringContent("{\"reason\":", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Malformed request body", (await response.JsonAsync()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task ApprovingAReportedCommentSettlesItsReports()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "reported");
        await using (var report = Db.CreateCommand(
            "INSERT INTO comment_reports (id, comment_id, site_id, reporter_key, reason, created_at) VALUES (gen_random_uuid(), @id, @site, 'k1', 'spam', now())"))
        {
            report.Parameters.AddWithValue("id", id);
            report.Parameters.AddWithValue("site", Site);
            await report.ExecuteNonQueryAsync();
        }

        await Approve(id);

        await using var open = Db.CreateCommand("SELECT count(*) FROM comment_reports WHERE comment_id = @id AND resolved_at IS NULL");
        open.Parameters.AddWithValue("id", id);
        Assert.Equal(0L, await open.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ABulkApproveAppliesTheFreshIdsAndAnswers409ForTheStaleOneOnly()
    {
        var first = await ModerationTestData.CommentAsync(Db, Site, "held");
        var stale = await ModerationTestData.CommentAsync(Db, Site, "approved");
        var third = await ModerationTestData.CommentAsync(Db, Site, "held");

        var response = await Client.PostAsJsonAsync(Url("comments/bulk/approve"), new { ids = new[] { first, stale, third } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(2, body.GetProperty("applied").GetInt32());
        var statuses = body.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetGuid(), r => r.GetProperty("status").GetInt32());
        Assert.Equal(new Dictionary<Guid, int> { [first] = 200, [stale] = 409, [third] = 200 }, statuses);
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, first));
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, third));
    }

    [Fact]
    public async Task ABulkRejectWritesOneAuditRowAndOneMessagePerAppliedId()
    {
        var first = await ModerationTestData.CommentAsync(Db, Site, "held");
        var second = await ModerationTestData.CommentAsync(Db, Site, "pending");
        var unknown = Guid.CreateVersion7();

        var response = await Client.PostAsJsonAsync(Url("comments/bulk/reject"), new { ids = new[] { first, second, unknown }, reason = "spam" });

        var results = (await response.JsonAsync()).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(404, results.Single(r => r.GetProperty("id").GetGuid() == unknown).GetProperty("status").GetInt32());
        Assert.Equal(["reject held>rejected spam", "reject pending>rejected spam"], await ModerationTestData.AuditAsync(Db, Site));
        Assert.Equal(["rejected"], await ModerationTestData.ModeratedEventsAsync(Db, first));
        Assert.Equal(["rejected"], await ModerationTestData.ModeratedEventsAsync(Db, second));
    }

    [Fact]
    public async Task ABulkActionCutShortByTheDatabaseSaysWhichIdsWereDecidedAndWhichNot()
    {
        var first = await ModerationTestData.CommentAsync(Db, Site, "held");
        var locked = await ModerationTestData.CommentAsync(Db, Site, "held");
        var third = await ModerationTestData.CommentAsync(Db, Site, "held");
        // Another session holds the second comment's row past the request's database deadline.
        await using var blocker = await Db.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM comments WHERE id = @id FOR UPDATE", blocker, hold))
        {
            lockRow.Parameters.AddWithValue("id", locked);
            await lockRow.ExecuteNonQueryAsync();
        }

        var response = await Client.PostAsJsonAsync(Url("comments/bulk/approve"), new { ids = new[] { first, locked, third } });
        await hold.RollbackAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(1, body.GetProperty("applied").GetInt32());
        var statuses = body.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetGuid(), r => r.GetProperty("status").GetInt32());
        Assert.Equal(new Dictionary<Guid, int> { [first] = 200, [locked] = 503, [third] = 503 }, statuses);
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, first));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, locked));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, third));
    }

    [Fact]
    public async Task ABulkActionWithoutIdsIsAValidationProblem()
    {
        var response = await Client.PostAsJsonAsync(Url("comments/bulk/approve"), new { ids = Array.Empty<Guid>() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("ids", out _));
    }
}
