using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Comments.Api.Comments;
using Comments.Api.Http;
using Comments.Api.Moderation;
using Comments.Contracts;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Api.Reports;

public sealed class ReportOptions
{
    public const string SectionName = "Reports";

    /// <summary>Reports one client address may send per <see cref="Window"/>, across all comments.</summary>
    [Range(1, 100_000)]
    public int PermitLimit { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Open reports that pull an approved comment from its thread, for sites that set no <c>reportThreshold</c>.</summary>
    [Range(1, 100)]
    public int DefaultThreshold { get; set; } = 3;
}

public sealed record ReportRequest(string? Reason);

public sealed record ReportResponse(Guid CommentId, string Status);

/// <summary>
/// Readers report a published comment (no token, limited per client address). Each client counts once per comment; when the
/// open reports reach the site's threshold, the comment leaves its thread for the moderators' <c>reported</c> queue.
/// </summary>
public static partial class ReportCommentEndpoint
{
    public const string RateLimitPolicy = "reports";
    public const long MaxRequestBytes = 4 * 1024;

    public static readonly string[] Reasons = ["spam", "abusive", "off_topic", "other"];

    public static IHostApplicationBuilder AddCommentReports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReportOptions>()
            .BindConfiguration(ReportOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, ct) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many reports", Detail = "Try again later." },
                });
            };
            limiter.AddPolicy(RateLimitPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<IOptions<ReportOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = options.Window,
                    QueueLimit = 0,
                });
            });
        });
        return builder;
    }

    public static RouteGroupBuilder MapCommentReports(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}/comments/{id:guid}/reports").WithTags("Reports");
        group.MapPost("/", ReportComment)
            .WithName("ReportComment")
            .WithSummary("Report a published comment; enough reports pull it from the thread for review.")
            .Accepts<ReportRequest>("application/json")
            .RequireRateLimiting(RateLimitPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    public static async Task<Results<Accepted<ReportResponse>, ValidationProblem, ProblemHttpResult>> ReportComment(
        string siteId,
        Guid id,
        HttpRequest httpRequest,
        NpgsqlDataSource dataSource,
        DatabaseResilience resilience,
        AuthorHasher hasher,
        OutboxSignal outboxSignal,
        IOptions<ReportOptions> options,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await Http.JsonBody.ReadAsync<ReportRequest>(httpRequest, MaxRequestBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (request!.Reason is null || !Reasons.Contains(request.Reason, StringComparer.Ordinal))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [$"One of {string.Join(", ", Reasons)}."] });
        }

        // A keyed hash of the address: one vote per reader and comment, and no address stored.
        var reporterKey = hasher.Hash(siteId, "report:" + ClientKey(httpRequest.HttpContext));
        var outcome = await resilience.Pipeline.ExecuteAsync(
            async ct => await StoreAsync(dataSource, siteId, id, request.Reason, reporterKey, options.Value.DefaultThreshold, time.GetUtcNow(), ct),
            cancellationToken);

        switch (outcome)
        {
            case Outcome.UnknownComment:
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown comment",
                    detail: "There is no published comment with this id on this site.");
            case Outcome.Pulled:
                outboxSignal.Notify();
                var logger = loggerFactory.CreateLogger(typeof(ReportCommentEndpoint));
                LogPulled(logger, id, siteId);
                break;
        }

        return TypedResults.Accepted((string?)null, new ReportResponse(id, "received"));
    }

    private enum Outcome { UnknownComment, Recorded, Pulled }

    private static async Task<Outcome> StoreAsync(
        NpgsqlDataSource dataSource, string siteId, Guid id, string reason, string reporterKey, int defaultThreshold,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        string? status = null, articleId = null, policy = null;
        await using (var load = new NpgsqlCommand(
            """
            SELECT c.status, c.article_id, s.policy::text FROM comments c JOIN sites s ON s.id = c.site_id
            WHERE c.id = @id AND c.site_id = @site FOR UPDATE OF c
            """, connection, transaction))
        {
            load.Parameters.AddWithValue("id", id);
            load.Parameters.AddWithValue("site", siteId);
            await using var reader = await load.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                (status, articleId, policy) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            }
        }

        // Only what readers can see (or just saw) can be reported.
        if (status is not ("approved" or "reported"))
        {
            return Outcome.UnknownComment;
        }

        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO comment_reports (id, comment_id, site_id, reporter_key, reason, created_at)
            VALUES (@rid, @id, @site, @reporter, @reason, @now)
            ON CONFLICT (comment_id, reporter_key) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("rid", Guid.CreateVersion7(now));
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("site", siteId);
            insert.Parameters.AddWithValue("reporter", reporterKey);
            insert.Parameters.AddWithValue("reason", reason);
            insert.Parameters.AddWithValue("now", now);
            if (await insert.ExecuteNonQueryAsync(ct) == 0 || status != "approved")
            {
                await transaction.CommitAsync(ct);
                return Outcome.Recorded;
            }
        }

        long open;
        await using (var count = new NpgsqlCommand(
            "SELECT count(*) FROM comment_reports WHERE comment_id = @id AND resolved_at IS NULL", connection, transaction))
        {
            count.Parameters.AddWithValue("id", id);
            open = (long)(await count.ExecuteScalarAsync(ct))!;
        }

        if (open < SiteSettings.ReportThresholdOf(policy!, defaultThreshold))
        {
            await transaction.CommitAsync(ct);
            return Outcome.Recorded;
        }

        await using (var pull = new NpgsqlCommand(
            "UPDATE comments SET status = 'reported', decided_at = @now WHERE id = @id AND status = 'approved'", connection, transaction))
        {
            pull.Parameters.AddWithValue("id", id);
            pull.Parameters.AddWithValue("now", now);
            await pull.ExecuteNonQueryAsync(ct);
        }

        var eventReason = $"reported by readers ({open} reports)";
        await AuditLog.WriteAsync(connection, transaction, new AuditEntry(siteId, null, "pull_reported", CommentId: id,
            Reason: eventReason, BeforeStatus: "approved", AfterStatus: "reported", Details: new { reports = open }), now, ct);
        await OutboxWriter.EnqueueAsync(connection, transaction,
            new CommentsModerated([new CommentModerated(id, siteId, articleId!, "reported", [eventReason], now)]), now, ct);
        await transaction.CommitAsync(ct);
        return Outcome.Pulled;
    }

    private static string ClientKey(HttpContext http) => ClientAddress.Of(http) ?? "unknown";

    [LoggerMessage(Level = LogLevel.Information, Message = "Comment {CommentId} on site {SiteId} pulled from its thread by readers' reports")]
    private static partial void LogPulled(ILogger logger, Guid commentId, string siteId);
}
