import DealcastTestSupport
import Foundation
import XCTest

/// End-to-end: the built binary on the second real-deal scenario, `datasets/amazon-anthropic-2024.yaml`.
/// Every module runs on a deal other than the embedded default, and the deal's own terms (amounts,
/// dates, reviews that happened, horizon, contracts) show up in the numbers.
final class SecondScenarioTests: XCTestCase {
    static let scenario = TestScenario.datasetsDirectory.appendingPathComponent("amazon-anthropic-2024.yaml")

    /// Each module and the headline metric it must publish.
    static let headlines = [
        "regulatory_risk": "regulatory_risk.cost_usd",
        "capex_return": "capex_return.npv_usd",
        "cloud_revenue_growth": "cloud_revenue_growth.incremental_revenue_usd",
        "supplier_dependence": "supplier_dependence.hhi",
        "partnership_outcome": "partnership_outcome.investor_value_usd",
    ]

    /// Runs `dealcast run` on `scenario` (nil: the embedded default) and returns its results.json.
    func run(_ scenario: URL?, trials: Int = 2000, seed: Int = 42) throws -> [String: Any] {
        let dir = try CLI.temporaryDirectory(self)
        let args = ["run"] + (scenario.map { [$0.path] } ?? []) + ["--trials", "\(trials)", "--seed", "\(seed)", "--quiet", "--out", "out"]
        let r = try CLI.run(args, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = try Data(contentsOf: dir.appendingPathComponent("out/results.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The summary statistic `stat` (e.g. "mean", "min", "p50") of metric `key`.
    func stat(_ results: [String: Any], _ key: String, _ stat: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let metrics = try XCTUnwrap(results["metrics"] as? [String: Any], file: file, line: line)
        let metric = try XCTUnwrap(metrics[key] as? [String: Any], "results.json has no metric \(key)", file: file, line: line)
        return try XCTUnwrap(metric[stat] as? Double, "\(key) has no \(stat)", file: file, line: line)
    }

    func series(_ results: [String: Any], _ key: String) throws -> [String: Any] {
        let all = try XCTUnwrap(results["series"] as? [String: Any])
        return try XCTUnwrap(all[key] as? [String: Any], "results.json has no series \(key)")
    }

    func testValidateAcceptsItWithEveryInputSourcedOrAssumed() throws {
        let r = try CLI.run(["validate", Self.scenario.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("valid — 5 modules"), r.stdout)
        XCTAssertFalse(r.stderr.contains("no source or assumption"), r.stderr)
        XCTAssertFalse(r.stderr.contains("warning"), r.stderr)
    }

    func testEveryModuleRunsAndPublishesItsHeadlineMetric() throws {
        let results = try run(Self.scenario)
        let scenario = try XCTUnwrap(results["scenario"] as? [String: Any])
        XCTAssertEqual(scenario["id"] as? String, "amazon-anthropic-2024")
        let modules = try XCTUnwrap(results["modules"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertEqual(Set(modules), Set(Self.headlines.keys))
        let metrics = try XCTUnwrap(results["metrics"] as? [String: Any])
        for (module, key) in Self.headlines {
            let metric = try XCTUnwrap(metrics[key] as? [String: Any], "\(module) did not publish \(key)")
            XCTAssertEqual(metric["headline"] as? Bool, true, "\(key) is not flagged as a headline metric")
            XCTAssertEqual(metric["n"] as? Double, 2000, "\(key) is not defined in every trial")
            let mean = try stat(results, key, "mean"), sd = try stat(results, key, "sd")
            XCTAssertTrue(mean.isFinite && sd.isFinite && sd > 0, "\(key): mean \(mean), sd \(sd)")
        }
    }

    func testTheInvestmentIsTheDealsEightBillionInTwoSteps() throws {
        let anthropic = try run(Self.scenario), openai = try run(nil)
        // Paid is $4B (upfront only) or $8B (both tranches), never the default's $15B or $50B.
        XCTAssertGreaterThanOrEqual(try stat(anthropic, "partnership_outcome.paid_usd", "min"), 4e9)
        XCTAssertEqual(try stat(anthropic, "partnership_outcome.paid_usd", "max"), 8e9)
        XCTAssertGreaterThanOrEqual(try stat(openai, "partnership_outcome.paid_usd", "min"), 15e9)
        // The November-2024 tranche has a certain trigger; it fails only on distress before it (about
        // 0.8% of trials) or a block (about 0.2%). At p ≈ 0.99 and 2000 trials the standard error is
        // 0.0022, so 0.95 lies more than 15 standard errors below; the default's $35B funds far less often.
        let funded = try stat(anthropic, "partnership_outcome.tranche2_funded", "mean")
        XCTAssertGreaterThan(funded, 0.95)
        XCTAssertLessThan(try stat(openai, "partnership_outcome.tranche2_funded", "mean"), funded)
        // Half the default's 2 GW is built, so less is spent on it.
        XCTAssertLessThan(try stat(anthropic, "capex_return.capex_usd", "mean"), try stat(openai, "capex_return.capex_usd", "mean"))
    }

    func testReviewsThatHappenedEnterWithTheirObservedTiming() throws {
        let results = try run(Self.scenario)
        // The FTC study (opened after 4 months, 12 months long) and the CMA review (7 + 5 months) are
        // certain: every trial has a review, and unless the EU opens one the last closes 16 months after
        // the announcement, with 12 months under review.
        XCTAssertEqual(try stat(results, "regulatory_risk.any_review", "min"), 1)
        XCTAssertEqual(try stat(results, "regulatory_risk.delay_months", "p50"), 16, accuracy: 1e-9)
        XCTAssertEqual(try stat(results, "regulatory_risk.months_under_review", "min"), 12, accuracy: 1e-9)
        XCTAssertEqual(try stat(results, "regulatory_risk.remedy_cost_usd", "p95"), 0)
    }

    func testTheHorizonAndHistoryFollowTheDealDate() throws {
        let anthropic = try run(Self.scenario), openai = try run(nil)
        let with = try series(anthropic, "cloud_revenue_growth.revenue_with_deal_usd")
        let index = try XCTUnwrap(with["index"] as? [String])
        XCTAssertEqual(index.first, "2024Q1")
        XCTAssertEqual(index.last, "2031Q4")
        XCTAssertEqual(index.count, 32)
        let defaultIndex = try XCTUnwrap(try series(openai, "cloud_revenue_growth.revenue_with_deal_usd")["index"] as? [String])
        XCTAssertEqual(defaultIndex.first, "2026Q2")
        let fcf = try XCTUnwrap(try series(anthropic, "capex_return.free_cash_flow_usd")["index"] as? [String])
        XCTAssertEqual(fcf.first, "2024")
    }

    func testTheTrainiumCapacityMakesAnthropicsSupplyLessConcentrated() throws {
        let results = try run(Self.scenario)
        // Without the deal, Google TPUs hold 58–88% of the delivered compute at the end of 2026 in any
        // trial; the partnership's Trainium adds a third vendor, so the index falls in every trial.
        XCTAssertLessThan(try stat(results, "supplier_dependence.hhi_change", "max"), 0)
        XCTAssertGreaterThan(try stat(results, "supplier_dependence.hhi_without_deal", "min"), 5000)
        XCTAssertGreaterThan(try stat(results, "supplier_dependence.deal_share", "min"), 0)
    }
}
