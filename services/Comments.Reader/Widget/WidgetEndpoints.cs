using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Comments.Reader.Widget;

public sealed class WidgetOptions
{
    public const string SectionName = "Widget";

    /// <summary>Where the widget posts comments (the Comments.Api as browsers reach it); a page may override it with <c>data-api</c>.</summary>
    [Required, Url]
    public string ApiBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The site whose seeded articles <c>/demo/{articleId}</c> shows.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$")]
    public string DemoSiteId { get; set; } = "demo";
}

/// <summary>The widget script, with the configured Api address filled in, prepared once (plain and gzip) per process.</summary>
public sealed class WidgetScript
{
    public WidgetScript(IOptions<WidgetOptions> options)
    {
        using var stream = typeof(WidgetScript).Assembly.GetManifestResourceStream("widget.js")
            ?? throw new InvalidOperationException("The widget.js resource is missing from the Reader assembly.");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd().Replace("__COMMENTS_API__", options.Value.ApiBaseUrl.TrimEnd('/'), StringComparison.Ordinal);
        Plain = Encoding.UTF8.GetBytes(text);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(Plain);
        }

        Gzip = buffer.ToArray();
        ETag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Plain), 0, 12)}\"";
    }

    public byte[] Plain { get; }

    public byte[] Gzip { get; }

    public string ETag { get; }
}

public static class WidgetEndpoints
{
    public static IHostApplicationBuilder AddWidget(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WidgetOptions>().BindConfiguration(WidgetOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WidgetScript>();
        return builder;
    }

    public static IEndpointConventionBuilder MapWidget(this IEndpointRouteBuilder app) =>
        app.MapGet("/widget.js", GetWidget).WithName("GetWidget").WithTags("Widget").ExcludeFromDescription();

    /// <summary>Cacheable for five minutes and revalidated by ETag, so a new release reaches pages quickly.</summary>
    public static IResult GetWidget(HttpContext context, WidgetScript script)
    {
        var headers = context.Response.Headers;
        headers.ETag = script.ETag;
        headers.CacheControl = "public, max-age=300";
        headers.Vary = "Accept-Encoding";
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Contains(script.ETag, StringComparison.Ordinal)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var gzip = context.Request.Headers.AcceptEncoding.Any(v => v is not null && v.Contains("gzip", StringComparison.OrdinalIgnoreCase));
        if (gzip)
        {
            headers.ContentEncoding = "gzip";
        }

        return TypedResults.Bytes(gzip ? script.Gzip : script.Plain, "text/javascript; charset=utf-8");
    }
}
