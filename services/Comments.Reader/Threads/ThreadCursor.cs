using System.Buffers.Binary;
using System.Buffers.Text;

namespace Comments.Reader.Threads;

public enum ThreadSort { Oldest, Newest }

/// <summary>
/// Keyset position after the last top-level comment of a page: (created_at, id) plus the sort it belongs to.
/// Opaque to clients (base64url), so the encoding can change without breaking the API's shape.
/// </summary>
public readonly record struct ThreadCursor(ThreadSort Sort, DateTimeOffset CreatedAt, Guid Id)
{
    private const int Length = 1 + 8 + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        bytes[0] = (byte)Sort;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], CreatedAt.UtcTicks);
        Id.TryWriteBytes(bytes[9..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string? text, out ThreadCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64 || !Base64Url.IsValid(text))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[48];
        if (!Base64Url.TryDecodeFromChars(text, bytes, out var written) || written != Length || bytes[0] > (byte)ThreadSort.Newest)
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        cursor = new ThreadCursor((ThreadSort)bytes[0], new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[9..Length], bigEndian: true));
        return true;
    }
}
