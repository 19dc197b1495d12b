using System.Text.Json;
using System.Threading.Channels;
using Comments.Contracts;
using Npgsql;

namespace Comments.ServiceDefaults.Outbox;

/// <summary>
/// Writes a message into the outbox table inside the caller's transaction: the message exists if and only if the data it
/// announces was committed. The dispatcher publishes it afterwards.
/// </summary>
public static class OutboxWriter
{
    /// <summary>How payloads are written (web defaults: camelCase names), for callers that build a payload in SQL from parts.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The head of an insert of one <see cref="OutboxRow"/>, for callers that write their data and its message in a single
    /// statement (append <c>FROM</c> a CTE that yields a row only when the data was written).
    /// </summary>
    public const string InsertSql =
        "INSERT INTO outbox (message_id, message_type, payload, created_at) SELECT @outbox_id, @outbox_type, @outbox_payload::jsonb, @outbox_now";

    public static OutboxRow Row<TMessage>(TMessage message, DateTimeOffset now)
        where TMessage : class =>
        new(Guid.CreateVersion7(now), MessageTypes.NameOf(typeof(TMessage)), JsonSerializer.Serialize(message, SerializerOptions), now);

    public static async Task EnqueueAsync<TMessage>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TMessage message, DateTimeOffset now, CancellationToken cancellationToken)
        where TMessage : class
    {
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        Row(message, now).AddParameters(command);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>One outbox message ready to insert; its parameters are the ones <see cref="OutboxWriter.InsertSql"/> names.</summary>
public sealed record OutboxRow(Guid MessageId, string MessageType, string Payload, DateTimeOffset CreatedAt)
{
    public void AddParameters(NpgsqlCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Parameters.AddWithValue("outbox_id", MessageId);
        command.Parameters.AddWithValue("outbox_type", MessageType);
        command.Parameters.AddWithValue("outbox_payload", Payload);
        command.Parameters.AddWithValue("outbox_now", CreatedAt);
    }
}

/// <summary>The contract types the outbox may carry, by a stable name (the type's full name is its wire identity).</summary>
public static class MessageTypes
{
    private static readonly Dictionary<string, Type> ByName = typeof(CommentSubmitted).Assembly.GetExportedTypes()
        .Where(type => type.Namespace == typeof(CommentSubmitted).Namespace && type.IsClass)
        .ToDictionary(type => type.FullName!, StringComparer.Ordinal);

    public static string NameOf(Type type) =>
        ByName.ContainsKey(type.FullName ?? string.Empty)
            ? type.FullName!
            : throw new ArgumentException($"{type} is not a message contract of Comments.Contracts.", nameof(type));

    public static Type? Resolve(string name) => ByName.GetValueOrDefault(name);
}

/// <summary>Wakes this instance's dispatcher right after a commit, so a message goes out in milliseconds, not at the next poll.</summary>
public sealed class OutboxSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed with no signal: look anyway, another instance may have written rows.
        }
    }
}
