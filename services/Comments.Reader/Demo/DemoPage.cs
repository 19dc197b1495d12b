using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Comments.ServiceDefaults.Database;
using Comments.Reader.Widget;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Reader.Demo;

/// <summary>
/// A plain news page for a seeded article of the demo site, with the widget embedded where the scraped page had its
/// "Post a Comment / 0 Comments" stub: what a newsroom's own page would do with one tag.
/// </summary>
public static class DemoPage
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    public static IEndpointConventionBuilder MapDemoPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/demo/{articleId}", GetDemoPage).WithName("GetDemoPage").WithTags("Demo").ExcludeFromDescription();

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetDemoPage(
        string articleId, string? lang, IOptions<WidgetOptions> options, NpgsqlDataSource dataSource, DatabaseResilience resilience,
        CancellationToken ct)
    {
        var siteId = options.Value.DemoSiteId;
        var article = await resilience.Pipeline.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand("SELECT title, paragraphs FROM articles WHERE site_id = @site AND id = @id");
            command.Parameters.AddWithValue("site", siteId);
            command.Parameters.AddWithValue("id", articleId);
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token)
                ? (Title: reader.IsDBNull(0) ? articleId : reader.GetString(0), Paragraphs: reader.GetFieldValue<string[]>(1))
                : ((string Title, string[] Paragraphs)?)null;
        }, ct);
        if (article is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown article",
                detail: $"The demo site has no article '{articleId}'. Seed it with `Comments.Api seed seeds`.");
        }

        var pageLang = lang is "de" ? "de" : "en";
        var html = new StringBuilder()
            .Append("<!doctype html>\n<html lang=\"").Append(pageLang).Append("\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Html.Encode(article.Value.Title)).Append(" — Demo Daily</title>\n")
            .Append("<style>body{margin:0;font:18px/1.6 Georgia,serif;color:#222;background:#fafafa}")
            .Append("header{background:#1a1a2e;color:#fff;padding:.75rem 1.5rem;font:600 1.1rem system-ui,sans-serif}")
            .Append("main{max-width:42rem;margin:2rem auto;padding:0 1.25rem}h1{font-size:2rem;line-height:1.2}")
            .Append("#comments{margin-top:3rem;border-top:1px solid #ddd;padding-top:1.5rem}")
            .Append("@media (prefers-color-scheme: dark){body{background:#0d1117;color:#e6edf3}}</style>\n</head>\n<body>\n")
            .Append("<header>Demo Daily</header>\n<main>\n<article>\n<h1>").Append(Html.Encode(article.Value.Title)).Append("</h1>\n");
        foreach (var paragraph in article.Value.Paragraphs)
        {
            html.Append("<p>").Append(Html.Encode(paragraph)).Append("</p>\n");
        }

        html.Append("</article>\n<div id=\"comments\"></div>\n")
            .Append("<script src=\"/widget.js\" data-site=\"").Append(siteId).Append("\" data-article=\"")
            .Append(Html.Encode(articleId)).Append("\" async></script>\n</main>\n</body>\n</html>\n");
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }
}
