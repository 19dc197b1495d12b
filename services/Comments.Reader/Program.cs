using Comments.Reader.Counts;
using Comments.Reader.Threads;
using Comments.ServiceDefaults;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Messaging;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCommentsDatabase();
builder.AddThreadCache();
builder.AddCommentsMessaging(bus => bus.AddConsumer<CommentModeratedConsumer, CommentModeratedConsumerDefinition>());
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapThreads();
app.MapCounts();

await app.RunAsync();
