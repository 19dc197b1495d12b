using Comments.ServiceDefaults.Database;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Comments.Api.Authors;

/// <summary>The site's user a site backend submits for: <c>author: { id, name, email? }</c>, accepted only with a site key.</summary>
public sealed record SiteAuthor(string? Id, string? Name, string? Email);

/// <summary>
/// Who vouches for a comment's author. A site key (<c>Authorization: Bearer csk_…</c>) of the site may name one of its users
/// in <c>author</c>; a signed user token in <see cref="SsoTokens.Header"/> names the signed-in reader; with neither, the
/// author is whoever the form says (anonymous, keyed by email hash). Every refusal happens before anything is written.
/// </summary>
public static partial class AuthorIdentity
{
    public const int MaxKeyLength = 200;

    public sealed record Outcome(VouchedAuthor? Author, bool ByBackend, ProblemHttpResult? Problem, ValidationProblem? Invalid);

    public static async Task<Outcome> ResolveAsync(
        HttpRequest request, string siteId, SiteAuthor? author, NpgsqlDataSource dataSource, DatabaseResilience resilience,
        TimeProvider time, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(resilience);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            return await BySiteKeyAsync(request, siteId, author, authorization, dataSource, resilience, logger, ct);
        }

        if (author is not null)
        {
            return new Outcome(null, false, null, TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["author"] = ["A user id is accepted only from the site's backend, with its site key ('Authorization: Bearer <site key>')."],
            }, title: "The comment was not accepted."));
        }

        var token = request.Headers[SsoTokens.Header].ToString();
        if (token.Length == 0)
        {
            return new Outcome(null, false, null, null);
        }

        var secret = await resilience.Pipeline.ExecuteAsync(async c => await SsoTokens.SecretOfAsync(dataSource, siteId, c), ct);
        if (secret is null)
        {
            LogRefusedUserToken(logger, siteId, "no SSO secret");
            return Refused("Signed user tokens not accepted", "This site has no SSO secret; its user tokens cannot be verified.");
        }

        var (user, error) = SsoTokens.Verify(token.Trim(), secret, siteId, time.GetUtcNow());
        if (user is null)
        {
            LogRefusedUserToken(logger, siteId, error!);
            return Refused("Invalid user token", error!);
        }

        return new Outcome(user, false, null, null);
    }

    private static async Task<Outcome> BySiteKeyAsync(
        HttpRequest request, string siteId, SiteAuthor? author, string authorization, NpgsqlDataSource dataSource,
        DatabaseResilience resilience, ILogger logger, CancellationToken ct)
    {
        var key = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : "";
        var keySite = key.Length is 0 or > MaxKeyLength
            ? null
            : await resilience.Pipeline.ExecuteAsync(async c => await SiteKeys.SiteOfAsync(dataSource, key, c), ct);
        if (keySite is null)
        {
            LogRefusedSiteKey(logger, siteId, "unknown or revoked");
            request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return Refused("Site key required", "Send a site key of this site in force as 'Authorization: Bearer <site key>'.");
        }

        if (!string.Equals(keySite, siteId, StringComparison.Ordinal))
        {
            LogRefusedSiteKey(logger, siteId, "another site's key");
            return new Outcome(null, true, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Site key of another site",
                detail: "This site key does not grant access to this site."), null);
        }

        // The backend speaks for many readers from one address, so only the per-author limit can apply: it must name the author.
        if (author is null)
        {
            return new Outcome(null, true, null, TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["author"] = ["A site key submits for one of the site's users: send author { id, name, email? }."],
            }, title: "The comment was not accepted."));
        }

        if (!AuthorKeys.IsValidUserId(author.Id))
        {
            return new Outcome(null, true, null, TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["author.id"] = [$"The user id must be 1–{AuthorKeys.MaxUserIdLength} printable characters without surrounding spaces."],
            }, title: "The comment was not accepted."));
        }

        return new Outcome(new VouchedAuthor(author.Id!, author.Name ?? "", string.IsNullOrWhiteSpace(author.Email) ? null : author.Email), true, null, null);
    }

    private static Outcome Refused(string title, string detail) =>
        new(null, false, TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title, detail: detail), null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Comment for site {SiteId} refused: site key {Why}")]
    private static partial void LogRefusedSiteKey(ILogger logger, string siteId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Comment for site {SiteId} refused: user token {Why}")]
    private static partial void LogRefusedUserToken(ILogger logger, string siteId, string why);
}
