using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Comments.Reader.Threads;

/// <summary>A rendered page as this instance keeps it: the bytes sent and their ETag, computed once.</summary>
public sealed record RenderedPage(byte[] Body, string ETag);

/// <summary>
/// The per-instance first level in front of Redis: rendered pages for a few seconds, so a hot thread is served without a
/// network round trip. It is only filled while this instance hears invalidations (see <see cref="ThreadInvalidations"/>);
/// an invalidation, heard from any instance, makes the article's pages unreachable at once, and every entry expires after
/// <see cref="ThreadCacheOptions.LocalPageTtl"/> anyway, in case an announcement was lost.
/// </summary>
/// <remarks>
/// Invalidation bumps a counter (one of a fixed set, chosen by the article) instead of removing entries; an entry remembers
/// the counter's value from before its page was read and is served only while the counter still has it. So a page read
/// before an invalidation and stored after it is never served, and clearing everything is one increment.
/// </remarks>
public sealed class LocalThreadPages : IDisposable
{
    private const int Stripes = 4096;
    private readonly long[] _stripes = new long[Stripes];
    private readonly MemoryCache _pages;
    private readonly TimeSpan _ttl;
    private long _epoch;
    private volatile bool _listening;

    public LocalThreadPages(IOptions<ThreadCacheOptions> options)
    {
        _ttl = options.Value.LocalPageTtl;
        _pages = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = options.Value.LocalCacheBytes,
            ExpirationScanFrequency = TimeSpan.FromSeconds(10),
        });
    }

    /// <summary>Where this instance's knowledge of the article stands; take it before reading the page from Redis.</summary>
    public readonly record struct Stamp(int Stripe, long Value, long Epoch);

    public bool Enabled => _listening && _ttl > TimeSpan.Zero;

    public Stamp Begin(string siteId, string articleId)
    {
        var stripe = StripeOf(siteId, articleId);
        return new Stamp(stripe, Volatile.Read(ref _stripes[stripe]), Volatile.Read(ref _epoch));
    }

    public bool TryGet(string key, Stamp stamp, out RenderedPage page)
    {
        if (Enabled && _pages.TryGetValue(key, out Entry? entry) && entry is not null && entry.Stamp == stamp)
        {
            page = entry.Page;
            return true;
        }

        page = null!;
        return false;
    }

    /// <summary>Keeps a page read under <paramref name="stamp"/>; it is never served if the article changed meanwhile.</summary>
    public void Set(string key, Stamp stamp, RenderedPage page)
    {
        if (!Enabled || Begin(stamp) != stamp)
        {
            return;
        }

        _pages.Set(key, new Entry(stamp, page), new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = _ttl,
            Size = page.Body.Length + key.Length * 2 + 128,
        });
    }

    public void Invalidate(string siteId, string articleId) => Interlocked.Increment(ref _stripes[StripeOf(siteId, articleId)]);

    /// <summary>Forgets everything this instance holds.</summary>
    public void Clear() => Interlocked.Increment(ref _epoch);

    /// <summary>
    /// Whether this instance hears invalidations. While it does not (Redis connection lost, not yet subscribed), nothing is
    /// served or stored here; a change of state forgets everything, since announcements may have been missed.
    /// </summary>
    public void SetListening(bool listening)
    {
        Clear();
        _listening = listening;
        Clear();
    }

    public void Dispose() => _pages.Dispose();

    private Stamp Begin(Stamp stamp) => new(stamp.Stripe, Volatile.Read(ref _stripes[stamp.Stripe]), Volatile.Read(ref _epoch));

    private static int StripeOf(string siteId, string articleId) =>
        (int)((uint)HashCode.Combine(StringComparer.Ordinal.GetHashCode(siteId), StringComparer.Ordinal.GetHashCode(articleId)) % Stripes);

    private sealed record Entry(Stamp Stamp, RenderedPage Page);
}
