using System.Text.Json.Serialization;
using Comments.Reader.Threads;

namespace Comments.Reader.Live;

/// <summary>
/// What a page learns without reloading: <c>approved</c> carries the rendered comment to insert; <c>status</c> tells the
/// author's own page that a comment was held, rejected or removed (no body).
/// </summary>
public sealed record LiveEvent(string Type, Guid CommentId, string Status, ThreadComment? Comment);

/// <summary>An event as it reaches an open connection: its stream id is the SSE event id.</summary>
public sealed record LiveMessage(string Id, string SiteId, string ArticleId, LiveEvent Event);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LiveEvent))]
public sealed partial class LiveJsonContext : JsonSerializerContext;
