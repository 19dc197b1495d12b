using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Comments.ServiceDefaults.Database;

/// <summary>
/// Guards request-path database work: a timeout so a dead or hung PostgreSQL answers quickly, and a circuit breaker so
/// a down database is not hammered. Failures surface as <see cref="DatabaseUnavailableHandler"/>'s 503.
/// </summary>
public sealed class DatabaseResilience
{
    /// <summary>Longest a request waits for the database before it answers 503.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    public ResiliencePipeline Pipeline { get; } = new ResiliencePipelineBuilder()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 5,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = TimeSpan.FromSeconds(3),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsUnavailable),
        })
        .AddTimeout(RequestTimeout)
        .Build();

    public static bool IsUnavailable(Exception exception) => exception switch
    {
        TimeoutRejectedException or BrokenCircuitException or SocketException or TimeoutException => true,
        PostgresException postgres => postgres.IsTransient || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException => true,
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };
}

/// <summary>Answers 503 problem details (with Retry-After) when the database is unreachable, instead of a 500 or a hang.</summary>
public sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problemDetails, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseResilience.IsUnavailable(exception))
        {
            return false;
        }

        LogUnavailable(logger, exception.GetType().Name);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The comment store is temporarily unavailable.",
                Detail = "Nothing was written. Try again in a few seconds.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable ({ExceptionType}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string exceptionType);
}

public static class DatabaseResilienceExtensions
{
    public static IServiceCollection AddDatabaseResilience(this IServiceCollection services)
    {
        services.AddSingleton<DatabaseResilience>();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        return services;
    }
}
