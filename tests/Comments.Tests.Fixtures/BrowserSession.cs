using Microsoft.Playwright;

namespace Comments.Tests.Fixtures;

/// <summary>
/// Headless Debian Chromium driven by Playwright. Never downloads a browser: a missing <c>/usr/bin/chromium</c> is a
/// failure that says how to install it (deploy/test.sh does).
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private BrowserSession(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<BrowserSession> LaunchAsync()
    {
        var path = Environment.GetEnvironmentVariable("COMMENTS_CHROMIUM") ?? ChromiumPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {path}: install Debian's package (`apt-get install -y chromium`) or run the tests with deploy/test.sh, which installs it.");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            ],
        });
        return new BrowserSession(playwright, browser);
    }

    /// <summary>A fresh context (own cookies and session storage) and page.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 1400 } });
        return await context.NewPageAsync();
    }

    /// <summary>Where screenshots go: <c>TestResults/screenshots</c> at the repository root.</summary>
    public static string ArtifactPath(string fileName)
    {
        var folder = Repository.PathOf("TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, fileName);
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
