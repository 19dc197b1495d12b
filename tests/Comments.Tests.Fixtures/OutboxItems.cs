using System.Globalization;
using System.Text;
using Npgsql;

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

    /// <summary>
    /// Where a comment's messages are, for a timeout's failure message: its row's status, then each outbox message
    /// listing it (type, size, created, sent, attempts, last error). A comment that waited shows which hop held it.
    /// </summary>
    public static async Task<string> TraceAsync(NpgsqlDataSource db, Guid commentId)
    {
        ArgumentNullException.ThrowIfNull(db);
        var trace = new StringBuilder();
        await using (var row = db.CreateCommand("SELECT status, created_at, decided_at FROM comments WHERE id = @id"))
        {
            row.Parameters.AddWithValue("id", commentId);
            await using var reader = await row.ExecuteReaderAsync();
            trace.Append(await reader.ReadAsync()
                ? string.Create(CultureInfo.InvariantCulture, $"comment {reader.GetString(0)}, created {reader.GetDateTime(1):HH:mm:ss.fff}, decided {(reader.IsDBNull(2) ? "-" : reader.GetDateTime(2).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))}")
                : "no comment row");
        }
        await using var messages = db.CreateCommand(
            """
            SELECT o.message_type, jsonb_array_length(coalesce(o.payload->'comments', o.payload->'decisions')), o.created_at, o.sent_at, o.attempts, o.last_error
            FROM outbox o
            WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(o.payload->'comments', o.payload->'decisions')) e(item) WHERE e.item->>'commentId' = @id)
            ORDER BY o.id
            """);
        messages.Parameters.AddWithValue("id", commentId.ToString());
        await using var list = await messages.ExecuteReaderAsync();
        var any = false;
        while (await list.ReadAsync())
        {
            any = true;
            var type = list.GetString(0);
            trace.Append(string.Create(CultureInfo.InvariantCulture,
                $"; {type[(type.LastIndexOf('.') + 1)..]} of {list.GetInt32(1)} created {list.GetDateTime(2):HH:mm:ss.fff} sent {(list.IsDBNull(3) ? "-" : list.GetDateTime(3).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))} attempts {list.GetInt32(4)}{(list.IsDBNull(5) ? "" : " last error " + list.GetString(5))}"));
        }
        return any ? trace.ToString() : trace.Append("; no outbox message lists it").ToString();
    }
}
