using Comments.Api.Http;
using Comments.Contracts;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Comments.ServiceDefaults.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Api.Comments;

public sealed record SubmitCommentResponse(Guid Id, string Status);

public static class SubmitCommentEndpoint
{
    public const long MaxRequestBytes = 64 * 1024;

    public static RouteGroupBuilder MapCommentSubmission(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}/articles/{articleId}/comments").WithTags("Comments");
        group.MapPost("/", SubmitComment)
            .WithName("SubmitComment")
            .WithSummary("Submit a comment; it is stored as pending and moderated asynchronously.")
            .Accepts<SubmitCommentRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    public static async Task<Results<Accepted<SubmitCommentResponse>, ValidationProblem, ProblemHttpResult>> SubmitComment(
        string siteId,
        string articleId,
        HttpRequest httpRequest,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        AuthorHasher hasher,
        OutboxSignal outboxSignal,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!CommentInput.IsValidArticleId(articleId))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["articleId"] = ["The article id must be 1–200 characters of letters, digits and - _ . ~ :"],
            });
        }

        var (request, problem) = await JsonBody.ReadAsync<SubmitCommentRequest>(httpRequest, MaxRequestBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (comment, errors) = CommentInput.Validate(request!);
        if (comment is null)
        {
            return TypedResults.ValidationProblem(errors, title: "The comment was not accepted.");
        }

        var now = time.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var emailHash = comment.AuthorEmail is null ? null : hasher.Hash(siteId, comment.AuthorEmail);

        var outcome = await resilience.Pipeline.ExecuteAsync(
            async ct => await StoreAsync(dataSource, siteId, articleId, id, comment, emailHash, now, ct), cancellationToken);

        switch (outcome)
        {
            case StoreOutcome.UnknownSite:
                return Problems.UnknownSite(siteId);
            case StoreOutcome.UnknownArticle:
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown article",
                    detail: "This site does not create articles on first comment, and the article is not registered.");
            case StoreOutcome.InvalidParent:
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["parentId"] = ["The comment replied to is not a published comment of this article."],
                }, title: "The comment was not accepted.");
            default:
                outboxSignal.Notify();
                return TypedResults.Accepted((string?)null, new SubmitCommentResponse(id, "pending"));
        }
    }

    private enum StoreOutcome { Stored, UnknownSite, UnknownArticle, InvalidParent }

    /// <summary>The comment row and its <see cref="CommentSubmitted"/> outbox message commit together or not at all.</summary>
    private static async Task<StoreOutcome> StoreAsync(
        NpgsqlDataSource dataSource, string siteId, string articleId, Guid id, ValidComment comment, string? emailHash,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        bool autoCreate;
        await using (var site = new NpgsqlCommand("SELECT auto_create_articles FROM sites WHERE id = @site", connection, transaction))
        {
            site.Parameters.AddWithValue("site", siteId);
            if (await site.ExecuteScalarAsync(ct) is not bool value)
            {
                return StoreOutcome.UnknownSite;
            }

            autoCreate = value;
        }

        await using (var article = new NpgsqlCommand(autoCreate
            ? "INSERT INTO articles (site_id, id, created_at) VALUES (@site, @article, @now) ON CONFLICT DO NOTHING; SELECT 1"
            : "SELECT 1 FROM articles WHERE site_id = @site AND id = @article", connection, transaction))
        {
            article.Parameters.AddWithValue("site", siteId);
            article.Parameters.AddWithValue("article", articleId);
            article.Parameters.AddWithValue("now", now);
            if (await article.ExecuteScalarAsync(ct) is null)
            {
                return StoreOutcome.UnknownArticle;
            }
        }

        Guid? rootId = null;
        if (comment.ParentId is { } parentId)
        {
            await using var parent = new NpgsqlCommand(
                """
                SELECT COALESCE(root_id, id) FROM comments
                WHERE id = @parent AND site_id = @site AND article_id = @article AND status = 'approved'
                """, connection, transaction);
            parent.Parameters.AddWithValue("parent", parentId);
            parent.Parameters.AddWithValue("site", siteId);
            parent.Parameters.AddWithValue("article", articleId);
            if (await parent.ExecuteScalarAsync(ct) is not Guid root)
            {
                return StoreOutcome.InvalidParent;
            }

            rootId = root;
        }

        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO comments (id, site_id, article_id, parent_id, root_id, author_name, author_email_hash, body, status, created_at)
            VALUES (@id, @site, @article, @parent, @root, @name, @email, @body, 'pending', @now)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("site", siteId);
            insert.Parameters.AddWithValue("article", articleId);
            insert.Parameters.AddWithValue("parent", (object?)comment.ParentId ?? DBNull.Value);
            insert.Parameters.AddWithValue("root", (object?)rootId ?? DBNull.Value);
            insert.Parameters.AddWithValue("name", comment.AuthorName);
            insert.Parameters.AddWithValue("email", (object?)emailHash ?? DBNull.Value);
            insert.Parameters.AddWithValue("body", comment.Body);
            insert.Parameters.AddWithValue("now", now);
            await insert.ExecuteNonQueryAsync(ct);
        }

        await OutboxWriter.EnqueueAsync(connection, transaction,
            new CommentSubmitted(id, siteId, articleId, comment.ParentId, comment.AuthorName, comment.Body, now), now, ct);
        await transaction.CommitAsync(ct);
        return StoreOutcome.Stored;
    }
}
