using System.Text;
using System.Text.Json;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Npgsql;
using StackExchange.Redis;

namespace Comments.Reader.Live;

public static partial class GetEventsEndpoint
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapLiveEvents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}/articles/{articleId}").WithTags("Live");
        group.MapGet("/events", GetEvents)
            .WithName("GetLiveEvents")
            .WithSummary("Server-Sent Events: newly approved comments and status changes of this article; resumes with Last-Event-ID.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return group;
    }

    /// <summary>
    /// Streams events until the browser goes away or this instance stops; a comment line every 15 s keeps proxies from
    /// closing it. On shutdown the stream ends cleanly at once (an open stream would otherwise hold the graceful stop for
    /// the whole shutdown timeout and then be cut); the browser reconnects after <c>retry</c> with its Last-Event-ID.
    /// </summary>
    public static async Task<IResult> GetEvents(
        string siteId,
        string articleId,
        string? lastEventId,
        HttpContext httpContext,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        LiveEvents live,
        ILoggerFactory loggers,
        IHostApplicationLifetime lifetime,
        CancellationToken requestAborted)
    {
        var siteExists = await resilience.Pipeline.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM sites WHERE id = @site)");
            command.Parameters.AddWithValue("site", siteId);
            return (bool)(await command.ExecuteScalarAsync(token))!;
        }, requestAborted);
        if (!siteExists)
        {
            return Problems.UnknownSite(siteId);
        }

        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";

        // Listen before replaying, so nothing published in between is missed; duplicates are skipped by id below.
        using var subscription = live.Listen(siteId, articleId);
        var resumeFrom = httpContext.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? lastEventId;
        var lastSent = string.Empty;
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        var ct = streaming.Token;

        try
        {
            await response.WriteAsync("retry: 3000\n\n", ct);
            if (IsStreamId(resumeFrom))
            {
                lastSent = resumeFrom!;
                try
                {
                    foreach (var message in await live.ReplayAsync(siteId, articleId, resumeFrom!))
                    {
                        await WriteAsync(response, message, ct);
                        lastSent = message.Id;
                    }
                }
                catch (RedisException ex)
                {
                    LogReplayFailed(loggers.CreateLogger(typeof(GetEventsEndpoint)), ex.GetType().Name);
                }
            }

            await response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(Heartbeat);
                LiveMessage message;
                try
                {
                    message = await subscription.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }

                if (string.CompareOrdinal(CompareKey(message.Id), CompareKey(lastSent)) <= 0 && lastSent.Length > 0)
                {
                    continue;
                }

                await WriteAsync(response, message, ct);
                await response.Body.FlushAsync(ct);
                lastSent = message.Id;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser left, or this instance is stopping.
        }

        return TypedResults.Empty;
    }

    private static async Task WriteAsync(HttpResponse response, LiveMessage message, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(message.Event, LiveJsonContext.Default.LiveEvent);
        var frame = new StringBuilder()
            .Append("id: ").Append(message.Id).Append('\n')
            .Append("event: ").Append(message.Event.Type).Append('\n')
            .Append("data: ").Append(data).Append("\n\n")
            .ToString();
        await response.WriteAsync(frame, ct);
    }

    /// <summary>Redis stream ids are "ms-seq"; padding both parts makes ordinal order their numeric order.</summary>
    private static string CompareKey(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? id.PadLeft(20, '0') : id[..dash].PadLeft(20, '0') + "-" + id[(dash + 1)..].PadLeft(20, '0');
    }

    private static bool IsStreamId(string? id) =>
        id is { Length: > 2 and < 42 } && id.Count(c => c == '-') == 1 && id.All(c => char.IsAsciiDigit(c) || c == '-')
        && id[0] != '-' && id[^1] != '-';

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live event replay failed ({ExceptionType}); continuing live only")]
    private static partial void LogReplayFailed(ILogger logger, string exceptionType);
}
