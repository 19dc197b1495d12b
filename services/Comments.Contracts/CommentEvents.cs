namespace Comments.Contracts;

/// <summary>
/// Comments stored together (one transaction of the Api's submission writer): one message for the group, so under load a
/// comment does not cost a message of its own to publish, confirm, deliver and acknowledge. A lone comment is a group of one.
/// </summary>
public sealed record CommentsSubmitted(IReadOnlyList<CommentSubmitted> Comments)
{
    /// <summary>Most comments one message carries.</summary>
    public const int MaxComments = 100;

    /// <summary>
    /// Comment text (characters) after which a group is closed (the comment that crosses the line still joins): the worker
    /// holds a batch of these messages in memory, so a flood of maximum-length comments makes smaller groups, not megabyte
    /// messages.
    /// </summary>
    public const int MaxChars = 100_000;
}

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
/// Decisions committed together (one batch of the worker, or one moderator action): one message for the group, as with
/// <see cref="CommentsSubmitted"/>.
/// </summary>
public sealed record CommentsModerated(IReadOnlyList<CommentModerated> Decisions);

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
