using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Comments.Api.Tests.Moderation;

/// <summary>GET/PUT settings: the site's policy JSON, validated, plus the report threshold.</summary>
public sealed class SiteSettingsTests : ModerationTestBase
{
    private async Task<string> StoredPolicy()
    {
        await using var command = Db.CreateCommand("SELECT policy::text FROM sites WHERE id = @site");
        command.Parameters.AddWithValue("site", Site);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private Task<HttpResponseMessage> Put(string json) =>
        Client.PutAsync(Url("settings"), new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task ReadsTheStoredPolicyWithTheDefaultReportThreshold()
    {
        var settings = await (await Client.GetAsync(Url("settings"))).JsonAsync();

        Assert.Equal("auto", settings.GetProperty("mode").GetString());
        Assert.Equal(["idiot", "moron"], settings.GetProperty("bannedWords").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal(3, settings.GetProperty("reportThreshold").GetInt32());
    }

    [Fact]
    public async Task SavesValidSettingsIntoThePolicyTheWorkerReads()
    {
        var response = await Put("""
            {"mode":"premoderate","bannedWords":["troll"],"suspectWords":[],"maxLinks":1,"reportThreshold":5,
             "thresholds":{"toxicityHold":0.5,"toxicityReject":0.9}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = System.Text.Json.JsonDocument.Parse(await StoredPolicy()).RootElement;
        Assert.Equal("premoderate", stored.GetProperty("mode").GetString());
        Assert.Equal("troll", stored.GetProperty("bannedWords")[0].GetString());
        Assert.Equal(5, stored.GetProperty("reportThreshold").GetInt32());
        Assert.Equal(0.9, stored.GetProperty("thresholds").GetProperty("toxicityReject").GetDouble());
    }

    [Fact]
    public async Task SavesTheSubmissionRateLimits()
    {
        var response = await Put("""{"mode":"auto","rateLimit":{"perClientSeconds":10,"perAuthorSeconds":60}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var limit = System.Text.Json.JsonDocument.Parse(await StoredPolicy()).RootElement.GetProperty("rateLimit");
        Assert.Equal(10, limit.GetProperty("perClientSeconds").GetInt32());
        Assert.Equal(60, limit.GetProperty("perAuthorSeconds").GetInt32());
    }

    [Fact]
    public async Task RefusesANegativeRateLimit()
    {
        var response = await Put("""{"rateLimit":{"perClientSeconds":-1}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("rateLimit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepsPolicyFieldsItDoesNotManage()
    {
        await using (var command = Db.CreateCommand("UPDATE sites SET policy = policy || '{\"futureField\":42}' WHERE id = @site"))
        {
            command.Parameters.AddWithValue("site", Site);
            await command.ExecuteNonQueryAsync();
        }

        await Put("""{"mode":"auto"}""");

        Assert.Contains("\"futureField\": 42", await StoredPolicy(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFieldLeftOutFallsBackToTheDefault()
    {
        await Put("""{"mode":"auto"}""");

        var settings = await (await Client.GetAsync(Url("settings"))).JsonAsync();

        Assert.Equal(System.Text.Json.JsonValueKind.Null, settings.GetProperty("bannedWords").ValueKind);
        Assert.Equal(3, settings.GetProperty("reportThreshold").GetInt32());
    }

    [Theory]
    [InlineData("""{"mode":"sometimes"}""", "mode")]
    [InlineData("""{"reportThreshold":0}""", "reportThreshold")]
    [InlineData("""{"maxLinks":-1}""", "maxLinks")]
    [InlineData("""{"bannedWords":["ok",""]}""", "bannedWords")]
    [InlineData("""{"thresholds":{"toxicityReject":1.5}}""", "thresholds")]
    [InlineData("""{"thresholds":{"toxicityHold":0.9,"toxicityReject":0.5}}""", "thresholds")]
    [InlineData("""{"thresholds":{"toxicity":0.5}}""", "thresholds")]
    [InlineData("""{"thresholds":[0.5]}""", "thresholds")]
    public async Task RefusesInvalidSettingsWithFieldErrorsAndChangesNothing(string json, string field)
    {
        var before = await StoredPolicy();

        var response = await Put(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(before, await StoredPolicy());
    }

    [Fact]
    public async Task AChangeIsAuditedWithBeforeAndAfter()
    {
        await Client.PutAsJsonAsync(Url("settings"), new { mode = "postmoderate" });

        var entry = (await (await Client.GetAsync(Url("audit"))).JsonAsync()).GetProperty("items")[0];

        Assert.Equal("settings", entry.GetProperty("action").GetString());
        Assert.Equal("auto", entry.GetProperty("details").GetProperty("before").GetProperty("mode").GetString());
        Assert.Equal("postmoderate", entry.GetProperty("details").GetProperty("after").GetProperty("mode").GetString());
    }
}
