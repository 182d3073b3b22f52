import DealcastCore
@testable import DealcastReport
import DealcastTestSupport
import Foundation
import XCTest

/// report.md and charts of the default scenario at a fixed seed, against recorded snapshots; and a
/// chart of a fixed sample, which depends on nothing but the chart code.
final class ReportSnapshotTests: XCTestCase {
    func testDefaultScenarioReportMatchesItsSnapshot() throws {
        let results = try DefaultRun.results()
        let content = ReportContent(results)
        assertSnapshot(MarkdownReport.make(results, manifest: DefaultRun.manifest(results), content: content), named: "default-report.md")
    }

    func testInvestorValueBridgeChartMatchesItsSnapshot() throws {
        let chart = try XCTUnwrap(ReportContent(try DefaultRun.results()).charts.first { $0.path == "charts/waterfall-partnership_outcome.investor_value_usd.svg" })
        assertSnapshot(chart.svg, named: "waterfall-partnership_outcome.investor_value_usd.svg")
    }

    func testRevenueFanChartWithActualsMatchesItsSnapshot() throws {
        let chart = try XCTUnwrap(ReportContent(try DefaultRun.results()).charts.first { $0.path == "charts/fan-cloud_revenue_growth.revenue_with_deal_usd.svg" })
        assertSnapshot(chart.svg, named: "fan-cloud_revenue_growth.revenue_with_deal_usd.svg")
    }

    func testHistogramOfAFixedSampleMatchesItsSnapshot() throws {
        // 1000 values of a skewed sample (squares of an even grid): independent of the engine.
        let values = (0 ..< 1000).map { i -> Double in let u = (Double(i) + 0.5) / 1000; return (u * u * 40 - 8) * 1e9 }
        let summary = values.withUnsafeBufferPointer { Summary.of($0) }
        let svg = Histogram.svg(sample: SortedSample(values), summary: summary, unit: "USD", title: "A fixed sample", subtitle: "squares of an even grid")
        assertSnapshot(svg, named: "histogram-fixed-sample.svg")
    }
}
