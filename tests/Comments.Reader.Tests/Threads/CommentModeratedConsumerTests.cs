using Comments.Contracts;
using Comments.Reader.Live;
using Comments.Reader.Threads;
using Comments.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Comments.Reader.Tests.Threads;

/// <summary>
/// The Reader's handling of decisions with its real cache and live events on the real Redis and PostgreSQL, called directly:
/// through the shared broker other tests' Readers would compete for the message.
/// </summary>
public sealed class CommentModeratedConsumerTests : IAsyncLifetime
{
    private ServiceFactory<ReaderEntryPoint> _reader = null!;
    private NpgsqlDataSource _db = null!;
    private string _site = null!;

    public async Task InitializeAsync()
    {
        var servers = await Servers.GetAsync();
        _reader = new ServiceFactory<ReaderEntryPoint>(servers);
        _db = NpgsqlDataSource.Create(servers.Postgres);
        _site = await TestSites.CreateAsync(servers);
    }

    public async Task DisposeAsync()
    {
        await _reader.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<List<Guid>> ApprovedComments(string article, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
        await using var command = _db.CreateCommand(
            """
            INSERT INTO articles (site_id, id) VALUES (@site, @article) ON CONFLICT DO NOTHING;
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at, decided_at)
            SELECT id, @site, @article, 'Reader', 'Approved remark ' || id, 'approved', now(), now() FROM unnest(@ids) AS c(id);
            """);
        command.Parameters.AddWithValue("site", _site);
        command.Parameters.AddWithValue("article", article);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await command.ExecuteNonQueryAsync();
        return ids;
    }

    [Fact]
    public async Task OpenPagesAreToldWhatACommentIsNowWhenItsRejectionAndReapprovalArriveOutOfOrder()
    {
        // Rejected by mistake, then approved again: the approval's message is handled first, the rejection's last.
        var reapproved = (await ApprovedComments("order", 1))[0];
        var rejectedAfter = Guid.CreateVersion7(); // approved, then rejected: the rejection first, the approval last
        await using (var command = _db.CreateCommand(
            """
            INSERT INTO comments (id, site_id, article_id, author_name, body, status, created_at, decided_at)
            VALUES (@id, @site, 'order', 'Reader', 'Pulled remark', 'rejected', now(), now())
            """))
        {
            command.Parameters.AddWithValue("id", rejectedAfter);
            command.Parameters.AddWithValue("site", _site);
            await command.ExecuteNonQueryAsync();
        }

        var now = DateTimeOffset.UtcNow;
        await using var scope = _reader.Services.CreateAsyncScope();
        var consumer = ActivatorUtilities.CreateInstance<CommentModeratedConsumer>(scope.ServiceProvider);
        await consumer.HandleAsync([new CommentModerated(reapproved, _site, "order", "approved", [], now),
            new CommentModerated(rejectedAfter, _site, "order", "rejected", [], now)], CancellationToken.None);
        await consumer.HandleAsync([new CommentModerated(reapproved, _site, "order", "rejected", [], now.AddSeconds(-1)),
            new CommentModerated(rejectedAfter, _site, "order", "approved", [], now.AddSeconds(-1))], CancellationToken.None);

        var redis = _reader.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var events = (await redis.StreamRangeAsync(LiveEvents.StreamKey(_site, "order")))
            .Select(e => System.Text.Json.JsonDocument.Parse((string)e["e"]!).RootElement)
            .Select(e => $"{e.GetProperty("commentId").GetGuid()}:{e.GetProperty("type").GetString()}:{e.GetProperty("status").GetString()}")
            .ToList();
        Assert.Equal(
            [$"{reapproved}:approved:approved", $"{rejectedAfter}:status:rejected",
             $"{reapproved}:approved:approved", $"{rejectedAfter}:status:approved"],
            events);
    }

    [Fact]
    public async Task AnnouncesEveryDecisionOfMoreThanOneRoundInOrderWithItsComment()
    {
        // Two articles, so neither's event stream is trimmed (it keeps about 500), together more than one round.
        var first = await ApprovedComments("first", 300);
        var second = await ApprovedComments("second", CommentModeratedConsumer.MaxPerRound - 300 + 20);
        var now = DateTimeOffset.UtcNow;
        var decisions = first.Select(id => (Article: "first", Id: id)).Zip(second.Select(id => (Article: "second", Id: id)))
            .SelectMany(pair => new[] { pair.First, pair.Second })
            .Concat(first.Skip(second.Count).Select(id => (Article: "first", Id: id)))
            .Select(d => new CommentModerated(d.Id, _site, d.Article, "approved", [], now))
            .ToList();
        Assert.True(decisions.Count > CommentModeratedConsumer.MaxPerRound);

        await using var scope = _reader.Services.CreateAsyncScope();
        await ActivatorUtilities.CreateInstance<CommentModeratedConsumer>(scope.ServiceProvider).HandleAsync(decisions, CancellationToken.None);

        var redis = _reader.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        foreach (var (article, ids) in new[] { ("first", first), ("second", second) })
        {
            var recorded = await redis.StreamRangeAsync(LiveEvents.StreamKey(_site, article));
            Assert.Equal(ids.Count, recorded.Length);
            for (var i = 0; i < ids.Count; i++)
            {
                var json = (string)recorded[i]["e"]!;
                Assert.Contains("\"type\":\"approved\"", json, StringComparison.Ordinal);
                Assert.Contains($"Approved remark {ids[i]}", json, StringComparison.Ordinal);
            }
        }
    }
}
