using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Comments.Api;
using Comments.Api.Authors;
using Comments.Contracts;
using Comments.Moderation;
using Comments.Reader;
using Comments.ServiceDefaults.Outbox;
using Comments.Tests.Fixtures;
using Microsoft.Playwright;
using Npgsql;

namespace Comments.EndToEnd.Tests;

/// <summary>
/// The embeddable widget in real Chromium against the real services: the Api, two Reader instances (live updates fan
/// out through Redis between them) and the moderation worker, each on its own loopback port.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class WidgetBrowserTests : IAsyncLifetime
{
    private const string Article = "story";
    private static readonly float Timeout = 10_000;
    private static readonly string[] Paragraphs = ["First paragraph of the story.", "Second paragraph."];

    private ServerAddresses _servers = null!;
    private KestrelService<ApiEntryPoint> _api = null!;
    private KestrelService<ReaderEntryPoint> _readerA = null!;
    private KestrelService<ReaderEntryPoint> _readerB = null!;
    private ServiceFactory<ModerationEntryPoint>? _worker;
    private BrowserSession _browser = null!;
    private Uri _readerUrlA = null!;
    private Uri _readerUrlB = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        _servers = await Servers.GetAsync();
        _api = new KestrelService<ApiEntryPoint>(_servers);
        var apiUrl = _api.Start();
        _site = await TestSites.CreateAsync(_servers);
        var readerSettings = new Dictionary<string, string?>
        {
            ["Widget:ApiBaseUrl"] = apiUrl.ToString(),
            ["Widget:DemoSiteId"] = _site,
        };
        _readerA = new KestrelService<ReaderEntryPoint>(_servers, readerSettings);
        _readerB = new KestrelService<ReaderEntryPoint>(_servers, readerSettings);
        _readerUrlA = _readerA.Start();
        _readerUrlB = _readerB.Start();
        await SeedArticleAsync([_readerUrlA, _readerUrlB]);
        _browser = await BrowserSession.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        await _readerA.DisposeAsync();
        await _readerB.DisposeAsync();
        await _api.DisposeAsync();
    }

    private async Task StartWorker()
    {
        if (_worker is not null)
        {
            return;
        }
        _worker = await new ServiceFactory<ModerationEntryPoint>(_servers).StartedAndConsumingAsync();
    }

    private async Task SeedArticleAsync(Uri[] origins)
    {
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        await using var command = db.CreateCommand(
            """
            UPDATE sites SET allowed_origins = @origins WHERE id = @site;
            INSERT INTO articles (site_id, id, title, paragraphs) VALUES (@site, @article, 'A test headline', @paragraphs);
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
            VALUES (@c1, @site, @article, 'Seeded Sam', 'Seeded first comment', 'approved', now() - interval '2 hours');
            """);
        command.Parameters.AddWithValue("origins", origins.Select(u => u.GetLeftPart(UriPartial.Authority)).ToArray());
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("article", Article);
        command.Parameters.AddWithValue("paragraphs", Paragraphs);
        command.Parameters.AddWithValue("c1", Guid.CreateVersion7());
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A chain of five approved replies ("Reply at depth 2" … "6") under the top-level comment of <paramref name="author"/>.</summary>
    private async Task ReplyChainUnderAsync(string author)
    {
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        await using var command = db.CreateCommand(
            """
            WITH RECURSIVE chain(n, id, parent) AS (
                SELECT 1, gen_random_uuid(), (SELECT id FROM comments WHERE site_id = @site AND author_name = @author)
                UNION ALL SELECT n + 1, gen_random_uuid(), id FROM chain WHERE n < 5)
            INSERT INTO comments (id, site_id, article_id, parent_id, root_id, author_name, body, status, created_at)
            SELECT id, @site, @article, parent, (SELECT id FROM comments WHERE site_id = @site AND author_name = @author),
                   'Depth ' || n, 'Reply at depth ' || (n + 1), 'approved', now() - interval '30 minutes' + make_interval(secs => n)
            FROM chain;
            """);
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("article", Article);
        command.Parameters.AddWithValue("author", author);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<IPage> OpenDemo(Uri reader)
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(new Uri(reader, $"/demo/{Article}").ToString());
        await Assertions.Expect(page.Locator("#comments[data-live=connected]")).ToHaveCountAsync(1, new() { Timeout = Timeout });
        return page;
    }

    private static ILocator Comment(IPage page, string text) => page.Locator("li.c", new() { HasText = text });

    private static Task Post(IPage page, string name, string body) =>
        Post(page.GetByRole(AriaRole.Form, new() { Name = "Join the discussion" }), name, body);

    private static async Task Post(ILocator form, string name, string body)
    {
        await form.GetByLabel("Name").FillAsync(name);
        await form.GetByLabel("Comment", new() { Exact = true }).FillAsync(body);
        await form.GetByRole(AriaRole.Button, new() { Name = "Post comment" }).ClickAsync();
    }

    [Fact]
    public async Task ShowsTheSeededThreadOnTheDemoPageAndSavesAScreenshot()
    {
        var page = await OpenDemo(_readerUrlA);

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("A test headline");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "1 Comment" })).ToBeVisibleAsync();
        await Assertions.Expect(Comment(page, "Seeded first comment")).ToContainTextAsync("Seeded Sam");
        await Assertions.Expect(Comment(page, "Seeded first comment").Locator("time")).ToHaveAttributeAsync("datetime", MyRegex());

        await page.ScreenshotAsync(new() { Path = BrowserSession.ArtifactPath("demo-page.png"), FullPage = true });
    }

    [Fact]
    public async Task LiveUpdatesResumeAfterAProxyAnswersServiceUnavailable()
    {
        var page = await _browser.NewPageAsync();
        var requests = new List<string>();
        await page.RouteAsync("**/events**", async route =>
        {
            requests.Add(route.Request.Url);
            switch (requests.Count)
            {
                case 1:
                    // One event, then the stream ends: the browser reconnects by itself, with the Last-Event-ID header.
                    await route.FulfillAsync(new()
                    {
                        Status = 200,
                        ContentType = "text/event-stream",
                        Body = "retry: 100\nid: 1-0\nevent: status\ndata: {\"commentId\":\"00000000-0000-0000-0000-000000000000\",\"status\":\"approved\"}\n\n",
                    });
                    break;
                case 2:
                    // A proxy's answer while the Reader restarts: the browser closes the EventSource for good.
                    await route.FulfillAsync(new() { Status = 503, Body = "Service Unavailable" });
                    break;
                default:
                    await route.ContinueAsync();
                    break;
            }
        });

        await page.GotoAsync(new Uri(_readerUrlA, $"/demo/{Article}").ToString());

        await Assertions.Expect(page.Locator("#comments[data-live=connected]")).ToHaveCountAsync(1, new() { Timeout = Timeout });
        Assert.True(requests.Count >= 3, $"requests: {string.Join(", ", requests)}");
        Assert.EndsWith("/events?lastEventId=1-0", requests[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACleanCommentAwaitsModerationThenAppearsForItsAuthorAndLiveInAnotherPage()
    {
        var author = await OpenDemo(_readerUrlA);
        var other = await OpenDemo(_readerUrlB);

        await Post(author, "Ada", "A clean and kind remark.");
        await Assertions.Expect(Comment(author, "A clean and kind remark.")).ToContainTextAsync("Awaiting moderation", new() { Timeout = Timeout });
        await Assertions.Expect(Comment(other, "A clean and kind remark.")).ToHaveCountAsync(0);

        await StartWorker();

        await Assertions.Expect(Comment(author, "A clean and kind remark.")).Not.ToContainTextAsync("Awaiting moderation", new() { Timeout = Timeout });
        await Assertions.Expect(Comment(other, "A clean and kind remark.")).ToContainTextAsync("Ada", new() { Timeout = Timeout });
        await Assertions.Expect(other.GetByRole(AriaRole.Heading, new() { Name = "2 Comments" })).ToBeVisibleAsync();
        await Assertions.Expect(other.Locator("[aria-live=polite]")).ToHaveTextAsync("New comment from Ada");
    }

    [Fact]
    public async Task ABannedWordCommentNeverAppearsInAnotherPage()
    {
        await StartWorker();
        var author = await OpenDemo(_readerUrlA);
        var other = await OpenDemo(_readerUrlB);

        await Post(author, "Troll", "You are an idiot.");
        await Assertions.Expect(author.GetByText("Your comment was not published")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Post(author, "Ada", "A later, clean comment.");
        await Assertions.Expect(Comment(other, "A later, clean comment.")).ToHaveCountAsync(1, new() { Timeout = Timeout });

        await Assertions.Expect(Comment(other, "You are an idiot.")).ToHaveCountAsync(0);
        await Assertions.Expect(Comment(author, "You are an idiot.")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task AReplyNestsUnderItsParent()
    {
        await StartWorker();
        var page = await OpenDemo(_readerUrlA);

        await Comment(page, "Seeded first comment").GetByRole(AriaRole.Button, new() { Name = "Reply to Seeded Sam" }).ClickAsync();
        await Post(page.GetByRole(AriaRole.Form, new() { Name = "Reply to Seeded Sam" }), "Rey", "Replying to Sam.");

        var parent = Comment(page, "Seeded first comment");
        await Assertions.Expect(parent.Locator("ol li.c", new() { HasText = "Replying to Sam." })).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await Assertions.Expect(parent.Locator("ol li.c", new() { HasText = "Replying to Sam." })).Not.ToContainTextAsync("Awaiting moderation", new() { Timeout = Timeout });
        await page.ReloadAsync();
        await Assertions.Expect(Comment(page, "Seeded first comment").Locator("ol li.c", new() { HasText = "Replying to Sam." })).ToHaveCountAsync(1, new() { Timeout = Timeout });
    }

    [Fact]
    public async Task ACommentCanBePostedWithTheKeyboardAlone()
    {
        var page = await OpenDemo(_readerUrlA);
        var name = page.Locator("form").Last.GetByLabel("Name");

        for (var i = 0; i < 10 && !await name.EvaluateAsync<bool>("e => e.getRootNode().activeElement === e"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await page.Keyboard.TypeAsync("Kim");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("Typed without a mouse.");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(Comment(page, "Typed without a mouse.")).ToContainTextAsync("Awaiting moderation", new() { Timeout = Timeout });
    }

    [Fact]
    public async Task HostileMarkupInACommentRendersAsTextAndRunsNothing()
    {
        await StartWorker();
        var page = await OpenDemo(_readerUrlA);
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        const string Hostile = "<img src=x onerror=\"window.__xss=1;alert(1)\"><script>window.__xss=2</script>";

        await Post(page, "Mallory", Hostile);
        var comment = Comment(page, "<img src=x");
        await Assertions.Expect(comment).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await Assertions.Expect(comment).Not.ToContainTextAsync("Awaiting moderation", new() { Timeout = Timeout });
        await page.ReloadAsync();

        await Assertions.Expect(comment).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await Assertions.Expect(comment.Locator(".body")).ToHaveTextAsync(Hostile);
        Assert.Equal(0, await comment.Locator(".body img, .body script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task ShowsTheServersFieldErrorNextToTheField()
    {
        var page = await OpenDemo(_readerUrlA);
        var form = page.Locator("form").Last;

        await form.GetByLabel("Name").FillAsync("Ann");
        await form.GetByLabel("Email (optional, never shown)").FillAsync("ann@localhost.x");
        await form.GetByLabel("Comment", new() { Exact = true }).FillAsync("Hello");
        await page.RouteAsync("**/comments", async route =>
        {
            if (route.Request.Method == "POST")
            {
                await route.FulfillAsync(new()
                {
                    Status = 400,
                    ContentType = "application/problem+json",
                    Headers = new Dictionary<string, string> { ["Access-Control-Allow-Origin"] = "*" },
                    Body = """{"title":"The comment was not accepted.","status":400,"errors":{"authorEmail":["The email address is not valid."]}}""",
                });
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await form.GetByRole(AriaRole.Button, new() { Name = "Post comment" }).ClickAsync();

        var email = form.GetByLabel("Email (optional, never shown)");
        await Assertions.Expect(email).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(form.GetByText("The email address is not valid.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AReaderCanReportACommentWithAReason()
    {
        var page = await OpenDemo(_readerUrlA);
        var comment = Comment(page, "Seeded first comment");

        await comment.GetByRole(AriaRole.Button, new() { Name = "Report the comment by Seeded Sam" }).ClickAsync();
        await comment.GetByLabel("Why should moderators look at this?").SelectOptionAsync("off_topic");
        await comment.GetByRole(AriaRole.Button, new() { Name = "Send report" }).ClickAsync();

        await Assertions.Expect(comment.GetByText("Thank you. Our moderators will take a look.")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        await using var command = db.CreateCommand("SELECT reason FROM comment_reports WHERE site_id = @site");
        command.Parameters.AddWithValue("site", _site);
        Assert.Equal("off_topic", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ACommentAModeratorRejectsLeavesOpenPagesWithTheRepliesUnderIt()
    {
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        await ReplyChainUnderAsync("Seeded Sam");
        Guid seeded;
        await using (var command = db.CreateCommand(
            """
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
            VALUES (gen_random_uuid(), @site, @article, 'Olga', 'An unrelated comment', 'approved', now() - interval '1 hour');
            SELECT id FROM comments WHERE site_id = @site AND author_name = 'Seeded Sam';
            """))
        {
            command.Parameters.AddWithValue("site", _site);
            command.Parameters.AddWithValue("article", Article);
            seeded = (Guid)(await command.ExecuteScalarAsync())!;
        }

        var page = await OpenDemo(_readerUrlB);
        await Assertions.Expect(page.GetByText("Reply at depth 6")).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "7 Comments" })).ToBeVisibleAsync();

        // What the Api's reject does: the status and its CommentsModerated in one transaction.
        await using (var connection = await db.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var reject = new NpgsqlCommand("UPDATE comments SET status = 'rejected' WHERE id = @id", connection, transaction);
            reject.Parameters.AddWithValue("id", seeded);
            await reject.ExecuteNonQueryAsync();
            await OutboxWriter.EnqueueAsync(connection, transaction,
                new CommentsModerated([new CommentModerated(seeded, _site, Article, "rejected", ["rejected by moderator: abuse"], DateTimeOffset.UtcNow)]),
                DateTimeOffset.UtcNow, CancellationToken.None);
            await transaction.CommitAsync();
        }

        await Assertions.Expect(Comment(page, "Seeded first comment")).ToHaveCountAsync(0, new() { Timeout = Timeout });
        await Assertions.Expect(page.GetByText("Reply at depth")).ToHaveCountAsync(0);
        await Assertions.Expect(Comment(page, "An unrelated comment")).ToHaveCountAsync(1);
        // The count a reload shows (the server still counts the hidden replies), so the heading does not jump on reload.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "6 Comments" })).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "6 Comments" })).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(page.GetByText("Reply at depth")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task PagesSortsAndFlattensRepliesBeyondThreeLevels()
    {
        await using (var db = NpgsqlDataSource.Create(_servers.Postgres))
        {
            // 54 more top-level comments (55 with the seeded one) and a reply chain five deep under the newest.
            await using var command = db.CreateCommand(
                """
                INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at)
                SELECT gen_random_uuid(), @site, @article, 'Bulk ' || n, 'Bulk comment ' || n, 'approved', now() - interval '1 hour' + make_interval(secs => n)
                FROM generate_series(1, 54) AS n;
                """);
            command.Parameters.AddWithValue("site", _site);
            command.Parameters.AddWithValue("article", Article);
            await command.ExecuteNonQueryAsync();
        }

        await ReplyChainUnderAsync("Bulk 54");

        var page = await OpenDemo(_readerUrlA);
        var topLevel = page.Locator("section > ol > li.c");

        await Assertions.Expect(topLevel).ToHaveCountAsync(50);
        await page.GetByRole(AriaRole.Button, new() { Name = "Load more comments" }).ClickAsync();
        await Assertions.Expect(topLevel).ToHaveCountAsync(55);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load more comments" })).ToBeHiddenAsync();

        var deepest = page.Locator("li.c:has(> article:has-text('Reply at depth 6'))");
        await Assertions.Expect(deepest).ToContainTextAsync("in reply to Depth 4");
        Assert.Equal(3, await deepest.EvaluateAsync<int>("e => { let d = 0; for (let n = e; n; n = n.parentElement) if (n.tagName === 'LI') d++; return d; }"));

        await page.GetByLabel("Sort").SelectOptionAsync("newest");
        await Assertions.Expect(topLevel.First).ToContainTextAsync("Bulk 54");
    }

    [Fact]
    public async Task RendersInGermanWhenThePageIsGerman()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(new Uri(_readerUrlA, $"/demo/{Article}?lang=de").ToString());

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "1 Kommentar" })).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Kommentar senden" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ASignedInReaderPostsUnderTheirSiteAccountWithoutTypingAName()
    {
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        var secret = (await SsoTokens.SetSecretAsync(db, _site, DateTimeOffset.UtcNow, CancellationToken.None))!;
        var token = SignUserToken(secret, new { sub = "reader-7", name = "Bo Reader", exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds() });
        var page = await OpenDemo(_readerUrlA);
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Join the discussion" });

        await page.EvaluateAsync("token => window.CommentsWidget.setUser(token)", token);
        await Assertions.Expect(form).ToContainTextAsync("Commenting as Bo Reader");
        await Assertions.Expect(form.GetByLabel("Name")).ToBeHiddenAsync();
        await form.GetByLabel("Comment", new() { Exact = true }).FillAsync("Signed in and clean.");
        await form.GetByRole(AriaRole.Button, new() { Name = "Post comment" }).ClickAsync();

        await Assertions.Expect(Comment(page, "Signed in and clean.")).ToContainTextAsync("Bo Reader", new() { Timeout = Timeout });
        await using var command = db.CreateCommand("SELECT author_key FROM comments WHERE site_id = @site AND body = 'Signed in and clean.'");
        command.Parameters.AddWithValue("site", _site);
        Assert.Equal("user:reader-7", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ASiteCanSignTheReaderInWithTheScriptTagsSsoTokenAttribute()
    {
        await using var db = NpgsqlDataSource.Create(_servers.Postgres);
        var secret = (await SsoTokens.SetSecretAsync(db, _site, DateTimeOffset.UtcNow, CancellationToken.None))!;
        var token = SignUserToken(secret, new { sub = "reader-8", name = "Cy Reader", exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds() });
        var page = await _browser.NewPageAsync();
        // Stands in for the site's page template writing the attribute its backend signed (a page served by the test itself
        // would not be on the loopback address space Chromium lets call the Api).
        await page.AddInitScriptAsync($$"""
            new MutationObserver((_, observer) => {
              const tag = document.querySelector('script[src="/widget.js"]');
              if (tag) { tag.setAttribute('data-sso-token', '{{token}}'); observer.disconnect(); }
            }).observe(document, { childList: true, subtree: true });
            """);
        await page.GotoAsync(new Uri(_readerUrlA, $"/demo/{Article}").ToString());
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Join the discussion" });

        await Assertions.Expect(form).ToContainTextAsync("Commenting as Cy Reader", new() { Timeout = Timeout });
        await form.GetByLabel("Comment", new() { Exact = true }).FillAsync("Signed in by attribute.");
        await form.GetByRole(AriaRole.Button, new() { Name = "Post comment" }).ClickAsync();

        await Assertions.Expect(Comment(page, "Signed in by attribute.")).ToContainTextAsync("Cy Reader", new() { Timeout = Timeout });
    }

    private static string SignUserToken(string secret, object claims)
    {
        static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var signed = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" })) + "." + Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        return signed + "." + Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signed)));
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T")]
    private static partial Regex MyRegex();
}
