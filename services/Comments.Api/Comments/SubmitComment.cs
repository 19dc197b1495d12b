using Comments.Api.Authors;
using Comments.Api.Http;
using Comments.Contracts;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Comments.ServiceDefaults.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
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
            .WithDescription("A site's backend may send 'Authorization: Bearer <site key>' and an author { id, name, email? } for one of " +
                "its users; the widget may send a signed user token in the X-Comments-User header.")
            .Accepts<SubmitCommentRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    public static async Task<Results<Accepted<SubmitCommentResponse>, ValidationProblem, ProblemHttpResult>> SubmitComment(
        string siteId,
        string articleId,
        HttpRequest httpRequest,
        NpgsqlDataSource dataSource,
        SubmissionWriter writer,
        DatabaseResilience resilience,
        AuthorHasher hasher,
        IOptions<SubmissionOptions> submissionOptions,
        TimeProvider time,
        ILoggerFactory loggerFactory,
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

        var identity = await AuthorIdentity.ResolveAsync(httpRequest, siteId, request!.Author, dataSource, resilience, time,
            loggerFactory.CreateLogger(typeof(SubmitCommentEndpoint)), cancellationToken);
        if (identity.Problem is not null)
        {
            return identity.Problem;
        }

        if (identity.Invalid is not null)
        {
            return identity.Invalid;
        }

        var vouched = identity.Author;
        var (comment, errors) = CommentInput.Validate(vouched is null ? request : request with { AuthorName = vouched.Name, AuthorEmail = vouched.Email });
        if (comment is null)
        {
            // A backend's author fields are named as it sent them.
            return TypedResults.ValidationProblem(
                vouched is not null && identity.ByBackend
                    ? errors.ToDictionary(e => e.Key switch { "authorName" => "author.name", "authorEmail" => "author.email", _ => e.Key }, e => e.Value)
                    : errors,
                title: "The comment was not accepted.");
        }

        var now = time.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var emailHash = comment.AuthorEmail is null ? null : hasher.Hash(siteId, comment.AuthorEmail);
        // A site's backend sends for all its readers from one address: only the per-author limit applies to it.
        var clientKey = !identity.ByBackend && ClientAddress.Of(httpRequest.HttpContext) is { } address
            ? hasher.Hash(siteId, "client:" + address)
            : null;
        var sender = new Sender(clientKey, vouched?.AuthorKey ?? emailHash, vouched?.UserId, emailHash, submissionOptions.Value);

        var (outcome, retryAfter) = await resilience.Pipeline.ExecuteAsync(
            async ct => await StoreAsync(dataSource, writer, siteId, articleId, id, comment, sender, now, ct), cancellationToken);

        switch (outcome)
        {
            case StoreOutcome.TooSoon:
                httpRequest.HttpContext.Response.Headers.RetryAfter =
                    ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many comments",
                    detail: $"This site accepts one comment every few seconds from the same reader. Try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.");
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
                return TypedResults.Accepted((string?)null, new SubmitCommentResponse(id, "pending"));
        }
    }

    private enum StoreOutcome { Stored, UnknownSite, UnknownArticle, InvalidParent, TooSoon }

    /// <summary>
    /// Who sends: the keyed hash of the client address and the author key (the site's user id when vouched for, else the keyed
    /// email hash), each limited to one comment per window.
    /// </summary>
    private sealed record Sender(string? ClientKey, string? AuthorKey, string? UserId, string? EmailHash, SubmissionOptions Defaults);

    /// <summary>
    /// Reads what the comment needs (its site's policy, the article, the comment replied to), then hands it to the
    /// <see cref="SubmissionWriter"/>, which applies the senders' rate limits and stores the row with its
    /// <see cref="CommentsSubmitted"/> outbox message in one transaction, together with whatever else arrived meanwhile.
    /// </summary>
    private static async Task<(StoreOutcome, TimeSpan)> StoreAsync(
        NpgsqlDataSource dataSource, SubmissionWriter writer, string siteId, string articleId, Guid id, ValidComment comment,
        Sender sender, DateTimeOffset now, CancellationToken ct)
    {
        bool autoCreate;
        SubmissionLimits limits;
        Guid? rootId = null;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await using (var site = new NpgsqlCommand("SELECT auto_create_articles, policy::text FROM sites WHERE id = @site", connection))
            {
                site.Parameters.AddWithValue("site", siteId);
                await using var reader = await site.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct))
                {
                    return (StoreOutcome.UnknownSite, default);
                }

                autoCreate = reader.GetBoolean(0);
                limits = SubmissionLimits.Of(reader.GetString(1), sender.Defaults);
            }

            if (!autoCreate)
            {
                await using var article = new NpgsqlCommand("SELECT 1 FROM articles WHERE site_id = @site AND id = @article", connection);
                article.Parameters.AddWithValue("site", siteId);
                article.Parameters.AddWithValue("article", articleId);
                if (await article.ExecuteScalarAsync(ct) is null)
                {
                    return (StoreOutcome.UnknownArticle, default);
                }
            }

            if (comment.ParentId is { } parentId)
            {
                await using var parent = new NpgsqlCommand(
                    """
                    SELECT COALESCE(root_id, id) FROM comments
                    WHERE id = @parent AND site_id = @site AND article_id = @article AND status = 'approved'
                    """, connection);
                parent.Parameters.AddWithValue("parent", parentId);
                parent.Parameters.AddWithValue("site", siteId);
                parent.Parameters.AddWithValue("article", articleId);
                if (await parent.ExecuteScalarAsync(ct) is not Guid root)
                {
                    return (StoreOutcome.InvalidParent, default);
                }

                rootId = root;
            }
        }

        var senderLimits = new[] { new SenderLimit("client_key", sender.ClientKey ?? "", limits.PerClient), new SenderLimit("author_key", sender.AuthorKey ?? "", limits.PerAuthor) }
            .Where(l => l.Key.Length > 0 && l.Window > TimeSpan.Zero)
            .ToArray();
        var outcome = await writer.WriteAsync(
            new PendingComment(id, siteId, articleId, autoCreate, comment.ParentId, rootId, comment.AuthorName, sender.EmailHash,
                sender.UserId, sender.ClientKey, comment.Body, now, senderLimits),
            ct);
        return outcome.Stored ? (StoreOutcome.Stored, default) : (StoreOutcome.TooSoon, outcome.RetryAfter);
    }
}
