namespace Comments.Reader;

/// <summary>Marks this assembly for test hosts (<c>WebApplicationFactory&lt;ReaderEntryPoint&gt;</c>).</summary>
public sealed class ReaderEntryPoint;
