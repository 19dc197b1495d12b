using Comments.Api.Seeds;
using Comments.Tests.Fixtures;
using Npgsql;

namespace Comments.Api.Tests.Seeds;

public sealed class SeedImporterTests
{
    private static string SeedsFolder() => Repository.PathOf("seeds");

    [Fact]
    public async Task ImportsTheDemoSiteArticleAndThreadAndAddsNothingTheSecondTime()
    {
        var servers = await Servers.GetAsync();
        await using var db = NpgsqlDataSource.Create(servers.Postgres);

        var first = await SeedImporter.ImportAsync(db, SeedsFolder(), CancellationToken.None);
        var second = await SeedImporter.ImportAsync(db, SeedsFolder(), CancellationToken.None);

        Assert.True(first.Sites >= 1 && first.Articles >= 1);
        Assert.Equal(0, second.CommentsAdded);

        await using var command = db.CreateCommand(
            """
            SELECT a.title, array_length(a.paragraphs, 1),
                   (SELECT count(*) FROM comments c WHERE c.site_id = 'demo' AND c.article_id = a.id AND c.status = 'approved'),
                   (SELECT count(*) FROM comments c WHERE c.site_id = 'demo' AND c.article_id = a.id AND c.parent_id IS NOT NULL)
            FROM articles a WHERE a.site_id = 'demo' AND a.id = 'article-karabakh'
            """);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.StartsWith("Putin says Karabakh", reader.GetString(0), StringComparison.Ordinal);
        Assert.True(reader.GetInt32(1) > 10);
        Assert.Equal(8, reader.GetInt64(2));
        Assert.Equal(4, reader.GetInt64(3));
    }
}
