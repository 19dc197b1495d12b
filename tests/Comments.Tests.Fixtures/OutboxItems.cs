namespace Comments.Tests.Fixtures;

/// <summary>
/// Outbox messages carry comments in groups (<c>CommentsSubmitted.comments</c>, <c>CommentsModerated.decisions</c>); tests
/// that ask about one comment's message read them flattened.
/// </summary>
public static class OutboxItems
{
    /// <summary>
    /// A relation for a FROM clause: one row per comment per outbox message, with the message's <c>id</c>,
    /// <c>message_type</c> and <c>sent_at</c>, the comment's entry as <c>item</c> (jsonb) and its place in the message as
    /// <c>position</c> (from 1).
    /// </summary>
    public const string Relation =
        """
        (SELECT o.id, o.message_type, o.sent_at, e.item, e.position
         FROM outbox o, jsonb_array_elements(coalesce(o.payload->'comments', o.payload->'decisions')) WITH ORDINALITY AS e(item, position))
            AS outbox_items
        """;
}
