import DealcastCore
@testable import DealcastReport
import DealcastTestSupport
import Foundation
import XCTest

/// Which numbers lead the report, and that each is right: checked on a module with known answers.
final class ExecutiveSummaryTests: XCTestCase {
    /// value = gain − cost, gain ~ U(0, 10B), cost ~ N(6B, 1B): value has mean −1B and
    /// P(value < 0) = ∫ Φ((6B − g)/1B) dg / 10B, computed here by the midpoint rule.
    static let lossProbability: Double = {
        let n = 100_000
        var sum = 0.0
        for k in 0 ..< n {
            let g = (Double(k) + 0.5) / Double(n) * 10
            sum += 0.5 * erfc(-(6 - g) / 2.0.squareRoot())
        }
        return sum / Double(n)
    }()

    func testTheChanceOfALossMatchesItsClosedFormWithinFourStandardErrors() throws {
        let trials = 20_000
        let summary = ExecutiveSummary(try ToyModule.run(trials: trials))
        let loss = try XCTUnwrap(summary.rows.first { $0.statistic == .probabilityBelowZero })
        let p = Self.lossProbability
        let se = (p * (1 - p) / Double(trials)).squareRoot()
        XCTAssertEqual(loss.estimate, p, accuracy: 4 * se)
        XCTAssertLessThan(loss.low, loss.estimate)
        XCTAssertGreaterThan(loss.high, loss.estimate)
        // The event `win` is the complement of the loss, trial by trial.
        let win = try XCTUnwrap(summary.rows.first { $0.metric == "toy.win" })
        XCTAssertEqual(win.estimate, 1 - loss.estimate, accuracy: 1e-12)
    }

    func testRowsComeBottomLineFirstWithTheLossRightAfterItsMetric() throws {
        let summary = ExecutiveSummary(try ToyModule.run([ToyModule(id: "first"), ToyModule(id: "last")], trials: 2000))
        XCTAssertEqual(summary.rows.map(\.metric), ["last.value_usd", "last.value_usd", "last.win", "first.value_usd", "first.win"])
        XCTAssertEqual(summary.rows.map(\.statistic), [.median, .probabilityBelowZero, .probability, .median, .probability])
        XCTAssertEqual(summary.rows.filter { $0.statistic == .probabilityBelowZero }.count, 1, "only the bottom line gets a loss row")
        XCTAssertTrue(summary.lead?.hasPrefix("Across 2,000 simulated futures, the value of the toy deal has a median of") == true, summary.lead ?? "")
    }

    func testAtMostEightRowsAndTheRestAreNamed() throws {
        let modules = (1 ... 5).map { ToyModule(id: "m\($0)") }
        let summary = ExecutiveSummary(try ToyModule.run(modules, trials: 500))
        XCTAssertEqual(summary.rows.count, 8)
        XCTAssertEqual(summary.rows.map(\.metric), ["m5.value_usd", "m5.value_usd", "m5.win", "m4.value_usd", "m4.win", "m3.value_usd", "m3.win", "m2.value_usd"])
        XCTAssertEqual(summary.omitted, ["m2.win", "m1.value_usd", "m1.win"])
    }

    func testMetricsThatAreNotHeadlinesStayOutOfTheSummary() throws {
        var quiet = ToyModule(id: "quiet")
        quiet.headline = false
        let summary = ExecutiveSummary(try ToyModule.run([quiet, ToyModule()], trials: 500))
        XCTAssertFalse(summary.rows.contains { $0.metric.hasPrefix("quiet.") })
    }

    func testIntervalsAreTheMetricsPercentilesAndTheEventsWilsonIntervals() throws {
        let results = try ToyModule.run(trials: 4000)
        let summary = ExecutiveSummary(results)
        let value = try XCTUnwrap(results.metric("toy.value_usd")).summary
        let row = try XCTUnwrap(summary.rows.first)
        XCTAssertEqual([row.estimate, row.low, row.high, row.mean], [value.p50, value.p5, value.p95, value.mean])
        // The Wilson interval's ends are the two roots of (p̂ − p)² = z² p (1 − p) / n.
        let (low, high) = ExecutiveSummary.wilson(0.3, 100)
        let z = 1.6448536269514722
        for end in [low, high] {
            XCTAssertEqual((0.3 - end) * (0.3 - end), z * z * end * (1 - end) / 100, accuracy: 1e-12)
        }
        XCTAssertEqual(low, 0.2307, accuracy: 1e-4)
        XCTAssertEqual(high, 0.3798, accuracy: 1e-4)
    }

    func testTheDefaultScenarioLeadsWithTheInvestorsValueAndKeepsToEightNumbers() throws {
        let summary = ExecutiveSummary(try DefaultRun.results())
        XCTAssertEqual(summary.rows.first?.metric, "partnership_outcome.investor_value_usd")
        XCTAssertTrue((5 ... 8).contains(summary.rows.count))
        let metrics = Set(summary.rows.map(\.metric))
        for key in ["partnership_outcome.tranche2_funded", "regulatory_risk.blocked", "capex_return.npv_usd", "cloud_revenue_growth.incremental_revenue_usd", "supplier_dependence.hhi"] {
            XCTAssertTrue(metrics.contains(key), "\(key) is not in the executive summary")
        }
        let hhi = try XCTUnwrap(summary.rows.first { $0.metric == "supplier_dependence.hhi" })
        XCTAssertTrue(hhi.meaning.hasPrefix("Without the deal:"), "the HHI row compares with and without the deal: \(hhi.meaning)")
    }
}
