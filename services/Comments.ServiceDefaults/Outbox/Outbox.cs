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
    internal static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web);

    public static async Task EnqueueAsync<TMessage>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TMessage message, DateTimeOffset now, CancellationToken cancellationToken)
        where TMessage : class
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO outbox (message_id, message_type, payload, created_at) VALUES (@id, @type, @payload::jsonb, @now)",
            connection, transaction);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7(now));
        command.Parameters.AddWithValue("type", MessageTypes.NameOf(typeof(TMessage)));
        command.Parameters.AddWithValue("payload", JsonSerializer.Serialize(message, SerializerOptions));
        command.Parameters.AddWithValue("now", now);
        await command.ExecuteNonQueryAsync(cancellationToken);
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
