using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Comments.Api.Tests.Moderation;

/// <summary>POST bans, GET bans, POST bans/{id}/lift.</summary>
public sealed class BansTests : ModerationTestBase
{
    private async Task<JsonElement> Ban(object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await Client.PostAsJsonAsync(Url("bans"), body);
        Assert.Equal(expected, response.StatusCode);
        return await response.JsonAsync();
    }

    [Fact]
    public async Task ATimedBanExpiresAfterItsDuration()
    {
        var before = DateTimeOffset.UtcNow;

        var ban = await Ban(new { authorKey = "author-1", durationHours = 24, reason = "repeated insults" });

        var expires = ban.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires, before.AddHours(24), DateTimeOffset.UtcNow.AddHours(24));
        Assert.True(ban.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task APermanentBanHasNoExpiry()
    {
        var ban = await Ban(new { authorKey = "author-1" });

        Assert.Equal(JsonValueKind.Null, ban.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task BanningAnAlreadyBannedAuthorIsAConflict()
    {
        await Ban(new { authorKey = "author-1" });

        await Ban(new { authorKey = "author-1", durationHours = 1 }, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ABanCanRejectTheAuthorsPendingAndHeldCommentsButLeavesPublishedOnes()
    {
        var pending = await ModerationTestData.CommentAsync(Db, Site, "pending", authorKey: "author-1");
        var held = await ModerationTestData.CommentAsync(Db, Site, "held", authorKey: "author-1");
        var approved = await ModerationTestData.CommentAsync(Db, Site, "approved", authorKey: "author-1");
        var someoneElse = await ModerationTestData.CommentAsync(Db, Site, "held", authorKey: "author-2");

        var ban = await Ban(new { authorKey = "author-1", rejectPending = true });

        Assert.Equal(2, ban.GetProperty("rejectedCommentIds").GetArrayLength());
        Assert.Equal("rejected", await ModerationTestData.StatusAsync(Db, pending));
        Assert.Equal("rejected", await ModerationTestData.StatusAsync(Db, held));
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, approved));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, someoneElse));
        Assert.Equal(["rejected"], await ModerationTestData.ModeratedEventsAsync(Db, held));
    }

    [Fact]
    public async Task ABanIsAudited()
    {
        await Ban(new { authorKey = "author-1", rejectPending = false });

        Assert.Equal(["ban ->- -"], await ModerationTestData.AuditAsync(Db, Site));
    }

    [Fact]
    public async Task TheListShowsBansInForceOnly()
    {
        var kept = (await Ban(new { authorKey = "author-1" })).GetProperty("id").GetGuid();
        var lifted = (await Ban(new { authorKey = "author-2" })).GetProperty("id").GetGuid();
        await Client.PostAsync(Url($"bans/{lifted}/lift"), null);

        var list = await (await Client.GetAsync(Url("bans"))).JsonAsync();

        Assert.Equal([kept], list.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task LiftingABanEndsItAndIsAudited()
    {
        var id = (await Ban(new { authorKey = "author-1" })).GetProperty("id").GetGuid();

        var response = await Client.PostAsync(Url($"bans/{id}/lift"), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await response.JsonAsync()).GetProperty("active").GetBoolean());
        Assert.Equal("lift_ban ->- -", (await ModerationTestData.AuditAsync(Db, Site))[^1]);
    }

    [Fact]
    public async Task LiftingALiftedBanIsAConflict()
    {
        var id = (await Ban(new { authorKey = "author-1" })).GetProperty("id").GetGuid();
        await Client.PostAsync(Url($"bans/{id}/lift"), null);

        var response = await Client.PostAsync(Url($"bans/{id}/lift"), null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task LiftingAnUnknownBanIsNotFound()
    {
        var response = await Client.PostAsync(Url($"bans/{Guid.CreateVersion7()}/lift"), null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AnAuthorCanBeBannedAgainAfterALift()
    {
        var id = (await Ban(new { authorKey = "author-1" })).GetProperty("id").GetGuid();
        await Client.PostAsync(Url($"bans/{id}/lift"), null);

        await Ban(new { authorKey = "author-1" });
    }

    [Fact]
    public async Task ABanByUserIdBansTheNamespacedUserKeyAndSaysWhichKind()
    {
        var ban = await Ban(new { userId = "u-42", durationHours = 24 });

        Assert.Equal("user:u-42", ban.GetProperty("authorKey").GetString());
        Assert.Equal("user", ban.GetProperty("authorKind").GetString());
        Assert.Equal("u-42", ban.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task TheListShowsTheKindOfEachBan()
    {
        await Ban(new { userId = "u-42" });
        await Ban(new { authorKey = new string('a', 64) });

        var list = await (await Client.GetAsync(Url("bans"))).JsonAsync();

        Assert.Equal(["email", "user"], list.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("authorKind").GetString()).Order());
    }

    [Fact]
    public async Task ABanByUserIdAndByItsAuthorKeyAreTheSameBan()
    {
        await Ban(new { authorKey = "user:u-42" });

        await Ban(new { userId = "u-42" }, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ABanByUserIdRejectsThatUsersPendingAndHeldCommentsOnly()
    {
        var pending = await ModerationTestData.CommentAsync(Db, Site, "pending", userId: "u-42");
        var held = await ModerationTestData.CommentAsync(Db, Site, "held", userId: "u-42", authorKey: new string('e', 64));
        var approved = await ModerationTestData.CommentAsync(Db, Site, "approved", userId: "u-42");
        var otherUser = await ModerationTestData.CommentAsync(Db, Site, "held", userId: "u-43");
        var sameIdAsEmailKey = await ModerationTestData.CommentAsync(Db, Site, "held", authorKey: "u-42");

        var ban = await Ban(new { userId = "u-42", rejectPending = true });

        Assert.Equal(2, ban.GetProperty("rejectedCommentIds").GetArrayLength());
        Assert.Equal("rejected", await ModerationTestData.StatusAsync(Db, pending));
        Assert.Equal("rejected", await ModerationTestData.StatusAsync(Db, held));
        Assert.Equal("approved", await ModerationTestData.StatusAsync(Db, approved));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, otherUser));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, sameIdAsEmailKey));
    }

    [Fact]
    public async Task ABanOnAnEmailHashRejectsOnlyAnonymousCommentsWithThatEmailNotOnesTheSiteVouchedFor()
    {
        var anonymous = await ModerationTestData.CommentAsync(Db, Site, "held", authorKey: new string('e', 64));
        var signedIn = await ModerationTestData.CommentAsync(Db, Site, "held", userId: "u-42", authorKey: new string('e', 64));

        var ban = await Ban(new { authorKey = new string('e', 64), rejectPending = true });

        Assert.Equal([anonymous], ban.GetProperty("rejectedCommentIds").EnumerateArray().Select(e => e.GetGuid()));
        Assert.Equal("rejected", await ModerationTestData.StatusAsync(Db, anonymous));
        Assert.Equal("held", await ModerationTestData.StatusAsync(Db, signedIn));
    }

    [Fact]
    public async Task LiftingAUserBanEndsIt()
    {
        var id = (await Ban(new { userId = "u-42" })).GetProperty("id").GetGuid();

        var response = await Client.PostAsync(Url($"bans/{id}/lift"), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lifted = await response.JsonAsync();
        Assert.False(lifted.GetProperty("active").GetBoolean());
        Assert.Equal("user", lifted.GetProperty("authorKind").GetString());
        Assert.Empty((await (await Client.GetAsync(Url("bans"))).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"durationHours":5}""", "authorKey")]
    [InlineData("""{"userId":""}""", "userId")]
    [InlineData("""{"userId":"a\u0001b"}""", "userId")]
    [InlineData("""{"authorKey":"k","userId":"u-1"}""", "userId")]
    [InlineData("""{"authorKey":"user:"}""", "authorKey")]
    [InlineData("""{"authorKey":"a","durationHours":0}""", "durationHours")]
    public async Task RefusesAnInvalidBanWithAValidationProblem(string json, string field)
    {
        var response = await Client.PostAsync(Url("bans"), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }
}
