namespace Comments.Contracts;

/// <summary>A reader or a site backend submitted a comment; it is stored as pending and awaits moderation.</summary>
public sealed record CommentSubmitted(
    Guid CommentId,
    string SiteId,
    string ArticleId,
    Guid? ParentId,
    string AuthorName,
    string Body,
    DateTimeOffset SubmittedAt);

/// <summary>
/// The moderation decision for a comment was committed; <see cref="Status"/> is approved, held, rejected, or reported (pulled
/// from its thread by readers' reports until a moderator decides). Written by the worker and by moderator actions alike.
/// </summary>
public sealed record CommentModerated(
    Guid CommentId,
    string SiteId,
    string ArticleId,
    string Status,
    IReadOnlyList<string> Reasons,
    DateTimeOffset DecidedAt);
