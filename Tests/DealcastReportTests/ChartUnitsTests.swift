import DealcastCore
@testable import DealcastReport
import DealcastTestSupport
import XCTest

/// Axes with units and readable numbers, distributions in words, and what modules publish for the
/// charts (value bridges and actuals).
final class ChartUnitsTests: XCTestCase {
    func testTickLabelsCarryUnitsAndNoMoreDigitsThanTheStepNeeds() {
        XCTAssertEqual([-2e10, 0, 2.5e9, 1.2e12].map { ValueFormat.tick($0, unit: "USD", step: $0 == 2.5e9 ? 2.5e9 : 1e10) }, ["−$20B", "$0", "$2.5B", "$1.20T"])
        XCTAssertEqual(ValueFormat.tick(5e8, unit: "USD", step: 5e8), "$500M")
        XCTAssertEqual(ValueFormat.tick(0.35, unit: "fraction", step: 0.05), "35%")
        XCTAssertEqual(ValueFormat.tick(0.025, unit: "probability", step: 0.025), "2.5%")
        XCTAssertEqual(ValueFormat.tick(2, unit: "GW", step: 0.5), "2.0 GW")
        XCTAssertEqual(ValueFormat.tick(3000, unit: "1", step: 250), "3,000")
        XCTAssertEqual(ValueFormat.tick(12, unit: "months", step: 6), "12 mo")
    }

    func testTicksAreRoundNumbersCoveringTheRange() {
        let t = Ticks(-52.8e9, 88.7e9, count: 7)
        XCTAssertEqual(t.step, 25e9)
        XCTAssertEqual(t.values.first, -75e9)
        XCTAssertEqual(t.values.last, 100e9)
        XCTAssertEqual(Ticks(0, 1, count: 6).values, [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(Ticks(3, 3).values.count > 1, true, "a constant range still gets an axis")
    }

    func testSignificantFiguresGroupThousandsAndUseATrueMinus() {
        XCTAssertEqual(ValueFormat.significant(2976.4), "2,976")
        XCTAssertEqual(ValueFormat.significant(-586.2), "−586")
        XCTAssertEqual(ValueFormat.significant(0.0249), "0.0249")
    }

    func testDistributionsInWords() {
        XCTAssertEqual(DistributionWords.describe(.pert(min: 0.55, mode: 0.85, max: 1), .ratio, .percent), "PERT from 55.0% to 100%, most likely 85.0%")
        XCTAssertEqual(DistributionWords.describe(.uniform(min: 5, max: 6), .duration, .canonical), "uniform from 5.00 years to 6.00 years")
        XCTAssertEqual(DistributionWords.describe(.pert(min: 4.0 / 12, mode: 10.0 / 12, max: 30.0 / 12), .duration, .months), "PERT from 4 months to 30 months, most likely 10 months")
        XCTAssertEqual(DistributionWords.describe(.beta(alpha: 2, beta: 6), .ratio, .canonical), "beta(2, 6) on 0–1, mean 25.0%")
        XCTAssertEqual(DistributionWords.describe(Distribution.lognormal(p5: 5e6, p95: 5e7), .currency, .canonical),
                       "lognormal, median $15.8M, 90% between $5.0M and $50.0M")
        XCTAssertEqual(DistributionWords.describe(.fixed(2), .power, .canonical), "fixed at 2.00 GW")
    }

    func testTheInvestorValueBridgeAddsUpToItsTotalInEveryTrial() throws {
        let results = try DefaultRun.results()
        let total = try XCTUnwrap(results.metric("partnership_outcome.investor_value_usd"))
        XCTAssertEqual(total.spec.bridge.count, 5)
        let values = try XCTUnwrap(results.values(total.key))
        let terms = try total.spec.bridge.map { t in (t.sign, try XCTUnwrap(results.values(t.metric), "\(t.metric) did not run")) }
        // The total is kept in double precision (a headline metric), its terms in single: each term is
        // off by at most 2⁻²⁴ of itself.
        XCTAssertTrue(results.plan.exactMetrics.contains(total.key))
        for i in values.indices {
            let sum = terms.reduce(0.0) { $0 + $1.0 * $1.1[i] }
            let rounding = terms.reduce(0.0) { $0 + abs($1.1[i]) } * 0x1p-24
            XCTAssertEqual(sum, values[i], accuracy: rounding + 1e-9 * max(1e9, abs(values[i])), "trial \(i + 1)")
        }
    }

    func testRevenueSeriesPublishTheReportedQuartersAsActuals() throws {
        let results = try DefaultRun.results()
        for key in ["cloud_revenue_growth.revenue_with_deal_usd", "cloud_revenue_growth.revenue_without_deal_usd"] {
            let actuals = try XCTUnwrap(results.plan.actuals(of: key), key)
            XCTAssertEqual(actuals.index.first, "2015Q1")
            XCTAssertEqual(actuals.values.first, 1566e6, "net sales of 2015Q1 in the history file, in USD")
            XCTAssertEqual(actuals.source, "aws_segment_quarterly.csv")
            XCTAssertLessThan(try XCTUnwrap(actuals.index.last), try XCTUnwrap(results.series(key)?.index.first), "history ends before the forecast")
        }
        XCTAssertNil(results.plan.actuals(of: "capex_return.free_cash_flow_usd"))
    }
}
