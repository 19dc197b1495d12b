namespace Comments.Reader.Threads;

/// <summary>Builds the nested, rendered thread for one page of top-level comments. Pure: no I/O.</summary>
public static class ThreadBuilder
{
    /// <param name="topLevel">The page's top-level comments in display order, plus at most one extra row that signals a next page.</param>
    /// <param name="replies">Approved replies under those top-level comments, any depth, any order.</param>
    public static ThreadResponse Build(
        string siteId, string articleId, ThreadSort sort, int limit, int total,
        IReadOnlyList<CommentRow> topLevel, IReadOnlyList<CommentRow> replies)
    {
        var page = topLevel.Count > limit ? topLevel.Take(limit).ToList() : topLevel;
        var next = topLevel.Count > limit ? new ThreadCursor(sort, page[^1].CreatedAt, page[^1].Id).Encode() : null;

        // Replies always read oldest-first, whatever the top-level sort.
        var children = replies
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id)
            .ToLookup(r => r.ParentId);

        // A reply whose parent is not published (held, rejected, removed) is not shown: it would answer nothing visible.
        ThreadComment Render(CommentRow row, int depth) => new(
            row.Id,
            row.ParentId,
            row.AuthorName,
            row.CreatedAt,
            SafeHtml.Render(row.Body),
            depth > MaxDepth ? [] : children[row.Id].Select(child => Render(child, depth + 1)).ToList());

        return new ThreadResponse(siteId, articleId, sort == ThreadSort.Newest ? "newest" : "oldest", total, next,
            page.Select(row => Render(row, 1)).ToList());
    }

    /// <summary>A bound on nesting so a hostile reply chain cannot blow the stack or the response.</summary>
    public const int MaxDepth = 64;
}
