using Npgsql;

namespace Comments.Tests.Fixtures;

public static class TestComments
{
    /// <returns>The comment's moderation status, or null when there is no such comment.</returns>
    public static async Task<string?> StatusAsync(NpgsqlDataSource db, Guid id)
    {
        await using var command = db.CreateCommand("SELECT status FROM comments WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (string?)await command.ExecuteScalarAsync();
    }
}
