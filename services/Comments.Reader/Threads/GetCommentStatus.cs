using Comments.ServiceDefaults.Database;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Reader.Threads;

public sealed record CommentStatusResponse(Guid Id, string Status);

public static class GetCommentStatusEndpoint
{
    public static RouteGroupBuilder MapCommentStatus(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}/comments").WithTags("Threads");
        group.MapGet("/{id:guid}/status", GetCommentStatus)
            .WithName("GetCommentStatus")
            .WithSummary("Where a submitted comment stands (pending, approved, held, rejected), for its author's page. No reasons.");
        return group;
    }

    public static async Task<Results<Ok<CommentStatusResponse>, ProblemHttpResult>> GetCommentStatus(
        string siteId, Guid id, NpgsqlDataSource dataSource, DatabaseResilience resilience, CancellationToken ct)
    {
        var status = await resilience.Pipeline.ExecuteAsync(
            async token => await ThreadQueries.LoadStatusAsync(dataSource, siteId, id, token), ct);
        return status is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown comment")
            : TypedResults.Ok(new CommentStatusResponse(id, status));
    }
}
