import Foundation

/// Converts the GitHub-flavoured markdown that Dealcast writes into HTML, so that report.html is
/// rendered from report.md's own text.
///
/// It covers the subset the reports use, as GitHub renders it: ATX headings (with GitHub's anchor
/// ids), paragraphs, tables (with `\|` in cells), bullet and numbered lists, fenced code, block
/// quotes and, inline, code spans, `**strong**`, `*emphasis*` (an underscore inside a word such as
/// `capex_return` stays a character), links, images, bare https links and backslash escapes. Any other
/// text, HTML included, is escaped and shown as written. Images are handed to `image`, which returns
/// the HTML to put in their place (the report inlines its SVG charts there).
struct MarkdownHTML {
    /// Returns the HTML for an image (alt text, source), or nil for a plain `<img>`.
    var image: (String, String) -> String? = { _, _ in nil }

    func render(_ markdown: String) -> String {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out = ""
        var i = 0
        var paragraph: [String] = []
        var slugs: [String: Int] = [:]
        func flush() {
            guard !paragraph.isEmpty else { return }
            let text = paragraph.joined(separator: "\n").trimmingCharacters(in: .whitespaces)
            paragraph = []
            // An image alone in its paragraph becomes a figure.
            if let (alt, src) = Self.soleImage(text) {
                out += "<figure>" + (image(alt, src) ?? "<img src=\"\(Self.escape(src))\" alt=\"\(Self.escape(alt))\">") + "</figure>\n"
            } else {
                out += "<p>" + inline(text) + "</p>\n"
            }
        }
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { flush(); i += 1; continue }
            if let (level, title) = Self.heading(trimmed) {
                flush()
                var slug = Self.slug(title)
                if let n = slugs[slug] { slugs[slug] = n + 1; slug += "-\(n + 1)" } else { slugs[slug] = 0 }
                out += "<h\(level) id=\"\(slug)\">\(inline(title))</h\(level)>\n"
                i += 1
            } else if trimmed.hasPrefix("```") {
                flush()
                var code: [String] = []
                i += 1
                while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("```") { code.append(lines[i]); i += 1 }
                i += 1
                out += "<pre><code>" + Self.escape(code.joined(separator: "\n")) + "</code></pre>\n"
            } else if trimmed.hasPrefix("|"), i + 1 < lines.count, Self.isDelimiterRow(lines[i + 1]) {
                flush()
                let header = Self.cells(trimmed)
                var rows: [[String]] = []
                i += 2
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("|") {
                    rows.append(Self.cells(lines[i].trimmingCharacters(in: .whitespaces)))
                    i += 1
                }
                out += "<div class=\"table\"><table>\n<thead><tr>" + header.map { "<th>\(inline($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
                for r in rows {
                    out += "<tr>" + header.indices.map { "<td>\(inline($0 < r.count ? r[$0] : ""))</td>" }.joined() + "</tr>\n"
                }
                out += "</tbody></table></div>\n"
            } else if let marker = Self.listMarker(trimmed) {
                flush()
                let ordered = marker.ordered
                var items: [String] = []
                while i < lines.count {
                    let t = lines[i].trimmingCharacters(in: .whitespaces)
                    if let m = Self.listMarker(t), m.ordered == ordered {
                        items.append(String(t.dropFirst(m.length)))
                    } else if !t.isEmpty, lines[i].hasPrefix("  "), !items.isEmpty {
                        items[items.count - 1] += "\n" + t
                    } else {
                        break
                    }
                    i += 1
                }
                let tag = ordered ? "ol" : "ul"
                out += "<\(tag)>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</\(tag)>\n"
            } else if trimmed.hasPrefix(">") {
                flush()
                var quoted: [String] = []
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).hasPrefix(">") {
                    quoted.append(String(lines[i].trimmingCharacters(in: .whitespaces).dropFirst()).trimmingCharacters(in: .whitespaces))
                    i += 1
                }
                out += "<blockquote>\n" + render(quoted.joined(separator: "\n")) + "</blockquote>\n"
            } else {
                paragraph.append(line)
                i += 1
            }
        }
        flush()
        return out
    }

    // MARK: Blocks

    static func heading(_ line: String) -> (Int, String)? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1 ... 6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " else { return nil }
        return (hashes, rest.trimmingCharacters(in: .whitespaces))
    }

    /// GitHub's heading anchor: lowercased, punctuation other than `-` and `_` removed, spaces to `-`.
    static func slug(_ title: String) -> String {
        var s = ""
        for c in plainText(title).lowercased() {
            if c.isLetter || c.isNumber || c == "-" || c == "_" { s.append(c) } else if c == " " { s.append("-") }
        }
        return s
    }

    /// The text of inline markdown without its markup (for anchors).
    static func plainText(_ text: String) -> String {
        text.filter { $0 != "`" && $0 != "*" }
    }

    static func isDelimiterRow(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("|"), t.contains("-") else { return false }
        return t.allSatisfy { "|-: ".contains($0) }
    }

    /// A table row's cells, split at pipes that are not escaped.
    static func cells(_ row: String) -> [String] {
        var cells: [String] = [], current = "", escaped = false
        for c in row.dropFirst() {
            if escaped { current += c == "|" ? "|" : "\\" + String(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "|" { cells.append(current.trimmingCharacters(in: .whitespaces)); current = ""; continue }
            current.append(c)
        }
        if escaped { current += "\\" }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { cells.append(last) }
        return cells
    }

    static func listMarker(_ line: String) -> (ordered: Bool, length: Int)? {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return (false, 2) }
        let digits = line.prefix { $0.isNumber }.count
        if digits > 0, digits < 10 {
            let rest = line.dropFirst(digits)
            if rest.hasPrefix(". ") || rest.hasPrefix(") ") { return (true, digits + 2) }
        }
        return nil
    }

    static func soleImage(_ text: String) -> (String, String)? {
        guard text.hasPrefix("!["), text.hasSuffix(")"), let close = text.range(of: "](") else { return nil }
        let alt = String(text[text.index(text.startIndex, offsetBy: 2) ..< close.lowerBound])
        let src = String(text[close.upperBound ..< text.index(before: text.endIndex)])
        guard !alt.contains("]"), !src.contains(" "), !src.contains(")") else { return nil }
        return (alt, src)
    }
}

