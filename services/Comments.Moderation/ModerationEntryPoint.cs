namespace Comments.Moderation;

/// <summary>Marks this assembly for test hosts (<c>WebApplicationFactory&lt;ModerationEntryPoint&gt;</c>).</summary>
public sealed class ModerationEntryPoint;
