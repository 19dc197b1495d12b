using Comments.Api.Cli;
using Comments.Api.Comments;
using Comments.Api.Moderation;
using Comments.Api.Reports;
using Comments.ServiceDefaults;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;

if (CommandLine.IsCommand(args))
{
    return await CommandLine.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCommentsDatabase();
builder.AddCommentsMessaging();
builder.Services.AddOutbox();
builder.AddCommentSubmission();
builder.AddModerationApi();
builder.AddCommentReports();
builder.Services.AddSiteCors();
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseSiteCors();
app.UseModerationConsole();
// Explicit, so they run inside the exception handler (a database outage during token lookup answers 503).
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapCommentSubmission();
app.MapModeration();
app.MapCommentReports();

await app.RunAsync();
return 0;
