using System.Security.Cryptography;
using System.Text.Json;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Reader.Threads;

public static class GetThreadEndpoint
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public static RouteGroupBuilder MapThreads(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}/articles/{articleId}").WithTags("Threads");
        group.MapGet("/comments", GetThread)
            .WithName("GetThread")
            .WithSummary("The approved comments of an article as a tree; top-level comments paged by an opaque cursor.")
            .Produces<ThreadResponse>()
            .Produces(StatusCodes.Status304NotModified);
        return group;
    }

    public static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ValidationProblem, ProblemHttpResult>> GetThread(
        string siteId,
        string articleId,
        string? sort,
        int? limit,
        string? cursor,
        HttpContext httpContext,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        ThreadCache cache,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ThreadSort? threadSort = sort switch
        {
            null or "" or "oldest" => ThreadSort.Oldest,
            "newest" => ThreadSort.Newest,
            _ => null,
        };
        if (threadSort is null)
        {
            errors["sort"] = ["Sort must be 'oldest' or 'newest'."];
        }

        var pageSize = limit ?? DefaultLimit;
        if (pageSize is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"Limit must be between 1 and {MaxLimit}."];
        }

        ThreadCursor? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (ThreadCursor.TryDecode(cursor, out var decoded) && decoded.Sort == threadSort)
            {
                after = decoded;
            }
            else
            {
                errors["cursor"] = ["The cursor is not valid for this sort; start again without it."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var variant = $"{threadSort}:{pageSize}:{cursor ?? "-"}";
        var localKey = ThreadCache.LocalKey(siteId, articleId, variant);
        var stamp = cache.BeginLocal(siteId, articleId);
        if (!cache.TryGetLocal(localKey, stamp, out var rendered))
        {
            var version = await cache.TryGetVersionAsync(siteId, articleId, ct);
            var key = version is null ? null : ThreadCache.PageKey(siteId, articleId, version, variant);
            var page = key is null ? null : await cache.TryGetPageAsync(key, ct);

            if (page is null)
            {
                var thread = await resilience.Pipeline.ExecuteAsync(
                    async token => await ThreadQueries.LoadAsync(dataSource, siteId, articleId, threadSort!.Value, pageSize, after, token), ct);
                if (thread is null)
                {
                    return Problems.UnknownSite(siteId);
                }

                page = JsonSerializer.SerializeToUtf8Bytes(thread, ReaderJsonContext.Default.ThreadResponse);
                if (key is not null)
                {
                    await cache.TrySetPageAsync(key, page, ct);
                }
            }

            rendered = new RenderedPage(page, $"\"{Convert.ToHexStringLower(SHA256.HashData(page), 0, 16)}\"");
            if (key is not null)
            {
                // Only what went through Redis: without it this instance would not hear the invalidations either.
                cache.SetLocal(localKey, stamp, rendered);
            }
        }

        httpContext.Response.Headers.ETag = rendered.ETag;
        httpContext.Response.Headers.CacheControl = "no-cache";
        if (httpContext.Request.Headers.IfNoneMatch.Any(value => value is not null && value.Contains(rendered.ETag, StringComparison.Ordinal)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(rendered.Body, "application/json; charset=utf-8");
    }
}
