namespace Comments.Api;

/// <summary>Marks this assembly for test hosts (<c>WebApplicationFactory&lt;ApiEntryPoint&gt;</c>).</summary>
public sealed class ApiEntryPoint;
