using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Api.Moderation;
using Comments.Reader;
using Comments.Tests.Fixtures;
using Microsoft.Playwright;
using Npgsql;

namespace Comments.EndToEnd.Tests;

/// <summary>
/// The moderator console in real Chromium against the Api on a real port, with the Reader running. The held comment is a row
/// as the worker leaves it, so the test does not depend on the worker's models.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ModeratorConsoleTests : IAsyncLifetime
{
    private static readonly float Timeout = 10_000;

    private KestrelService<ApiEntryPoint> _api = null!;
    private KestrelService<ReaderEntryPoint> _reader = null!;
    private Uri _readerUrl = null!;
    private HttpClient _readerClient = null!;
    private NpgsqlDataSource _db = null!;
    private BrowserSession _browser = null!;
    private Uri _apiUrl = null!;
    private string _site = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new KestrelService<ApiEntryPoint>(servers);
        _apiUrl = _api.Start();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
        _reader = new KestrelService<ReaderEntryPoint>(servers, new Dictionary<string, string?>
        {
            ["Widget:ApiBaseUrl"] = _apiUrl.ToString(),
            ["Widget:DemoSiteId"] = _site,
        });
        _readerUrl = _reader.Start();
        _readerClient = new HttpClient { BaseAddress = _readerUrl };
        await using (var origins = _db.CreateCommand("UPDATE sites SET allowed_origins = @origins WHERE id = @site"))
        {
            origins.Parameters.AddWithValue("origins", new[] { _readerUrl.GetLeftPart(UriPartial.Authority) });
            origins.Parameters.AddWithValue("site", _site);
            await origins.ExecuteNonQueryAsync();
        }

        _token = (await ModeratorTokens.CreateAsync(_db, "Console tester", [_site], DateTimeOffset.UtcNow, CancellationToken.None))!.Token;
        _browser = await BrowserSession.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _readerClient.Dispose();
        await _reader.DisposeAsync();
        await _api.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<Guid> HeldComment(
        string body, string scores = """{"rules.suspect":0.5}""", string reasons = """["suspect word: crypto"]""", string status = "held",
        string? authorUserId = null)
    {
        var id = Guid.CreateVersion7();
        await using var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id, title, paragraphs) VALUES (@site, 'story', 'A story', '{"The story."}') ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, author_user_id, body, status, scores, reasons, model_version, created_at, decided_at)
            VALUES (@id, @site, 'story', 'Reader', @user, @body, @status, @scores::jsonb, @reasons::jsonb, 'rules-1', now(), now());
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("user", (object?)authorUserId ?? DBNull.Value);
        command.Parameters.AddWithValue("body", body);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("scores", scores);
        command.Parameters.AddWithValue("reasons", reasons);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private async Task<IPage> SignIn()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(new Uri(_apiUrl, $"/moderation/?site={_site}").ToString());
        await page.GetByLabel("Moderator token").FillAsync(_token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the queue" }).ClickAsync();
        return page;
    }

    private async Task<bool> InReaderThread(Guid id)
    {
        var thread = await _readerClient.GetFromJsonAsync<JsonElement>($"/api/v1/sites/{_site}/articles/story/comments");
        return thread.GetProperty("comments").EnumerateArray().Any(c => c.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public async Task AHeldCommentAppearsInTheQueueWithItsReasonAndCount()
    {
        var id = await HeldComment("Buy crypto now");

        var page = await SignIn();

        var card = page.Locator($".card[data-id='{id}']");
        await Assertions.Expect(card).ToContainTextAsync("Buy crypto now", new() { Timeout = Timeout });
        await Assertions.Expect(card).ToContainTextAsync("suspect word: crypto");
        await Assertions.Expect(page.Locator("[data-count=held]")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByLabel("Keyboard shortcuts")).ToContainTextAsync("approve");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ArtifactPath("moderator-console.png"), FullPage = true });
    }

    [Fact]
    public async Task ApprovingWithTheKeyboardPublishesTheCommentInTheReadersThread()
    {
        var id = await HeldComment("Buy crypto now, honestly a fair question");
        Assert.False(await InReaderThread(id));
        var page = await SignIn();
        var card = page.Locator($".card[data-id='{id}']");
        await Assertions.Expect(card).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("current"), new() { Timeout = Timeout });

        await page.Keyboard.PressAsync("a");

        await Assertions.Expect(card).ToHaveAttributeAsync("data-status", "approved", new() { Timeout = Timeout });
        await Eventually.Within(TimeSpan.FromSeconds(15), async () => await InReaderThread(id) ? "" : null,
            "approved comment visible in the reader's thread");
    }

    [Fact]
    public async Task ApprovingWithTheKeyboardShowsTheCommentOnTheDemoPage()
    {
        await HeldComment("Buy crypto now, a question for the demo page");
        var console = await SignIn();
        await Assertions.Expect(console.Locator(".card.current")).ToHaveCountAsync(1, new() { Timeout = Timeout });

        await console.Keyboard.PressAsync("a");
        await Assertions.Expect(console.Locator(".card.current")).ToHaveAttributeAsync("data-status", "approved", new() { Timeout = Timeout });

        var demo = await _browser.NewPageAsync();
        await demo.GotoAsync(new Uri(_readerUrl, "/demo/story").ToString());
        await Assertions.Expect(demo.Locator("li.c", new() { HasText = "a question for the demo page" })).ToHaveCountAsync(1, new() { Timeout = Timeout });
    }

    [Fact]
    public async Task ACommentScoredAboveTheRejectThresholdStaysBlurredUntilClicked()
    {
        await using (var command = _db.CreateCommand(
            """UPDATE sites SET policy = jsonb_set(policy, '{thresholds}', '{"toxicityHold":0.5,"toxicityReject":0.9}') WHERE id = @site"""))
        {
            command.Parameters.AddWithValue("site", _site);
            await command.ExecuteNonQueryAsync();
        }

        var id = await HeldComment("Something very nasty", """{"ml.toxicity":0.97}""");
        var page = await SignIn();
        var body = page.Locator($".card[data-id='{id}'] [data-role=body]");
        await Assertions.Expect(body).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("blurred"), new() { Timeout = Timeout });

        await body.ClickAsync();

        await Assertions.Expect(body).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("blurred"));
    }

    [Fact]
    public async Task ACommentTheWorkerFoundAtItsRejectThresholdIsBlurredThoughTheSiteStoresNoThresholds()
    {
        var id = await HeldComment("Quoting something vile to condemn it",
            """{"ml.toxicity":0.61}""", """["toxicity 0.61 ≥ reject threshold 0.54 only with the quoted words (0.02 without them)"]""");
        var page = await SignIn();

        await Assertions.Expect(page.Locator($".card[data-id='{id}'] [data-role=body]"))
            .ToHaveClassAsync(new System.Text.RegularExpressions.Regex("blurred"), new() { Timeout = Timeout });
    }

    [Fact]
    public async Task AnApprovedCardOffersOnlyRejectAndItsApproveKeyDoesNothing()
    {
        var id = await HeldComment("Already published", status: "approved");
        var page = await SignIn();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Approved" }).ClickAsync();
        var card = page.Locator($".card[data-id='{id}']");
        await Assertions.Expect(card).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("current"), new() { Timeout = Timeout });

        await Assertions.Expect(card.GetByRole(AriaRole.Button, new() { Name = "Approve (a)" })).ToBeHiddenAsync();
        await Assertions.Expect(card.GetByRole(AriaRole.Button, new() { Name = "Reject (r)" })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("a");
        await Task.Delay(500); // what a request would take to answer here
        await Assertions.Expect(page.Locator("#toast")).ToBeHiddenAsync();
        await Assertions.Expect(card).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("done"));
    }

    [Fact]
    public async Task AProxysErrorPageIsShownToTheModeratorAndTheCardStaysActionable()
    {
        var id = await HeldComment("Decided while the proxy is down");
        var page = await SignIn();
        var card = page.Locator($".card[data-id='{id}']");
        await Assertions.Expect(card).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("current"), new() { Timeout = Timeout });
        await page.RouteAsync("**/moderation/comments/**", route => route.FulfillAsync(new()
        {
            Status = 502, ContentType = "text/html", Body = "<html><body>Bad gateway</body></html>",
        }));

        await page.Keyboard.PressAsync("a");

        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("Unexpected answer from the server (HTTP 502)", new() { Timeout = Timeout });
        await page.UnrouteAllAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(card).ToHaveAttributeAsync("data-status", "approved", new() { Timeout = Timeout });
    }

    [Fact]
    public async Task AnAuthorIsBannedOnlyOnceTheModeratorConfirms()
    {
        var id = await HeldComment("From a repeat offender", authorUserId: "offender-1"); // author key user:offender-1
        var page = await SignIn();
        var ban = page.Locator($".card[data-id='{id}']").GetByRole(AriaRole.Button, new() { Name = "Ban author" });
        await Assertions.Expect(ban).ToBeVisibleAsync(new() { Timeout = Timeout });
        async Task<long> Bans()
        {
            await using var command = _db.CreateCommand("SELECT count(*) FROM bans WHERE site_id = @site");
            command.Parameters.AddWithValue("site", _site);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        void Dismiss(object? sender, IDialog dialog) => _ = dialog.DismissAsync();
        page.Dialog += Dismiss;
        await ban.ClickAsync();
        await Task.Delay(500); // what a request would take to answer here
        Assert.Equal(0, await Bans());

        page.Dialog -= Dismiss;
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await ban.ClickAsync();
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("Banned Reader", new() { Timeout = Timeout });
        Assert.Equal(1, await Bans());
    }

    [Fact]
    public async Task TheBulkBarAppearsOnlyWithASelection()
    {
        var id = await HeldComment("First of two");
        await HeldComment("Second of two");
        var page = await SignIn();
        await Assertions.Expect(page.Locator($".card[data-id='{id}']")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(page.Locator("#bulk-bar")).ToBeHiddenAsync();

        await page.Locator($".card[data-id='{id}'] input[type=checkbox]").CheckAsync();

        await Assertions.Expect(page.Locator("#bulk-bar")).ToContainTextAsync("1 selected");
    }
}
