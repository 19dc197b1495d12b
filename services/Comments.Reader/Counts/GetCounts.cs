using Comments.Reader.Threads;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Reader.Counts;

public sealed record CountsResponse(string SiteId, IReadOnlyDictionary<string, int> Counts);

public static class GetCountsEndpoint
{
    public const int MaxArticles = 100;

    public static RouteGroupBuilder MapCounts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}").WithTags("Counts");
        group.MapGet("/counts", GetCounts)
            .WithName("GetCounts")
            .WithSummary("Approved comment counts per article, for the \"N Comments\" line on article lists.");
        return group;
    }

    public static async Task<Results<Ok<CountsResponse>, ValidationProblem, ProblemHttpResult>> GetCounts(
        string siteId,
        string[]? articleId,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        CancellationToken ct)
    {
        var ids = (articleId ?? []).Where(id => !string.IsNullOrEmpty(id)).Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length is 0 or > MaxArticles)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["articleId"] = [$"Give between 1 and {MaxArticles} articleId parameters."],
            });
        }

        // PostgreSQL text cannot hold NUL: such an id would fail the query (a 500), and no article can have one.
        if (ids.Any(id => id.Contains('\0', StringComparison.Ordinal)))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["articleId"] = ["An article id cannot contain NUL."],
            });
        }

        var counts = await resilience.Pipeline.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand(
                """
                SELECT EXISTS (SELECT 1 FROM sites WHERE id = @site), a.id,
                       (SELECT count(*) FROM comments c WHERE c.site_id = @site AND c.article_id = a.id AND c.status = 'approved')
                FROM unnest(@ids) AS a(id)
                """);
            command.Parameters.AddWithValue("site", siteId);
            command.Parameters.AddWithValue("ids", ids);
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            var siteExists = false;
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                siteExists = reader.GetBoolean(0);
                result[reader.GetString(1)] = (int)reader.GetInt64(2);
            }

            return siteExists ? result : null;
        }, ct);

        return counts is null
            ? Problems.UnknownSite(siteId)
            : TypedResults.Ok(new CountsResponse(siteId, counts));
    }
}
