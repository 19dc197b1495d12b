using Comments.Moderation.Cli;
using Comments.Moderation.Moderation;
using Comments.ServiceDefaults;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Messaging;
using Comments.ServiceDefaults.Outbox;
using MassTransit;

if (ModelCommands.IsCommand(args))
{
    return await ModelCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCommentsDatabase();
builder.AddModeration();
builder.AddCommentsMessaging(bus => bus.AddConsumer<CommentSubmittedConsumer, CommentSubmittedConsumerDefinition>());
builder.Services.AddOutbox();

var app = builder.Build();

app.MapDefaultEndpoints();

await app.RunAsync();
return 0;