// MARK: Inline

extension MarkdownHTML {
    /// Inline markdown to HTML.
    func inline(_ text: String) -> String {
        let c = Array(text)
        var out = ""
        var i = 0
        /// The index of the next `target` sequence at or after `from`, skipping escaped characters.
        func find(_ target: [Character], from: Int) -> Int? {
            var j = from
            while j + target.count <= c.count {
                if c[j] == "\\" { j += 2; continue }
                if Array(c[j ..< j + target.count]) == target { return j }
                j += 1
            }
            return nil
        }
        while i < c.count {
            let ch = c[i]
            if ch == "\\", i + 1 < c.count, c[i + 1].isPunctuation || c[i + 1].isSymbol {
                out += Self.escape(String(c[i + 1]))
                i += 2
            } else if ch == "`" {
                let run = c[i...].prefix { $0 == "`" }.count
                let fence = [Character](repeating: "`", count: run)
                var j = i + run, end: Int?
                while j + run <= c.count {
                    if Array(c[j ..< j + run]) == fence && (j + run == c.count || c[j + run] != "`") { end = j; break }
                    j += 1
                }
                if let end {
                    var code = String(c[(i + run) ..< end])
                    if code.hasPrefix(" ") && code.hasSuffix(" ") && code.count > 2 { code = String(code.dropFirst().dropLast()) }
                    out += "<code>" + Self.escape(code) + "</code>"
                    i = end + run
                } else {
                    out += String(fence)
                    i += run
                }
            } else if (ch == "!" && i + 1 < c.count && c[i + 1] == "[") || ch == "[" {
                let isImage = ch == "!"
                let open = isImage ? i + 1 : i
                if let close = find(["]"], from: open + 1), close + 1 < c.count, c[close + 1] == "(",
                   !c[(open + 1) ..< close].contains("["), let end = find([")"], from: close + 2) {
                    let label = String(c[(open + 1) ..< close]), url = String(c[(close + 2) ..< end])
                    if isImage {
                        out += image(label, url) ?? "<img src=\"\(Self.escape(url))\" alt=\"\(Self.escape(label))\">"
                    } else {
                        out += "<a href=\"\(Self.escape(url))\">\(inline(label))</a>"
                    }
                    i = end + 1
                } else {
                    out += Self.escape(String(ch))
                    i += 1
                }
            } else if ch == "*", i + 1 < c.count, c[i + 1] == "*", let end = find(["*", "*"], from: i + 2), end > i + 2 {
                out += "<strong>" + inline(String(c[(i + 2) ..< end])) + "</strong>"
                i = end + 2
            } else if ch == "*", i + 1 < c.count, c[i + 1] != " ", let end = find(["*"], from: i + 1), end > i + 1, c[end - 1] != " " {
                out += "<em>" + inline(String(c[(i + 1) ..< end])) + "</em>"
                i = end + 1
            } else if ch == "h", i == 0 || !(c[i - 1].isLetter || c[i - 1].isNumber),
                      let url = Self.autolink(c, at: i) {
                out += "<a href=\"\(Self.escape(url))\">\(Self.escape(url))</a>"
                i += url.count
            } else {
                out += Self.escape(String(ch))
                i += 1
            }
        }
        return out
    }

    /// A bare http(s) URL starting at `i`, as GitHub autolinks it: up to white space or `<`, without
    /// trailing punctuation, and without a closing parenthesis that has no opening one in the URL.
    static func autolink(_ c: [Character], at i: Int) -> String? {
        let rest = String(c[i ..< min(c.count, i + 8)])
        guard rest.hasPrefix("https://") || rest.hasPrefix("http://") else { return nil }
        var j = i
        while j < c.count, !c[j].isWhitespace, c[j] != "<" { j += 1 }
        var url = String(c[i ..< j])
        while let last = url.last {
            if ".,:;!?'\"*_~".contains(last) { url.removeLast(); continue }
            if last == ")" && url.filter({ $0 == ")" }).count > url.filter({ $0 == "(" }).count { url.removeLast(); continue }
            break
        }
        return url.count > 8 ? url : nil
    }

    /// Escapes text for HTML content and attribute values.
    static func escape(_ s: String) -> String { Markup.escape(s) }
}
