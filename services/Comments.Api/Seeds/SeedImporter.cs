using System.Text.Json;
using Npgsql;

namespace Comments.Api.Seeds;

public sealed record SeedSite(string Id, string Name, string[]? AllowedOrigins, bool AutoCreateArticles, JsonElement? Policy, string? ArticlesFolder);

public sealed record SeedComment(Guid Id, string Author, DateTimeOffset PostedAt, string Body, SeedComment[]? Replies);

public sealed record SeedThread(string Site, string Article, SeedComment[] Comments);

public sealed record SeedSummary(int Sites, int Articles, int CommentsAdded);

/// <summary>
/// Imports <c>seeds/</c>: sites (<c>sites/*.json</c>), article pages (each site's articles folder, id = file name),
/// and demo threads (<c>comments/*.json</c>, approved). Upserts by id in one transaction, so importing twice adds nothing.
/// </summary>
public static class SeedImporter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<SeedSummary> ImportAsync(NpgsqlDataSource dataSource, string folder, CancellationToken ct)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Seed folder {folder} does not exist.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        int sites = 0, articles = 0, comments = 0;

        foreach (var file in Directory.EnumerateFiles(Path.Combine(folder, "sites"), "*.json").Order(StringComparer.Ordinal))
        {
            var site = Read<SeedSite>(file);
            await using (var command = new NpgsqlCommand(
                """
                INSERT INTO sites (id, name, allowed_origins, auto_create_articles, policy)
                VALUES (@id, @name, @origins, @auto, @policy::jsonb)
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, allowed_origins = EXCLUDED.allowed_origins,
                    auto_create_articles = EXCLUDED.auto_create_articles, policy = EXCLUDED.policy
                """, connection, transaction))
            {
                command.Parameters.AddWithValue("id", site.Id);
                command.Parameters.AddWithValue("name", site.Name);
                command.Parameters.AddWithValue("origins", site.AllowedOrigins ?? []);
                command.Parameters.AddWithValue("auto", site.AutoCreateArticles);
                command.Parameters.AddWithValue("policy", site.Policy?.GetRawText() ?? "{}");
                await command.ExecuteNonQueryAsync(ct);
            }

            sites++;
            if (site.ArticlesFolder is null)
            {
                continue;
            }

            foreach (var page in Directory.EnumerateFiles(Path.Combine(folder, site.ArticlesFolder), "*.txt").Order(StringComparer.Ordinal))
            {
                var article = ArticlePageParser.Parse(Path.GetFileNameWithoutExtension(page), await File.ReadAllTextAsync(page, ct));
                await using var command = new NpgsqlCommand(
                    """
                    INSERT INTO articles (site_id, id, title, paragraphs) VALUES (@site, @id, @title, @paragraphs)
                    ON CONFLICT (site_id, id) DO UPDATE SET title = EXCLUDED.title, paragraphs = EXCLUDED.paragraphs
                    """, connection, transaction);
                command.Parameters.AddWithValue("site", site.Id);
                command.Parameters.AddWithValue("id", article.Id);
                command.Parameters.AddWithValue("title", article.Title);
                command.Parameters.AddWithValue("paragraphs", article.Paragraphs.ToArray());
                await command.ExecuteNonQueryAsync(ct);
                articles++;
            }
        }

        var threads = Path.Combine(folder, "comments");
        if (Directory.Exists(threads))
        {
            foreach (var file in Directory.EnumerateFiles(threads, "*.json").Order(StringComparer.Ordinal))
            {
                var thread = Read<SeedThread>(file);
                foreach (var comment in thread.Comments)
                {
                    comments += await InsertAsync(connection, transaction, thread, comment, parent: null, root: null, ct);
                }
            }
        }

        await transaction.CommitAsync(ct);
        return new SeedSummary(sites, articles, comments);
    }

    private static async Task<int> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, SeedThread thread, SeedComment comment, Guid? parent, Guid? root,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO comments (id, site_id, article_id, parent_id, root_id, author_name, body, status, reasons, created_at, decided_at)
            VALUES (@id, @site, @article, @parent, @root, @author, @body, 'approved', '["seeded demo comment"]', @at, @at)
            ON CONFLICT (id) DO NOTHING
            """, connection, transaction);
        command.Parameters.AddWithValue("id", comment.Id);
        command.Parameters.AddWithValue("site", thread.Site);
        command.Parameters.AddWithValue("article", thread.Article);
        command.Parameters.AddWithValue("parent", (object?)parent ?? DBNull.Value);
        command.Parameters.AddWithValue("root", (object?)root ?? DBNull.Value);
        command.Parameters.AddWithValue("author", comment.Author);
        command.Parameters.AddWithValue("body", comment.Body);
        command.Parameters.AddWithValue("at", comment.PostedAt);
        var added = await command.ExecuteNonQueryAsync(ct);

        foreach (var reply in comment.Replies ?? [])
        {
            added += await InsertAsync(connection, transaction, thread, reply, comment.Id, root ?? comment.Id, ct);
        }

        return added;
    }

    private static T Read<T>(string file) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(file), Json)
        ?? throw new InvalidDataException($"Seed file {file} is empty.");
}
