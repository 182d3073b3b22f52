/// report.html: report.md's own text rendered as one self-contained page, with every chart inlined as
/// SVG, so that it can be mailed or opened anywhere without its folder. No script, no external
/// style sheet, font or image.
public enum HTMLReport {
    /// - Parameters:
    ///   - markdown: the text of report.md.
    ///   - charts: the charts it links, whose SVG replaces each link.
    public static func make(markdown: String, charts: [Chart], title: String) -> String {
        let svgs = Dictionary(charts.map { ($0.path, $0.svg) }, uniquingKeysWith: { a, _ in a })
        let converter = MarkdownHTML { alt, src in
            svgs[src].map { "<div class=\"chart\" role=\"img\" aria-label=\"\(MarkdownHTML.escape(alt))\">\n\($0)</div>" }
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="dealcast">
            <title>\(MarkdownHTML.escape(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <main>
            \(converter.render(markdown))</main>
            </body>
            </html>

            """
    }

    /// Print-friendly, readable defaults; wide tables scroll inside their own box.
    static let style = """
        body { margin: 0; background: #ffffff; color: #1f2328; font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
        main { max-width: 1040px; margin: 0 auto; padding: 24px 32px 64px; }
        h1 { font-size: 1.9em; border-bottom: 1px solid #d8dee4; padding-bottom: .3em; }
        h2 { font-size: 1.45em; border-bottom: 1px solid #d8dee4; padding-bottom: .3em; margin-top: 2em; }
        h3 { font-size: 1.15em; margin-top: 1.6em; }
        code { font: 0.88em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: .1em .3em; border-radius: 4px; }
        pre code { display: block; padding: 12px; overflow-x: auto; }
        .table { overflow-x: auto; margin: 1em 0; }
        table { border-collapse: collapse; font-size: 0.9em; }
        th, td { border: 1px solid #d0d7de; padding: 5px 10px; vertical-align: top; text-align: left; }
        th { background: #f6f8fa; }
        tr:nth-child(even) td { background: #fafbfc; }
        figure { margin: 1.2em 0; }
        .chart svg { max-width: 100%; height: auto; display: block; }
        a { color: #0969da; }
        blockquote { margin: 1em 0; padding: 0 1em; color: #57606a; border-left: 4px solid #d0d7de; }
        @media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
        """
}
