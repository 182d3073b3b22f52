@testable import DealcastReport
import XCTest

/// The markdown subset Dealcast writes, rendered as GitHub renders it.
final class MarkdownHTMLTests: XCTestCase {
    let md = MarkdownHTML()

    func testTablesSplitOnUnescapedPipesOnly() {
        let html = md.render("| A | B |\n| --- | --- |\n| x \\| y | `a_b` |\n")
        XCTAssertEqual(html, "<div class=\"table\"><table>\n<thead><tr><th>A</th><th>B</th></tr></thead>\n<tbody>\n<tr><td>x | y</td><td><code>a_b</code></td></tr>\n</tbody></table></div>\n")
    }

    func testUnderscoresInsideWordsStayCharacters() {
        XCTAssertEqual(md.inline("capex_return and post_money_valuation"), "capex_return and post_money_valuation")
    }

    func testHTMLInTextIsEscapedNotInterpreted() {
        XCTAssertEqual(md.render("# Title <b>\n\nP < 5% & AT&T \"quoted\"\n"),
                       "<h1 id=\"title-b\">Title &lt;b&gt;</h1>\n<p>P &lt; 5% &amp; AT&amp;T &quot;quoted&quot;</p>\n")
    }

    func testCodeSpansStrongEmphasisAndEscapes() {
        XCTAssertEqual(md.inline("**Bold** and *em* and `<x>` and \\*literal\\*"),
                       "<strong>Bold</strong> and <em>em</em> and <code>&lt;x&gt;</code> and *literal*")
    }

    func testBareLinksAreLinkedWithoutTrailingPunctuation() {
        XCTAssertEqual(md.inline("see (https://example.com/a_(b)/c?x=1&y=2)."),
                       "see (<a href=\"https://example.com/a_(b)/c?x=1&amp;y=2\">https://example.com/a_(b)/c?x=1&amp;y=2</a>).")
    }

    func testLinksAndBracketsThatAreNotLinks() {
        XCTAssertEqual(md.inline("tranches[0].amount and [docs](docs/report.md)"),
                       "tranches[0].amount and <a href=\"docs/report.md\">docs</a>")
    }

    func testAnImageAloneInItsParagraphIsAFigureThatTheCallerMayReplace() {
        let inline = MarkdownHTML { alt, src in "<svg>\(alt)|\(src)</svg>" }
        XCTAssertEqual(inline.render("![A chart](charts/x.svg)\n"), "<figure><svg>A chart|charts/x.svg</svg></figure>\n")
        XCTAssertEqual(md.render("![A chart](charts/x.svg)\n"), "<figure><img src=\"charts/x.svg\" alt=\"A chart\"></figure>\n")
    }

    func testListsHeadingsAndParagraphs() {
        let html = md.render("## What drives `x.y`\n\nLine one\nline two.\n\n- first\n- second\n  continued\n\n1. one\n2. two\n")
        XCTAssertEqual(html, """
            <h2 id="what-drives-xy">What drives <code>x.y</code></h2>
            <p>Line one
            line two.</p>
            <ul>
            <li>first</li>
            <li>second
            continued</li>
            </ul>
            <ol>
            <li>one</li>
            <li>two</li>
            </ol>

            """)
    }

    func testRepeatedHeadingsGetDistinctAnchors() {
        XCTAssertEqual(md.render("## Notes\n\n## Notes\n"), "<h2 id=\"notes\">Notes</h2>\n<h2 id=\"notes-1\">Notes</h2>\n")
    }
}
