namespace Comments.Api.Moderation;

/// <summary>Moderator actions in the service log: ids and states only, never comment text, author keys or tokens.</summary>
public static partial class ModerationLog
{
    public const string Category = "Comments.Api.Moderation";

    [LoggerMessage(Level = LogLevel.Information, Message = "Moderator {ModeratorId} moved comment {CommentId} on site {SiteId} from {PreviousStatus} to {Status}")]
    public static partial void Decided(ILogger logger, Guid moderatorId, Guid commentId, string siteId, string previousStatus, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moderator {ModeratorId} bulk {Action} on site {SiteId}: {Applied} of {Requested} applied")]
    public static partial void Bulk(ILogger logger, Guid moderatorId, string action, string siteId, int applied, int requested);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moderator {ModeratorId} created ban {BanId} on site {SiteId} until {ExpiresAt}; {Rejected} waiting comment(s) rejected")]
    public static partial void Banned(ILogger logger, Guid moderatorId, Guid banId, string siteId, DateTimeOffset? expiresAt, int rejected);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moderator {ModeratorId} lifted ban {BanId} on site {SiteId}")]
    public static partial void Lifted(ILogger logger, Guid moderatorId, Guid banId, string siteId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moderator {ModeratorId} changed the settings of site {SiteId}")]
    public static partial void SettingsChanged(ILogger logger, Guid moderatorId, string siteId);
}
