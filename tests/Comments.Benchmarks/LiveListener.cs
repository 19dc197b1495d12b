using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Comments.Benchmarks;

/// <summary>An SSE subscriber that notes when each approved comment arrived.</summary>
public sealed class LiveListener : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    public ConcurrentDictionary<Guid, long> Seen { get; } = new();

    public static async Task<LiveListener> StartAsync(HttpClient http, Uri reader, string site, string article)
    {
        var listener = new LiveListener();
        var response = await http.GetAsync(new Uri(reader, $"/api/v1/sites/{site}/articles/{article}/events"), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync();
        listener._reading = listener.ReadAsync(response, stream);
        await Task.Delay(500); // let the subscription register before anything is published
        return listener;
    }

    private async Task ReadAsync(HttpResponseMessage response, Stream stream)
    {
        using var _ = response;
        using var reader = new StreamReader(stream);
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    using var json = JsonDocument.Parse(line[6..]);
                    if (json.RootElement.GetProperty("type").GetString() == "approved")
                    {
                        Seen.TryAdd(json.RootElement.GetProperty("commentId").GetGuid(), Stopwatch.GetTimestamp());
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
