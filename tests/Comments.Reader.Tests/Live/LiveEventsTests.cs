using System.Net;
using Comments.Reader.Live;
using Comments.Reader.Threads;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Comments.Reader.Tests.Live;

/// <summary>Server-Sent Events fanned out through the real Redis between two Reader instances.</summary>
public sealed class LiveEventsTests : IAsyncLifetime
{
    private ServiceFactory<ReaderEntryPoint> _listening = null!;
    private ServiceFactory<ReaderEntryPoint> _publishing = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _listening = new ServiceFactory<ReaderEntryPoint>(servers);
        _publishing = new ServiceFactory<ReaderEntryPoint>(servers);
        _site = await TestSites.CreateAsync(servers);
    }

    public async Task DisposeAsync()
    {
        await _listening.DisposeAsync();
        await _publishing.DisposeAsync();
    }

    private static LiveEvent Approved(string text) =>
        new("approved", Guid.CreateVersion7(), "approved", new ThreadComment(Guid.CreateVersion7(), null, "A", DateTimeOffset.UtcNow, $"<p>{text}</p>", []));

    private async Task<StreamReader> OpenAsync(HttpClient client, string? lastEventId = null, string query = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/sites/{_site}/articles/story/events{query}");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new StreamReader(await response.Content.ReadAsStreamAsync());
    }

    private static async Task<(string Id, string Type, string Data)> NextEventAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? id = null, type = null, data = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
            if (line.StartsWith("id: ", StringComparison.Ordinal)) { id = line[4..]; }
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) { type = line[7..]; }
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) { data = line[6..]; }
            else if (line.Length == 0 && data is not null) { return (id!, type!, data); }
        }
    }

    private async Task WaitForListenerAsync()
    {
        var live = _listening.Services.GetRequiredService<LiveEvents>();
        await Eventually.Within(TimeSpan.FromSeconds(5), () => Task.FromResult(live.ListenerCount > 0 ? "" : null), "SSE listener registered");
    }

    [Fact]
    public async Task DeliversAnEventPublishedByAnotherInstance()
    {
        using var client = _listening.CreateClient();
        using var stream = await OpenAsync(client);
        await WaitForListenerAsync();

        await _publishing.Services.GetRequiredService<LiveEvents>().PublishAsync(_site, "story", Approved("from B"));

        var (id, type, data) = await NextEventAsync(stream);
        Assert.Equal("approved", type);
        Assert.Contains("from B", data, StringComparison.Ordinal);
        Assert.Matches(@"^\d+-\d+$", id);
    }

    [Fact]
    public async Task ReplaysWhatWasMissedAfterLastEventId()
    {
        var live = _publishing.Services.GetRequiredService<LiveEvents>();
        using var client = _listening.CreateClient();
        using (var first = await OpenAsync(client))
        {
            await WaitForListenerAsync();
            await live.PublishAsync(_site, "story", Approved("one"));
            var seen = await NextEventAsync(first);

            await live.PublishAsync(_site, "story", Approved("two"));
            await live.PublishAsync(_site, "story", Approved("three"));

            using var resumed = await OpenAsync(client, seen.Id);
            Assert.Contains("two", (await NextEventAsync(resumed)).Data, StringComparison.Ordinal);
            Assert.Contains("three", (await NextEventAsync(resumed)).Data, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ReplaysWhatWasMissedAfterALastEventIdGivenInTheQuery()
    {
        var live = _publishing.Services.GetRequiredService<LiveEvents>();
        using var client = _listening.CreateClient();
        using var first = await OpenAsync(client);
        await WaitForListenerAsync();
        await live.PublishAsync(_site, "story", Approved("one"));
        var seen = await NextEventAsync(first);
        await live.PublishAsync(_site, "story", Approved("two"));

        // A new EventSource (the widget's after its old one was closed) cannot send the Last-Event-ID header.
        using var resumed = await OpenAsync(client, query: $"?lastEventId={Uri.EscapeDataString(seen.Id)}");

        Assert.Contains("two", (await NextEventAsync(resumed)).Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DropsTheArticlesLocalPagesBeforeDeliveringItsEvent()
    {
        var pages = _listening.Services.GetRequiredService<LocalThreadPages>();
        using var client = _listening.CreateClient();
        using var stream = await OpenAsync(client);
        await WaitForListenerAsync();
        var before = pages.Begin(_site, "story");

        // The live event alone, as if this instance had not yet handled the invalidation announced before it.
        await _publishing.Services.GetRequiredService<LiveEvents>().PublishAsync(_site, "story", Approved("new"));
        await NextEventAsync(stream);

        // A page stored under the old stamp is never served (see LocalThreadPagesTests).
        Assert.NotEqual(before.Value, pages.Begin(_site, "story").Value);
    }

    [Fact]
    public async Task DoesNotDeliverEventsOfAnotherArticle()
    {
        using var client = _listening.CreateClient();
        using var stream = await OpenAsync(client);
        await WaitForListenerAsync();
        var live = _publishing.Services.GetRequiredService<LiveEvents>();

        await live.PublishAsync(_site, "other-story", Approved("elsewhere"));
        await live.PublishAsync(_site, "story", Approved("here"));

        Assert.Contains("here", (await NextEventAsync(stream)).Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeliversEveryEventPublishedConcurrentlyInStreamOrder()
    {
        using var client = _listening.CreateClient();
        using var stream = await OpenAsync(client);
        await WaitForListenerAsync();
        var live = _publishing.Services.GetRequiredService<LiveEvents>();

        // Like the consumer's concurrent messages: many publishes in flight at once.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => live.PublishAsync(_site, "story", Approved($"n{i}"))));

        var ids = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add((await NextEventAsync(stream)).Id);
        }

        Assert.Equal(200, ids.Distinct().Count());
        Assert.Equal(ids.Order(StreamOrder.Instance), ids);
    }

    private sealed class StreamOrder : IComparer<string>
    {
        public static readonly StreamOrder Instance = new();

        public int Compare(string? x, string? y) => Key(x!).CompareTo(Key(y!));

        private static (long, long) Key(string id)
        {
            var parts = id.Split('-');
            return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task AnswersNotFoundForAnUnknownSite()
    {
        using var client = _listening.CreateClient();

        var response = await client.GetAsync("/api/v1/sites/no-such-site/articles/story/events");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
