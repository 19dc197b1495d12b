using System.Net;
using System.Text;
using Comments.Api.Tests.Moderation;
using Microsoft.AspNetCore.Http;

namespace Comments.Api.Tests.Reports;

/// <summary>Sends reports as chosen client addresses through the in-process server.</summary>
public abstract class ReportTestBase : ModerationTestBase
{
    /// <summary>Sends a report as the client at <paramref name="ip"/> (the rate limit and the one-vote rule key on it).</summary>
    protected async Task<HttpContext> Report(Guid id, string ip, string json = """{"reason":"spam"}""", string? site = null)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return await Api.Server.SendAsync(context =>
        {
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = $"/api/v1/sites/{site ?? Site}/comments/{id}/reports";
            context.Request.ContentType = "application/json";
            context.Request.ContentLength = bytes.Length;
            context.Request.Body = new MemoryStream(bytes);
            context.Connection.RemoteIpAddress = IPAddress.Parse(ip);
        });
    }

}

/// <summary>POST /api/v1/sites/{site}/comments/{id}/reports: readers' reports, one vote per client, the threshold.</summary>
public sealed class ReportCommentTests : ReportTestBase
{
    private async Task<long> OpenReports(Guid id)
    {
        await using var command = Db.CreateCommand("SELECT count(*) FROM comment_reports WHERE comment_id = @id AND resolved_at IS NULL");
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task AcceptsAReportOnAPublishedComment()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        var context = await Report(id, "10.0.0.1");

        Assert.Equal(StatusCodes.Status202Accepted, context.Response.StatusCode);
        Assert.Equal(1, await OpenReports(id));
    }

    [Fact]
    public async Task BelowTheThresholdTheCommentStaysPublished()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        await Report(id, "10.0.0.1");
        await Report(id, "10.0.0.2");

        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, id));
        Assert.Empty(await ModerationTestData.ModeratedEventsAsync(Db, id));
    }

    [Fact]
    public async Task AtTheThresholdTheCommentLeavesTheThreadForTheReportedQueue()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        await Report(id, "10.0.0.1");
        await Report(id, "10.0.0.2");
        await Report(id, "10.0.0.3");

        Assert.Equal("reported", await ModerationTestData.StatusAsync(Db, id));
        Assert.Equal(["reported"], await ModerationTestData.ModeratedEventsAsync(Db, id));
        Assert.Equal(["pull_reported approved>reported reported by readers (3 reports)"], await ModerationTestData.AuditAsync(Db, Site));
    }

    [Fact]
    public async Task TheSitesOwnReportThresholdApplies()
    {
        await using (var command = Db.CreateCommand("UPDATE sites SET policy = policy || '{\"reportThreshold\":1}' WHERE id = @site"))
        {
            command.Parameters.AddWithValue("site", Site);
            await command.ExecuteNonQueryAsync();
        }

        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        await Report(id, "10.0.0.1");

        Assert.Equal("reported", await ModerationTestData.StatusAsync(Db, id));
    }

    [Fact]
    public async Task TheSameClientCountsOncePerComment()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        await Report(id, "10.0.0.1");
        var again = await Report(id, "10.0.0.1");
        await Report(id, "10.0.0.1");

        Assert.Equal(StatusCodes.Status202Accepted, again.Response.StatusCode);
        Assert.Equal(1, await OpenReports(id));
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, id));
    }

    [Fact]
    public async Task StoresNoClientAddress()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        await Report(id, "10.9.8.7");

        await using var command = Db.CreateCommand("SELECT reporter_key FROM comment_reports WHERE comment_id = @id");
        command.Parameters.AddWithValue("id", id);
        Assert.DoesNotContain("10.9.8.7", (string)(await command.ExecuteScalarAsync())!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("held")]
    [InlineData("pending")]
    [InlineData("rejected")]
    public async Task ACommentReadersCannotSeeIsNotFound(string status)
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, status);

        var context = await Report(id, "10.0.0.1");

        Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
        Assert.Equal(0, await OpenReports(id));
    }

    [Fact]
    public async Task AnUnknownReasonIsAValidationProblem()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");

        var context = await Report(id, "10.0.0.1", """{"reason":"boring"}""");

        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
        Assert.Equal(0, await OpenReports(id));
    }

    [Fact]
    public async Task ACommentOfAnotherSiteIsNotFound()
    {
        var otherSite = await global::Comments.Tests.Fixtures.TestSites.CreateAsync(Servers);
        var id = await ModerationTestData.CommentAsync(Db, otherSite, "approved");

        var context = await Report(id, "10.0.0.1");

        Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
    }
}

/// <summary>The per-client limit, with a small limit configured.</summary>
public sealed class ReportRateLimitTests : ReportTestBase
{
    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Reports:PermitLimit"] = "2",
        ["Reports:Window"] = "00:10:00",
    };

    [Fact]
    public async Task AClientOverTheLimitGets429WithRetryAfter()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await ModerationTestData.CommentAsync(Db, Site, "approved"));
        }

        await Report(ids[0], "10.1.0.1");
        await Report(ids[1], "10.1.0.1");
        var third = await Report(ids[2], "10.1.0.1");

        Assert.Equal(StatusCodes.Status429TooManyRequests, third.Response.StatusCode);
        Assert.False(string.IsNullOrEmpty(third.Response.Headers.RetryAfter));
    }

    [Fact]
    public async Task TheLimitIsPerClient()
    {
        var id = await ModerationTestData.CommentAsync(Db, Site, "approved");
        await Report(id, "10.2.0.1");
        await Report(id, "10.2.0.1");

        var other = await Report(id, "10.2.0.2");

        Assert.Equal(StatusCodes.Status202Accepted, other.Response.StatusCode);
    }
}
