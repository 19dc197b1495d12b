using Comments.Reader.Threads;
using Microsoft.Extensions.Options;

namespace Comments.Reader.Tests.Threads;

/// <summary>The local page store on its own: what it may serve after invalidations, races and lost connections.</summary>
public sealed class LocalThreadPagesTests : IDisposable
{
    private readonly LocalThreadPages _pages = new(Options.Create(new ThreadCacheOptions { LocalPageTtl = TimeSpan.FromMinutes(1) }));
    private static readonly RenderedPage Page = new([1, 2, 3], "\"e\"");

    public LocalThreadPagesTests() => _pages.SetListening(true);

    public void Dispose() => _pages.Dispose();

    [Fact]
    public void ServesAStoredPage()
    {
        var stamp = _pages.Begin("s", "a");
        _pages.Set("k", stamp, Page);

        Assert.True(_pages.TryGet("k", _pages.Begin("s", "a"), out var page));
        Assert.Same(Page, page);
    }

    [Fact]
    public void ServesNothingOfAnArticleAfterItsInvalidation()
    {
        _pages.Set("k", _pages.Begin("s", "a"), Page);

        _pages.Invalidate("s", "a");

        Assert.False(_pages.TryGet("k", _pages.Begin("s", "a"), out _));
    }

    [Fact]
    public void NeverServesAPageReadBeforeAnInvalidationAndStoredAfterIt()
    {
        var stamp = _pages.Begin("s", "a");
        _pages.Invalidate("s", "a");

        _pages.Set("k", stamp, Page);

        Assert.False(_pages.TryGet("k", _pages.Begin("s", "a"), out _));
    }

    [Fact]
    public void ServesNothingWhileNotHearingInvalidations()
    {
        _pages.Set("k", _pages.Begin("s", "a"), Page);

        _pages.SetListening(false);
        _pages.Set("k2", _pages.Begin("s", "a"), Page);

        Assert.False(_pages.TryGet("k", _pages.Begin("s", "a"), out _));
        Assert.False(_pages.TryGet("k2", _pages.Begin("s", "a"), out _));
    }

    [Fact]
    public void ForgetsEverythingWhenListeningResumes()
    {
        _pages.Set("k", _pages.Begin("s", "a"), Page);

        _pages.SetListening(false);
        _pages.SetListening(true);

        Assert.False(_pages.TryGet("k", _pages.Begin("s", "a"), out _));
    }
}
