using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comments.Api;
using Comments.Contracts;
using Comments.Moderation;
using Comments.Tests.Fixtures;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Comments.EndToEnd.Tests;

/// <summary>
/// RabbitMQ delivers at least once. A second delivery of a decided comment's <see cref="CommentsSubmitted"/> goes
/// through the real broker to the real worker and must change nothing. Runs alone so that this class's worker is the
/// only consumer of the queue, and the test waits until that worker has consumed the duplicate before it asserts.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class RedeliveryTests : IAsyncLifetime
{
    private ServiceFactory<ApiEntryPoint> _api = null!;
    private ServiceFactory<ModerationEntryPoint> _worker = null!;
    private HttpClient _client = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _api = new ServiceFactory<ApiEntryPoint>(servers);
        _worker = new ServiceFactory<ModerationEntryPoint>(servers).Started();
        _client = _api.CreateClient();
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _worker.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task ASecondDeliveryOfADecidedCommentIsConsumedAndChangesNothing()
    {
        var response = await _client.PostAsJsonAsync(
            $"/api/v1/sites/{_site}/articles/story/comments", new { authorName = "Reader", body = "Delivered twice" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var before = await Eventually.Within(TimeSpan.FromSeconds(10), async () =>
        {
            var row = await DecisionRow(id);
            return row.StartsWith("pending|", StringComparison.Ordinal) ? null : row;
        }, "comment decided");
        Assert.StartsWith("approved|", before, StringComparison.Ordinal);

        var consumed = new ConsumedSubmissions(id);
        using var connection = _worker.Services.GetRequiredService<IBus>().ConnectConsumeObserver(consumed);

        // Same id, different text: if the worker decided it again, the banned word would flip it to rejected.
        await using (var scope = _api.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IBus>()
                .Publish(new CommentsSubmitted([new CommentSubmitted(id, _site, "story", null, "Reader", "now an 1d10t text", DateTimeOffset.UtcNow)]));
        }

        await consumed.Consumed.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(before, await DecisionRow(id));
        Assert.Equal(1, await ModeratedEventsFor(id));
    }

    private async Task<string> DecisionRow(Guid id)
    {
        await using var command = _db.CreateCommand(
            "SELECT status || '|' || coalesce(reasons::text, '') || '|' || coalesce(decided_at::text, '') FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> ModeratedEventsFor(Guid id)
    {
        await using var command = _db.CreateCommand(
            $"SELECT count(*) FROM {OutboxItems.Relation} WHERE message_type = @type AND item->>'commentId' = @id");
        command.Parameters.AddWithValue("type", typeof(CommentsModerated).FullName!);
        command.Parameters.AddWithValue("id", id.ToString());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Completes when the worker has finished consuming (successfully or not) the submission of one comment id.</summary>
    private sealed class ConsumedSubmissions(Guid commentId) : IConsumeObserver
    {
        private readonly TaskCompletionSource _consumed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Consumed => _consumed.Task;

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.Message is CommentsSubmitted submitted && submitted.Comments.Any(c => c.CommentId == commentId))
            {
                _consumed.TrySetResult();
            }

            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
        {
            if (context.Message is CommentsSubmitted submitted && submitted.Comments.Any(c => c.CommentId == commentId))
            {
                _consumed.TrySetException(new InvalidOperationException("the worker failed on the duplicate", exception));
            }

            return Task.CompletedTask;
        }
    }
}
