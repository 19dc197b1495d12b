using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Reader.Tests.Threads;

public sealed class GetCommentStatusTests : IAsyncLifetime
{
    private ServiceFactory<ReaderEntryPoint> _reader = null!;
    private HttpClient _client = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _reader = new ServiceFactory<ReaderEntryPoint>(servers);
        _client = _reader.CreateClient();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _reader.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task TellsTheStatusWithoutTheReasons()
    {
        var id = Guid.CreateVersion7();
        await using (var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, 'story');
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, reasons, created_at)
            VALUES (@id, @site, 'story', 'A', 'b', 'rejected', '["banned word: x"]', now());
            """))
        {
            command.Parameters.AddWithValue("site", _site);
            command.Parameters.AddWithValue("id", id);
            await command.ExecuteNonQueryAsync();
        }

        var response = await _client.GetAsync($"/api/v1/sites/{_site}/comments/{id}/status");

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rejected", body.GetProperty("status").GetString());
        Assert.False(body.TryGetProperty("reasons", out _));
    }

    [Fact]
    public async Task AnswersNotFoundForACommentOfAnotherSite()
    {
        var response = await _client.GetAsync($"/api/v1/sites/{_site}/comments/{Guid.CreateVersion7()}/status");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
