using System.ComponentModel.DataAnnotations;

namespace Comments.ServiceDefaults.Outbox;

public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often the dispatcher looks for unsent rows when nothing woke it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// Longest pause of the dispatcher after a round in which nothing could be published, and longest wait of a failing
    /// row before it is tried again (its wait starts at 200 ms and doubles with each failure).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a sent row is kept (for tracing a message back) before the dispatcher deletes it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan RetainSent { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the dispatcher deletes sent rows older than <see cref="RetainSent"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Off where a service only writes to the outbox and another instance dispatches.</summary>
    public bool DispatcherEnabled { get; set; } = true;
}
