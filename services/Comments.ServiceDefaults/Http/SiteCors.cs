using Comments.ServiceDefaults.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Comments.ServiceDefaults.Http;

/// <summary>
/// CORS per site: a browser on one of the site's configured origins (<c>sites.allowed_origins</c>) may call
/// <c>/api/v1/sites/{siteId}/…</c>; any other origin gets no CORS headers, and its preflight a 403.
/// Origins are cached for a short while per instance; a change takes effect within <see cref="CacheFor"/>.
/// </summary>
public sealed class SiteCors(NpgsqlDataSource dataSource, DatabaseResilience resilience, IMemoryCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private const string Prefix = "/api/v1/sites/";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var origin = context.Request.Headers.Origin.FirstOrDefault();
        var siteId = SiteOf(context.Request.Path);
        if (string.IsNullOrEmpty(origin) || siteId is null)
        {
            await next(context);
            return;
        }

        var allowed = await AllowedOriginsAsync(siteId, context.RequestAborted);
        var isAllowed = allowed.Contains(origin, StringComparer.OrdinalIgnoreCase);
        var isPreflight = HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method");

        if (isAllowed)
        {
            var headers = context.Response.Headers;
            headers.AccessControlAllowOrigin = origin;
            headers.Vary = "Origin";
            headers.AccessControlExposeHeaders = "ETag, Retry-After";
            if (isPreflight)
            {
                headers.AccessControlAllowMethods = "GET, POST";
                headers.AccessControlAllowHeaders = "Content-Type, Last-Event-ID, X-Comments-User";
                headers.AccessControlMaxAge = "600";
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
        }
        else if (isPreflight)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        await next(context);
    }

    private static string? SiteOf(PathString path)
    {
        var value = path.Value;
        if (value is null || !value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = value.AsSpan(Prefix.Length);
        var end = rest.IndexOf('/');
        var site = (end < 0 ? rest : rest[..end]).ToString();
        return site.Length is > 0 and <= 63 ? site : null;
    }

    private async Task<string[]> AllowedOriginsAsync(string siteId, CancellationToken ct)
    {
        if (cache.TryGetValue<string[]>("cors:" + siteId, out var cached) && cached is not null)
        {
            return cached;
        }

        var origins = await resilience.Pipeline.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand("SELECT allowed_origins FROM sites WHERE id = @site");
            command.Parameters.AddWithValue("site", siteId);
            return await command.ExecuteScalarAsync(token) as string[] ?? [];
        }, ct);
        cache.Set("cors:" + siteId, origins, CacheFor);
        return origins;
    }
}

public static class SiteCorsExtensions
{
    public static IServiceCollection AddSiteCors(this IServiceCollection services)
    {
        services.AddMemoryCache();
        services.AddSingleton<SiteCors>();
        return services;
    }

    public static IApplicationBuilder UseSiteCors(this IApplicationBuilder app)
    {
        var cors = app.ApplicationServices.GetRequiredService<SiteCors>();
        return app.Use((context, next) => cors.InvokeAsync(context, next));
    }
}
