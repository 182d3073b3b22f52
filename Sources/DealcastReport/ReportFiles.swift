import DealcastCore

/// An output of `dealcast run`, chosen with `--format`.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// report.md and its charts as SVG files under charts/.
    case md
    /// results.json.
    case json
    /// report.html, self-contained, charts inlined.
    case html

    /// The formats written when `--format` is not given.
    public static let defaults: [OutputFormat] = [.md, .json]

    /// Parses a comma-separated list such as "md,json,html".
    /// - Throws: `DealcastError` (`.usage`, exit 64) naming the option, the bad word and the choices.
    public static func parse(_ list: String, option: String = "--format") throws(DealcastError) -> [OutputFormat] {
        var out: [OutputFormat] = []
        for word in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !word.isEmpty {
            guard let f = OutputFormat(rawValue: word == "markdown" ? "md" : word) else {
                throw DealcastError(.usage, "\(option): unknown output format '\(word)'; expected a comma-separated list of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !out.contains(f) { out.append(f) }
        }
        guard !out.isEmpty else {
            throw DealcastError(.usage, "\(option): expected at least one of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(list)'")
        }
        return out
    }
}

/// The files of a report, staged through an `OutputWriter` so that they appear together or not at all.
public enum ReportFiles {
    /// Stages the outputs `formats` asks for: report.md with its charts, results.json, report.html.
    /// - Returns: the staged paths, relative to the output folder, in the order written.
    @discardableResult
    public static func stage(_ results: RunResults, manifest: RunManifest, formats: [OutputFormat],
                             into writer: inout OutputWriter) throws(DealcastError) -> [String] {
        let drawn = formats.contains(.md) || formats.contains(.html)
        let content = ReportContent(results, charts: drawn)
        var written: [String] = []
        let markdown = drawn ? MarkdownReport.make(results, manifest: manifest, content: content) : ""
        if formats.contains(.md) {
            try writer.stage("report.md", markdown)
            written.append("report.md")
            for chart in content.charts {
                try writer.stage(chart.path, chart.svg)
                written.append(chart.path)
            }
        }
        if formats.contains(.json) {
            try writer.stage("results.json", ResultsJSON.make(results, manifest: manifest, content: content).rendered())
            written.append("results.json")
        }
        if formats.contains(.html) {
            try writer.stage("report.html", HTMLReport.make(markdown: markdown, charts: content.charts, title: results.plan.scenario.title))
            written.append("report.html")
        }
        return written
    }
}
