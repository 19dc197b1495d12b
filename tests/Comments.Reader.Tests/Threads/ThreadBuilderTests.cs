using Comments.Reader.Threads;

namespace Comments.Reader.Tests.Threads;

public sealed class ThreadBuilderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static CommentRow Row(int minute, Guid? parent = null, Guid? root = null, string body = "text") =>
        new(Guid.CreateVersion7(T0.AddMinutes(minute)), parent, root, "Author", body, T0.AddMinutes(minute));

    [Fact]
    public void NestsRepliesUnderTheirParentsAtAnyDepth()
    {
        var top = Row(0);
        var reply = Row(1, top.Id, top.Id);
        var replyToReply = Row(2, reply.Id, top.Id);

        var thread = ThreadBuilder.Build("s", "a", ThreadSort.Oldest, 50, 3, [top], [replyToReply, reply]);

        var comment = Assert.Single(thread.Comments);
        var nested = Assert.Single(comment.Replies);
        Assert.Equal(reply.Id, nested.Id);
        Assert.Equal(replyToReply.Id, Assert.Single(nested.Replies).Id);
    }

    [Fact]
    public void OrdersRepliesOldestFirstEvenWhenTopLevelIsNewestFirst()
    {
        var top = Row(0);
        var late = Row(9, top.Id, top.Id);
        var early = Row(3, top.Id, top.Id);

        var thread = ThreadBuilder.Build("s", "a", ThreadSort.Newest, 50, 3, [top], [late, early]);

        Assert.Equal([early.Id, late.Id], thread.Comments[0].Replies.Select(r => r.Id));
    }

    [Fact]
    public void KeepsTheTopLevelOrderItIsGiven()
    {
        var newer = Row(5);
        var older = Row(1);

        var thread = ThreadBuilder.Build("s", "a", ThreadSort.Newest, 50, 2, [newer, older], []);

        Assert.Equal([newer.Id, older.Id], thread.Comments.Select(c => c.Id));
        Assert.Equal("newest", thread.Sort);
    }

    [Fact]
    public void GivesACursorOnlyWhenAnotherPageExists()
    {
        var rows = Enumerable.Range(0, 3).Select(i => Row(i)).ToList();

        var full = ThreadBuilder.Build("s", "a", ThreadSort.Oldest, 2, 3, rows, []);
        var last = ThreadBuilder.Build("s", "a", ThreadSort.Oldest, 3, 3, rows, []);

        Assert.Equal(2, full.Comments.Count);
        Assert.True(ThreadCursor.TryDecode(full.NextCursor, out var cursor));
        Assert.Equal(rows[1].Id, cursor.Id);
        Assert.Equal(rows[1].CreatedAt, cursor.CreatedAt);
        Assert.Null(last.NextCursor);
        Assert.Equal(3, last.Comments.Count);
    }

    [Fact]
    public void HidesRepliesWhoseParentIsNotPublished()
    {
        var top = Row(0);
        var orphan = Row(2, Guid.CreateVersion7(), top.Id);

        var thread = ThreadBuilder.Build("s", "a", ThreadSort.Oldest, 50, 2, [top], [orphan]);

        Assert.Empty(thread.Comments[0].Replies);
    }

    [Fact]
    public void RendersBodiesAsSafeHtml()
    {
        var thread = ThreadBuilder.Build("s", "a", ThreadSort.Oldest, 50, 1, [Row(0, body: "<script>alert(1)</script>")], []);

        Assert.DoesNotContain("<script>", thread.Comments[0].BodyHtml, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", thread.Comments[0].BodyHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsTheTotalItIsGiven()
    {
        var thread = ThreadBuilder.Build("s", "a", ThreadSort.Oldest, 1, 42, [Row(0), Row(1)], []);

        Assert.Equal(42, thread.Total);
    }
}
