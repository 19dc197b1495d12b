using Microsoft.AspNetCore.Authentication;
using Microsoft.Net.Http.Headers;

namespace Comments.Api.Moderation;

public static class ModerationEndpoints
{
    public const string ConsolePath = "/moderation";

    /// <summary>Moderator-token authentication and the per-site policy every moderation route requires.</summary>
    public static IHostApplicationBuilder AddModerationApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ModeratorTokenHandler>(ModeratorTokenHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ModeratorTokenHandler.PolicyName, policy => policy
                .AddAuthenticationSchemes(ModeratorTokenHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => context.Resource is HttpContext http
                    && http.GetRouteValue("siteId") is string site
                    && context.User.HasClaim(ModeratorTokenHandler.SiteClaim, site)));
        return builder;
    }

    /// <summary>The moderator console: static files under <c>wwwroot/moderation</c>, same-origin scripts only.</summary>
    public static IApplicationBuilder UseModerationConsole(this IApplicationBuilder app)
    {
        var files = ConsoleFiles(app);
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = ConsolePath, FileProvider = files });
        return app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = ConsolePath,
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers[HeaderNames.ContentSecurityPolicy] =
                    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers[HeaderNames.CacheControl] = "no-cache";
            },
        });
    }

    public static RouteGroupBuilder MapModeration(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sites/{siteId}/moderation")
            .WithTags("Moderation")
            .RequireAuthorization(ModeratorTokenHandler.PolicyName)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/queue", QueueEndpoints.GetQueue).WithName("GetModerationQueue")
            .WithSummary("Comments of one state, with scores, reasons, reports and the author's history.");
        group.MapPost("/comments/{id:guid}/approve", CommentDecisions.Approve).WithName("ApproveComment")
            .WithSummary("Approve a comment (it appears in its thread at once).")
            .Accepts<ApproveRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/comments/{id:guid}/reject", CommentDecisions.Reject).WithName("RejectComment")
            .WithSummary("Reject a comment with a reason code (it leaves its thread at once).")
            .Accepts<RejectRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/comments/bulk/approve", CommentDecisions.BulkApprove).WithName("BulkApproveComments")
            .WithSummary("Approve up to 100 comments; each id gets its own result.")
            .Accepts<BulkApproveRequest>("application/json");
        group.MapPost("/comments/bulk/reject", CommentDecisions.BulkReject).WithName("BulkRejectComments")
            .WithSummary("Reject up to 100 comments; each id gets its own result.")
            .Accepts<BulkRejectRequest>("application/json");
        group.MapGet("/bans", Bans.ListBans).WithName("ListBans")
            .WithSummary("Bans in force (all bans with includeInactive=true).");
        group.MapPost("/bans", Bans.CreateBan).WithName("CreateBan")
            .WithSummary("Ban an author key for a duration or permanently, optionally rejecting their pending and held comments.")
            .Accepts<CreateBanRequest>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/bans/{banId:guid}/lift", Bans.LiftBan).WithName("LiftBan")
            .WithSummary("Lift a ban in force.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/settings", SiteSettings.GetSettings).WithName("GetSiteSettings")
            .WithSummary("The site's moderation settings.");
        group.MapPut("/settings", SiteSettings.PutSettings).WithName("PutSiteSettings")
            .WithSummary("Replace the site's moderation settings; effective for the next comment.")
            .Accepts<SiteSettingsDocument>("application/json");
        group.MapGet("/audit", AuditLog.GetAudit).WithName("GetModerationAudit")
            .WithSummary("Every moderator action on the site, newest first.");
        return group;
    }

    private static Microsoft.Extensions.FileProviders.PhysicalFileProvider ConsoleFiles(IApplicationBuilder app)
    {
        var environment = app.ApplicationServices.GetRequiredService<IWebHostEnvironment>();
        return new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.Combine(environment.WebRootPath ?? Path.Combine(environment.ContentRootPath, "wwwroot"), "moderation"));
    }
}
