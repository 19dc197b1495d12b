using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Comments.ServiceDefaults.Http;

/// <summary>Problem details every service answers the same way.</summary>
public static class Problems
{
    public static ProblemHttpResult UnknownSite(string siteId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown site", detail: $"There is no site '{siteId}'.");
}
