using Comments.Api.Cli;
using Comments.Api.Comments;
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
builder.Services.AddSiteCors();
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseSiteCors();
app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapCommentSubmission();

await app.RunAsync();
return 0;
