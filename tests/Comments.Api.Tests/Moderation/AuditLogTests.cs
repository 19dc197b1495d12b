using System.Net;
using System.Net.Http.Json;

namespace Comments.Api.Tests.Moderation;

/// <summary>GET audit: newest first, paged by cursor, one site's actions only.</summary>
public sealed class AuditLogTests : ModerationTestBase
{
    [Fact]
    public async Task ListsActionsNewestFirstAcrossPages()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var id = await ModerationTestData.CommentAsync(Db, Site, "held");
            await Client.PostAsync(Url($"comments/{id}/approve"), null);
            ids.Add(id);
        }

        var first = await (await Client.GetAsync(Url("audit?limit=2"))).JsonAsync();
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await (await Client.GetAsync(Url($"audit?limit=2&cursor={cursor}"))).JsonAsync();

        var seen = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray())
            .Select(e => e.GetProperty("commentId").GetGuid());
        Assert.Equal([ids[2], ids[1], ids[0]], seen);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task ShowsNothingOfAnotherSite()
    {
        var otherSite = await global::Comments.Tests.Fixtures.TestSites.CreateAsync(Servers);
        var otherToken = await ModerationTestData.TokenAsync(Db, otherSite);
        var id = await ModerationTestData.CommentAsync(Db, otherSite, "held");
        using var other = Api.CreateClient().WithToken(otherToken);
        await other.PostAsJsonAsync($"/api/v1/sites/{otherSite}/moderation/comments/{id}/reject", new { reason = "spam" });

        var audit = await (await Client.GetAsync(Url("audit"))).JsonAsync();

        Assert.Equal(0, audit.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task RefusesAMalformedCursor()
    {
        var response = await Client.GetAsync(Url("audit?cursor=abc"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
