using Comments.Reader.Threads;

namespace Comments.Reader.Tests.Threads;

public sealed class ThreadCursorTests
{
    [Fact]
    public void RoundTripsItsPosition()
    {
        var cursor = new ThreadCursor(ThreadSort.Newest, new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), Guid.CreateVersion7());

        Assert.True(ThreadCursor.TryDecode(cursor.Encode(), out var decoded));
        Assert.Equal(cursor, decoded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-cursor")]
    [InlineData("AAAA")]
    [InlineData("////////////////////////////////////")]
    public void RefusesTextThatIsNotACursor(string text)
    {
        Assert.False(ThreadCursor.TryDecode(text, out _));
    }

    [Fact]
    public void IsUrlSafe()
    {
        for (var i = 0; i < 200; i++)
        {
            var encoded = new ThreadCursor(ThreadSort.Oldest, DateTimeOffset.UtcNow, Guid.NewGuid()).Encode();
            Assert.DoesNotContain(encoded, c => c is '+' or '/' or '=');
        }
    }
}
