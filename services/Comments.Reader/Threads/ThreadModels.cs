using System.Text.Json;
using System.Text.Json.Serialization;

namespace Comments.Reader.Threads;

public sealed record ThreadComment(
    Guid Id,
    Guid? ParentId,
    string AuthorName,
    DateTimeOffset CreatedAt,
    string BodyHtml,
    IReadOnlyList<ThreadComment> Replies);

public sealed record ThreadResponse(
    string SiteId,
    string ArticleId,
    string Sort,
    int Total,
    string? NextCursor,
    IReadOnlyList<ThreadComment> Comments);

/// <summary>An approved comment as read from the database, before rendering.</summary>
public sealed record CommentRow(Guid Id, Guid? ParentId, Guid? RootId, string AuthorName, string Body, DateTimeOffset CreatedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ThreadResponse))]
[JsonSerializable(typeof(Counts.CountsResponse))]
[JsonSerializable(typeof(CommentStatusResponse))]
public sealed partial class ReaderJsonContext : JsonSerializerContext;
