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
        DatabaseResilience resilience,
        AuthorHasher hasher,
        IOptions<SubmissionOptions> submissionOptions,
        OutboxSignal outboxSignal,
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
            async ct => await StoreAsync(dataSource, siteId, articleId, id, comment, sender, now, ct), cancellationToken);

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
                outboxSignal.Notify();
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
    /// The comment row and its <see cref="CommentSubmitted"/> outbox message are written by one statement, so they commit
    /// together or not at all (and cost one round trip, with no explicit transaction around it).
    /// </summary>
    private static async Task<(StoreOutcome, TimeSpan)> StoreAsync(
        NpgsqlDataSource dataSource, string siteId, string articleId, Guid id, ValidComment comment, Sender sender,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        bool autoCreate;
        string policy;
        await using (var site = new NpgsqlCommand("SELECT auto_create_articles, policy::text FROM sites WHERE id = @site", connection))
        {
            site.Parameters.AddWithValue("site", siteId);
            await using var reader = await site.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return (StoreOutcome.UnknownSite, default);
            }

            autoCreate = reader.GetBoolean(0);
            policy = reader.GetString(1);
        }

        var limits = SubmissionLimits.Of(policy, sender.Defaults);
        var wait = TimeSpan.Zero;
        // A rate limit takes a transaction-scoped lock on the sender until the comment is stored; without one, the single
        // insert statement below needs no explicit transaction.
        NpgsqlTransaction? transaction = null;
        try
        {
            foreach (var (column, key, window) in new[] { ("client_key", sender.ClientKey, limits.PerClient), ("author_key", sender.AuthorKey, limits.PerAuthor) })
            {
                if (key is not null && window > TimeSpan.Zero)
                {
                    transaction ??= await connection.BeginTransactionAsync(ct);
                    var last = await SubmissionLimits.LastCommentAsync(connection, transaction, siteId, column, key, ct);
                    if (last is { } at && now - at < window)
                    {
                        wait = TimeSpan.FromTicks(Math.Max(wait.Ticks, (window - (now - at)).Ticks));
                    }
                }
            }

            if (wait > TimeSpan.Zero)
            {
                return (StoreOutcome.TooSoon, wait);
            }

            if (!autoCreate)
            {
                await using var article = new NpgsqlCommand("SELECT 1 FROM articles WHERE site_id = @site AND id = @article", connection, transaction);
                article.Parameters.AddWithValue("site", siteId);
                article.Parameters.AddWithValue("article", articleId);
                if (await article.ExecuteScalarAsync(ct) is null)
                {
                    return (StoreOutcome.UnknownArticle, default);
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
                    return (StoreOutcome.InvalidParent, default);
                }

                rootId = root;
            }

            // The article row (when the site creates articles on first comment) is inserted in the same statement; the
            // foreign key is checked at the end of the statement, so it sees it.
            var createArticle = autoCreate
                ? "article AS (INSERT INTO articles (site_id, id, created_at) VALUES (@site, @article, @now) ON CONFLICT DO NOTHING),"
                : string.Empty;
            await using (var insert = new NpgsqlCommand(
                $"""
                WITH {createArticle}
                stored AS (
                    INSERT INTO comments (id, site_id, article_id, parent_id, root_id, author_name, author_email_hash, author_user_id, client_key, body,
                                          status, created_at)
                    VALUES (@id, @site, @article, @parent, @root, @name, @email, @user, @client, @body, 'pending', @now)
                    RETURNING id)
                {OutboxWriter.InsertSql} FROM stored
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("id", id);
                insert.Parameters.AddWithValue("site", siteId);
                insert.Parameters.AddWithValue("article", articleId);
                insert.Parameters.AddWithValue("parent", (object?)comment.ParentId ?? DBNull.Value);
                insert.Parameters.AddWithValue("root", (object?)rootId ?? DBNull.Value);
                insert.Parameters.AddWithValue("name", comment.AuthorName);
                insert.Parameters.AddWithValue("email", (object?)sender.EmailHash ?? DBNull.Value);
                insert.Parameters.AddWithValue("user", (object?)sender.UserId ?? DBNull.Value);
                insert.Parameters.AddWithValue("client", (object?)sender.ClientKey ?? DBNull.Value);
                insert.Parameters.AddWithValue("body", comment.Body);
                insert.Parameters.AddWithValue("now", now);
                OutboxWriter.Row(new CommentSubmitted(id, siteId, articleId, comment.ParentId, comment.AuthorName, comment.Body, now), now)
                    .AddParameters(insert);
                await insert.ExecuteNonQueryAsync(ct);
            }

            if (transaction is not null)
            {
                await transaction.CommitAsync(ct);
            }

            return (StoreOutcome.Stored, default);
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }
    }
}
