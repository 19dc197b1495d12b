using System.Security.Claims;
using System.Text.Encodings.Web;
using Comments.ServiceDefaults.Database;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Comments.Api.Moderation;

/// <summary>The moderator behind a request, read from the claims <see cref="ModeratorTokenHandler"/> set.</summary>
public sealed record Moderator(Guid Id, string Name)
{
    public static Moderator From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!), user.FindFirstValue(ClaimTypes.Name)!);
    }
}

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c>: looks a well-formed moderator token's (<c>cmod_…</c>) SHA-256 up and turns the
/// moderator and their sites into claims.
/// Challenges and refusals answer problem details (401 with <c>WWW-Authenticate: Bearer</c>, 403).
/// </summary>
public sealed partial class ModeratorTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    NpgsqlDataSource dataSource,
    DatabaseResilience resilience)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ModeratorToken";
    public const string SiteClaim = "comments:site";
    public const string PolicyName = "SiteModerator";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // The only scheme, so the default one, runs on every request: a site key (csk_…) on the submit route, or anything
        // else not shaped like a moderator token, is not looked up (nor logged as refused); moderation routes still answer 401.
        var token = header["Bearer ".Length..].Trim();
        if (!ModeratorTokens.IsWellFormed(token))
        {
            return AuthenticateResult.NoResult();
        }

        var hash = ModeratorTokens.Hash(token);
        var principal = await resilience.Pipeline.ExecuteAsync(async ct => await LoadAsync(hash, ct), Context.RequestAborted);
        if (principal is null)
        {
            LogUnknownToken(Logger);
            return AuthenticateResult.Fail("Unknown or revoked token.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private async Task<ClaimsPrincipal?> LoadAsync(byte[] hash, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT m.id, m.name, array_remove(array_agg(ms.site_id), NULL)
            FROM moderators m LEFT JOIN moderator_sites ms ON ms.moderator_id = m.id
            WHERE m.token_hash = @hash AND m.revoked_at IS NULL
            GROUP BY m.id, m.name
            """);
        command.Parameters.AddWithValue("hash", hash);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, reader.GetGuid(0).ToString()),
            new(ClaimTypes.Name, reader.GetString(1)),
        };
        claims.AddRange(reader.GetFieldValue<string[]>(2).Select(site => new Claim(SiteClaim, site)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblemAsync(StatusCodes.Status401Unauthorized, "Moderator token required",
            "Send a valid moderator token as 'Authorization: Bearer <token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync(StatusCodes.Status403Forbidden, "Not a moderator of this site",
            "This token does not grant access to this site.");
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        var problems = Context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Moderation request with an unknown or revoked token refused")]
    private static partial void LogUnknownToken(ILogger logger);
}
