using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Reader.Tests.Widget;

public sealed class WidgetTests : IAsyncLifetime
{
    private ServiceFactory<ReaderEntryPoint> _reader = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _reader = new ServiceFactory<ReaderEntryPoint>(servers, new Dictionary<string, string?> { ["Widget:ApiBaseUrl"] = "https://comments-api.example.org" });
        _client = _reader.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _reader.DisposeAsync();
    }

    [Fact]
    public async Task ServesTheScriptWithTheConfiguredApiAddress()
    {
        var response = await _client.GetAsync("/widget.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var script = await response.Content.ReadAsStringAsync();
        Assert.Contains("https://comments-api.example.org", script, StringComparison.Ordinal);
        Assert.DoesNotContain("__COMMENTS_API__", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IsCacheableAndRevalidatedByETag()
    {
        var first = await _client.GetAsync("/widget.js");
        Assert.Contains("max-age=300", first.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/widget.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var second = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task StaysWithinFifteenKilobytesGzipped()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/widget.js");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        var response = await _client.SendAsync(request);
        var gzipped = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.InRange(gzipped.Length, 1000, 15 * 1024);
        await using var unzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        Assert.Contains("attachShadow", await new StreamReader(unzip).ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoPageEmbedsTheWidgetUnderTheArticleText()
    {
        var servers = await Servers.GetAsync();
        await using (var db = NpgsqlDataSource.Create(servers.Postgres))
        {
            await using var seed = db.CreateCommand(
                """
                INSERT INTO sites (id, name) VALUES ('demo', 'Demo') ON CONFLICT DO NOTHING;
                INSERT INTO articles (site_id, id, title, paragraphs) VALUES ('demo', 'widget-test-article', 'Title <b>bold</b>', '{"Para & one"}')
                ON CONFLICT (site_id, id) DO UPDATE SET title = EXCLUDED.title, paragraphs = EXCLUDED.paragraphs;
                """);
            await seed.ExecuteNonQueryAsync();
        }

        var html = await _client.GetStringAsync("/demo/widget-test-article");

        Assert.Contains("<h1>Title &lt;b&gt;bold&lt;/b&gt;</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<p>Para &amp; one</p>", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("Para &amp; one", StringComparison.Ordinal) < html.IndexOf("<script src=\"/widget.js\" data-site=\"demo\" data-article=\"widget-test-article\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DemoPageAnswersNotFoundForAnUnknownArticle()
    {
        var response = await _client.GetAsync("/demo/no-such-article");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
