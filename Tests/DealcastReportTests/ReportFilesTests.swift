import DealcastCore
@testable import DealcastReport
import DealcastTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// The files a run writes, through `ReportFiles` and `OutputWriter`: links that resolve, charts that
/// are well-formed standalone SVG, formats, and all-or-nothing writes.
final class ReportFilesTests: XCTestCase {
    /// Writes the default run's report in `formats` to a fresh folder.
    func write(_ formats: [OutputFormat]) throws -> (URL, [String]) {
        let dir = try CLI.temporaryDirectory(self)
        let results = try DefaultRun.results()
        var writer = try OutputWriter(directory: dir, displayPath: "out")
        let written = try ReportFiles.stage(results, manifest: DefaultRun.manifest(results), formats: formats, into: &writer)
        try writer.commit()
        return (dir, written)
    }

    /// The targets of every markdown link and image in `text`.
    func links(_ text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "](") {
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: ")") else { break }
            out.append(String(after[..<close]))
            rest = after[close...]
        }
        return out
    }

    /// The Reproducibility table says what the run kept: single precision for the metrics that are not
    /// headline when a module marks some, double precision for every metric when none does.
    func testTheReportSaysWhichMetricsWereKeptInSinglePrecision() throws {
        var plain = ToyModule()
        plain.headline = false
        let mixed = MarkdownReport.precisionKept(try ToyModule.run(trials: 500))
        let exact = MarkdownReport.precisionKept(try ToyModule.run([plain], trials: 500))
        XCTAssertTrue(mixed.hasPrefix("headline metrics' trials in double precision, the other 2 metrics' in single precision"), mixed)
        XCTAssertTrue(exact.hasPrefix("every metric's trials in double precision"), exact)
    }

    func testEveryLinkInReportMdResolvesToAWrittenFile() throws {
        let (dir, written) = try write([.md, .json])
        let report = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        let local = links(report).filter { !$0.hasPrefix("http://") && !$0.hasPrefix("https://") && !$0.hasPrefix("#") }
        XCTAssertGreaterThanOrEqual(local.count, 10, "the default report links its charts")
        for target in local {
            XCTAssertFalse(target.hasPrefix("/"), "\(target) is absolute; links must be relative to report.md")
            XCTAssertTrue(written.contains(target), "\(target) is linked but was not written in this run")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(target).path), "\(target) does not exist")
        }
        // And every chart written is shown somewhere.
        for chart in written where chart.hasPrefix("charts/") {
            XCTAssertTrue(local.contains(chart), "\(chart) is written but not linked")
        }
    }

    func testTheDefaultReportDrawsEveryKindOfChart() throws {
        let charts = ReportContent(try DefaultRun.results()).charts.map(\.path)
        for expected in ["charts/histogram-partnership_outcome.investor_value_usd.svg", "charts/exceedance-partnership_outcome.investor_value_usd.svg",
                         "charts/fan-cloud_revenue_growth.revenue_with_deal_usd.svg", "charts/tornado-partnership_outcome.investor_value_usd.svg",
                         "charts/waterfall-partnership_outcome.investor_value_usd.svg"] {
            XCTAssertTrue(charts.contains(expected), "no \(expected) among \(charts)")
        }
    }

    func testEveryChartIsStandaloneWellFormedSVG() throws {
        let charts = ReportContent(try DefaultRun.results()).charts
        XCTAssertFalse(charts.isEmpty)
        let palette: Set<String> = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
                                    "#ffffff", "#222222", "#666666", "#e3e3e3", "#a84300"]
        for chart in charts {
            let parser = XMLParser(data: Data(chart.svg.utf8))
            let root = RootElement()
            parser.delegate = root
            XCTAssertTrue(parser.parse(), "\(chart.path) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
            XCTAssertEqual(root.name, "svg", chart.path)
            XCTAssertEqual(root.attributes["xmlns"], "http://www.w3.org/2000/svg", chart.path)
            XCTAssertNotNil(root.attributes["viewBox"], "\(chart.path) has no viewBox, so it cannot scale")
            for banned in ["<script", "href=", " id=", "<image", "<foreignObject", "url("] {
                XCTAssertFalse(chart.svg.contains(banned), "\(chart.path) contains \(banned): it would not render as a standalone image or inline twice")
            }
            // Every colour comes from the Okabe–Ito palette or is a neutral.
            for colour in Self.colours(in: chart.svg) {
                XCTAssertTrue(palette.contains(colour), "\(chart.path) uses \(colour), outside the colour-blind-safe palette")
            }
        }
    }

    static func colours(in svg: String) -> Set<String> {
        var out = Set<String>()
        var rest = Substring(svg)
        while let hash = rest.range(of: "\"#") {
            let code = rest[hash.upperBound...].prefix { $0.isHexDigit }
            out.insert("#" + code)
            rest = rest[hash.upperBound...]
        }
        return out
    }

    final class RootElement: NSObject, XMLParserDelegate {
        var name: String?
        var attributes: [String: String] = [:]
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            if name == nil { name = elementName; self.attributes = attributes }
        }
    }

    func testHTMLIsOneSelfContainedPageWithTheChartsInlined() throws {
        let (dir, written) = try write([.html])
        XCTAssertEqual(written, ["report.html"], "html alone writes no separate chart files")
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("charts").path))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("src=\""), "no external image: every chart is inlined")
        XCTAssertFalse(html.contains("<link"), "no external style sheet")
        let charts = ReportContent(try DefaultRun.results()).charts
        XCTAssertEqual(html.components(separatedBy: "<svg xmlns").count - 1, charts.count, "each chart inlined once")
        XCTAssertTrue(html.contains("<h2 id=\"executive-summary\">Executive summary</h2>"))
    }

    func testHTMLRendersTheSameTextAsTheMarkdown() throws {
        let (dir, _) = try write([.md, .html])
        let md = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        // Every heading and every table row of report.md appears in report.html.
        let headings = md.split(separator: "\n").filter { $0.hasPrefix("#") }
        XCTAssertGreaterThan(headings.count, 10)
        for h in headings {
            let title = h.drop { $0 == "#" || $0 == " " }
            XCTAssertTrue(html.contains(MarkdownHTML().inline(String(title)) + "</h"), "heading '\(title)' missing from report.html")
        }
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !MarkdownHTML.isDelimiterRow(String($0)) }.count
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, rows)
    }

    func testJSONAloneWritesNoReportAndNoCharts() throws {
        let (dir, written) = try write([.json])
        XCTAssertEqual(written, ["results.json"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.md").path))
    }

    func testResultsJSONCarriesTheExecutiveSummaryAndTheDriversOfTheReport() throws {
        let (dir, _) = try write([.md, .json])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("results.json"))) as? [String: Any])
        let summary = try XCTUnwrap(object["executive_summary"] as? [[String: Any]])
        let content = ReportContent(try DefaultRun.results(), charts: false)
        XCTAssertEqual(summary.count, content.summary.rows.count)
        XCTAssertEqual(summary.first?["metric"] as? String, "partnership_outcome.investor_value_usd")
        let estimate = try XCTUnwrap(content.summary.rows.first?.estimate)
        XCTAssertEqual(try XCTUnwrap(summary.first?["estimate"] as? Double), estimate, accuracy: 1e-12 * abs(estimate))
        let sensitivity = try XCTUnwrap(object["sensitivity"] as? [String: [[String: Any]]])
        let top = try XCTUnwrap(sensitivity["partnership_outcome.investor_value_usd"]?.first)
        let driver = try XCTUnwrap(content.drivers["partnership_outcome.investor_value_usd"]?.first { $0.input == top["input"] as? String })
        // (Foundation's parser on Linux may round the last digit; the text itself round-trips.)
        XCTAssertEqual(try XCTUnwrap(top["mean_if_low"] as? Double), driver.meanIfLow, accuracy: 1e-12 * abs(driver.meanIfLow))
        XCTAssertEqual(try XCTUnwrap(top["mean_if_high"] as? Double), driver.meanIfHigh, accuracy: 1e-12 * abs(driver.meanIfHigh))
    }

    func testUnknownFormatIsAUsageErrorNamingTheOptionAndTheChoices() {
        XCTAssertEqual(try OutputFormat.parse("md, HTML,json"), [.md, .html, .json])
        XCTAssertThrowsError(try OutputFormat.parse("md,pdf")) { error in
            let e = error as? DealcastError
            XCTAssertEqual(e?.code.exitStatus, 64)
            XCTAssertEqual(e?.message, "--format: unknown output format 'pdf'; expected a comma-separated list of md, json, html")
        }
        XCTAssertThrowsError(try OutputFormat.parse(" , "))
    }

    func testAFailedStreamedFileLeavesNeitherItNorItsTemporaryNorTheOtherStagedFiles() throws {
        let dir = try CLI.temporaryDirectory(self)
        let target = dir.appendingPathComponent("samples.csv")
        try "previous\n".write(to: target, atomically: true, encoding: .utf8)
        var writer = try OutputWriter(directory: dir.appendingPathComponent("out"), displayPath: "out")
        try writer.stage("report.md", "new report")
        XCTAssertThrowsError(try writer.stage(file: target, displayPath: "samples.csv") { out throws(DealcastError) in
            try out.write(String(repeating: "x", count: 3 << 20))
            throw DealcastError(.cannotWrite, "samples.csv: disk full")
        })
        try writer.commit()
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "previous\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/report.md").path), "a failure discards every staged file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["out", "samples.csv"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path), [])
    }
}
