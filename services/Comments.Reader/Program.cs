using Comments.Reader.Counts;
using Comments.Reader.Demo;
using Comments.Reader.Live;
using Comments.Reader.Threads;
using Comments.Reader.Widget;
using Comments.ServiceDefaults;
using Comments.ServiceDefaults.Database;
using Comments.ServiceDefaults.Http;
using Comments.ServiceDefaults.Messaging;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCommentsDatabase();
builder.AddThreadCache();
builder.AddLiveEvents();
builder.AddWidget();
builder.AddCommentsMessaging(bus => bus.AddConsumer<CommentModeratedConsumer, CommentModeratedConsumerDefinition>());
builder.Services.AddSiteCors();
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseSiteCors();
app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapThreads();
app.MapCounts();
app.MapCommentStatus();
app.MapLiveEvents();
app.MapWidget();
app.MapDemoPage();

await app.RunAsync();
