import DealcastCore
import DealcastModules
import DealcastTestSupport
import Foundation
import XCTest

/// Pins docs/models/supplier_dependence.md's worked example, the disruption events and the default section.
final class SupplierDependenceTests: XCTestCase {
    /// The doc's worked example: every input fixed; shares 50/30/20 at the evaluation date.
    static let worked = """
        id: supplier-worked-example
        horizon: {start: 2026Q2, end: 2033Q4}
        deal:
          capacity: 2.5 GW
          commitment_realisation: 80%
        supplier_dependence:
          as_of: 2028Q4
          usd_per_gw: 50B USD/GW
          foundries:
            - {name: TSMC, disruption_probability: 100%, disruption_loss: 40%}
            - {name: Samsung, disruption_probability: 0%, disruption_loss: 90%}
          vendors:
            - {name: Nvidia, foundry: TSMC, relative_cost: 1, disruption_probability: 0%, disruption_loss: 50%}
            - {name: AMD, foundry: TSMC, relative_cost: 0.9, disruption_probability: 100%, disruption_loss: 50%}
            - {name: Trainium, foundry: TSMC, relative_cost: 0.65, disruption_probability: 0%, disruption_loss: 50%}
          contracts:
            - {name: Cloud, provider: Azure, chip_vendor: Nvidia, amount: 250B USD, delivered_fraction: 100%, start: 2027, full: 2027Q4}
            - {name: GPUs, provider: Azure, chip_vendor: AMD, gw: 8 GW, delivered_fraction: 75%, start: 2027Q1, full: 2030}
            - {name: Deal, provider: AWS, chip_vendor: Trainium, from_deal: true, foundry: Samsung, start: 2026Q3, full: 2026Q4}
        """

    static func run(_ yaml: String = worked, trials: Int = 10, seed: UInt64 = 1) throws -> RunResults {
        try TestScenario.run(yaml, modules: [SupplierDependence()], trials: trials, seed: seed, sampling: .random)
    }

    /// Asserts that every trial of `metric` equals `expected` to 1e-9 relative.
    func assertEvery(_ r: RunResults, _ metric: String, _ expected: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try XCTUnwrap(r.metric("supplier_dependence.\(metric)"), metric, file: file, line: line).summary
        XCTAssertEqual(s.undefined, 0, metric, file: file, line: line)
        XCTAssertEqual(s.min, expected, accuracy: 1e-9 * Swift.max(1, abs(expected)), metric, file: file, line: line)
        XCTAssertEqual(s.max, expected, accuracy: 1e-9 * Swift.max(1, abs(expected)), metric, file: file, line: line)
    }

    func testWorkedExampleConcentrationMatchesTheDoc() throws {
        let r = try Self.run()
        try assertEvery(r, "delivered_gw", 10)
        try assertEvery(r, "delivered_gw_without_deal", 8)
        try assertEvery(r, "deal_share", 0.2)
        try assertEvery(r, "hhi", 3800)
        try assertEvery(r, "top_vendor_share", 0.5)
        try assertEvery(r, "effective_vendors", 10_000.0 / 3800)
        try assertEvery(r, "hhi_without_deal", 5312.5)
        try assertEvery(r, "top_vendor_share_without_deal", 0.625)
        try assertEvery(r, "effective_vendors_without_deal", 10_000.0 / 5312.5)
        try assertEvery(r, "hhi_change", -1512.5)
        try assertEvery(r, "blended_cost_index", 0.9)
        try assertEvery(r, "blended_cost_index_without_deal", 0.9625)
        try assertEvery(r, "provider_hhi", 6800)
        try assertEvery(r, "provider_hhi_without_deal", 10_000)
        try assertEvery(r, "top_foundry_share", 0.8)
    }

    func testWorkedExampleDisruptionLossesMatchTheDoc() throws {
        let r = try Self.run()
        // Cloud: TSMC event only, 5 × 0.4; GPUs: AMD and TSMC events, 3 × (1 − 0.5 × 0.6); Deal on Samsung: none.
        try assertEvery(r, "compute_at_risk_gw", 4.1)
        try assertEvery(r, "compute_at_risk_gw_without_deal", 4.1)
        try assertEvery(r, "at_risk_share", 0.41)
        try assertEvery(r, "any_disruption", 1)
        try assertEvery(r, "foundry_disruption", 1)
    }

    func testWorkedExampleDeliveredCapacityFollowsTheRamps() throws {
        let s = try XCTUnwrap(try Self.run().series("supplier_dependence.delivered_gw_by_year"))
        XCTAssertEqual(s.index, (2026...2033).map(String.init))
        let expected = [2, 8.5, 10, 11.5, 13, 13, 13, 13]
        for (t, v) in expected.enumerated() { XCTAssertEqual(s.summary.mean[t], v, accuracy: 1e-9 * v, "year \(s.index[t])") }
    }

    func testTheDealContractReadsTheDealsCapacityAndRealisationLikeCapexReturn() throws {
        let r = try Self.run()
        let paths = r.plan.inputs.map(\.path)
        XCTAssertTrue(paths.contains("deal.capacity"))
        XCTAssertTrue(paths.contains("deal.commitment_realisation"))
        XCTAssertFalse(paths.contains("supplier_dependence.contracts[2].gw"))
    }

    func testDisruptionsWithZeroProbabilityNeverHit() throws {
        let yaml = Self.worked.replacingOccurrences(of: "disruption_probability: 100%", with: "disruption_probability: 0%")
        let r = try Self.run(yaml, trials: 2000)
        try assertEvery(r, "compute_at_risk_gw", 0)
        try assertEvery(r, "any_disruption", 0)
        try assertEvery(r, "foundry_disruption", 0)
    }

    func testCertainDisruptionsLoseNothingFromContractsNotYetDelivering() throws {
        // At the end of 2026 only the deal's contract (made at Samsung) delivers: the AMD and TSMC events
        // fire in every trial but take out nothing.
        let r = try Self.run(Self.worked.replacingOccurrences(of: "as_of: 2028Q4", with: "as_of: 2026Q4"))
        try assertEvery(r, "delivered_gw", 2)
        try assertEvery(r, "compute_at_risk_gw", 0)
        try assertEvery(r, "any_disruption", 1)
        try assertEvery(r, "hhi", 10_000)
        XCTAssertEqual(r.metric("supplier_dependence.hhi_without_deal")?.summary.undefined, 10)
        XCTAssertEqual(r.metric("supplier_dependence.hhi_change")?.summary.undefined, 10)
    }

    func testFoundryEventTakesOutEveryVendorOnThatFoundryInTheSameTrial() throws {
        let yaml = Self.worked
            .replacingOccurrences(of: "{name: TSMC, disruption_probability: 100%, disruption_loss: 40%}", with: "{name: TSMC, disruption_probability: 30%, disruption_loss: 100%}")
            .replacingOccurrences(of: "disruption_probability: 100%, disruption_loss: 50%", with: "disruption_probability: 0%, disruption_loss: 50%")
        let n = 20_000
        let r = try Self.run(yaml, trials: n, seed: 7)
        let lost = try XCTUnwrap(r.values("supplier_dependence.compute_at_risk_gw"))
        let event = try XCTUnwrap(r.values("supplier_dependence.foundry_disruption"))
        // Nvidia (5 GW) and AMD (3 GW) are both made at TSMC: both go together, or neither does.
        for i in 0 ..< n { XCTAssertEqual(lost[i], event[i] * 8, accuracy: 1e-12, "trial \(i)") }
        let p = event.reduce(0, +) / Double(n)
        XCTAssertEqual(p, 0.3, accuracy: 4 * (0.3 * 0.7 / Double(n)).squareRoot())
    }

    func testDisruptionFrequencyAndExpectedLossMatchTheClosedForm() throws {
        let yaml = Self.worked
            .replacingOccurrences(of: "{name: TSMC, disruption_probability: 100%", with: "{name: TSMC, disruption_probability: 10%")
            .replacingOccurrences(of: "relative_cost: 0.9, disruption_probability: 100%", with: "relative_cost: 0.9, disruption_probability: 20%")
        let r = try Self.run(yaml, trials: 40_000, seed: 11)
        // P(any) = 1 − 0.8 · 0.9; E[lost] = 5 · 0.1 · 0.4 + 3 · (0.2 · 0.5 + 0.1 · 0.4 − 0.2 · 0.1 · 0.5 · 0.4).
        let any = try XCTUnwrap(r.metric("supplier_dependence.any_disruption")).summary
        XCTAssertEqual(any.mean, 0.28, accuracy: 4 * any.stderr)
        let lost = try XCTUnwrap(r.metric("supplier_dependence.compute_at_risk_gw")).summary
        XCTAssertEqual(lost.mean, 0.2 + 3 * 0.136, accuracy: 4 * lost.stderr)
        XCTAssertGreaterThan(lost.stderr, 0)
    }

    func testEveryScenarioProblemIsReportedWithItsPath() throws {
        let yaml = Self.worked
            .replacingOccurrences(of: "as_of: 2028Q4", with: "as_of: 2035Q1")
            .replacingOccurrences(of: "chip_vendor: AMD, gw: 8 GW", with: "chip_vendor: AMDD, gw: 8 GW, amount: 1B USD")
            .replacingOccurrences(of: "start: 2027, full: 2027Q4", with: "start: 2027, full: 2026Q4")
            .replacingOccurrences(of: "{name: Nvidia, foundry: TSMC", with: "{name: Nvidia, foundry: TMSC")
        XCTAssertThrowsError(try Self.run(yaml)) { error in
            let issues = (error as? DealcastError)?.issues ?? []
            let text = issues.map(\.description).joined(separator: "\n")
            XCTAssertTrue(issues.contains { $0.path == "supplier_dependence.as_of" && $0.message.contains("horizon") }, text)
            XCTAssertTrue(issues.contains { $0.path == "supplier_dependence.contracts[1].chip_vendor" && $0.message.contains("did you mean 'AMD'") }, text)
            XCTAssertTrue(issues.contains { $0.path == "supplier_dependence.contracts[1]" && $0.message.contains("not both") }, text)
            XCTAssertTrue(issues.contains { $0.path == "supplier_dependence.contracts[0].full" && $0.message.contains("before it starts") }, text)
            XCTAssertTrue(issues.contains { $0.path == "supplier_dependence.vendors[0].foundry" && $0.message.contains("did you mean 'TSMC'") }, text)
            XCTAssertEqual(issues.count, 5, "a bad contract's other fields are still read, not reported as unknown keys:\n\(text)")
        }
    }

    func testAContractWithoutASizeIsRejectedUnlessItIsTheDeals() throws {
        let yaml = Self.worked.replacingOccurrences(of: "gw: 8 GW, ", with: "")
        XCTAssertThrowsError(try Self.run(yaml)) { error in
            let issues = (error as? DealcastError)?.issues ?? []
            XCTAssertEqual(issues.map(\.path), ["supplier_dependence.contracts[1]"])
            XCTAssertTrue(issues.first?.message.contains("'gw'") ?? false)
        }
    }

    /// The default scenario's own section, with its header and deal terms.
    static func defaultScenario() throws -> String {
        try TestScenario.defaultScenario(sections: ["supplier_dependence"])
    }

    func testDefaultSectionBindsAndTheDealLowersConcentration() throws {
        let r = try Self.run(try Self.defaultScenario(), trials: 4000, seed: 42)
        let change = try XCTUnwrap(r.metric("supplier_dependence.hhi_change")).summary
        XCTAssertEqual(change.undefined, 0)
        XCTAssertLessThan(change.p95, 0)
        let hhi = try XCTUnwrap(r.metric("supplier_dependence.hhi")).summary
        XCTAssertGreaterThan(hhi.min, 0)
        XCTAssertLessThanOrEqual(hhi.max, 10_000)
        // Every default vendor's chips come from TSMC: vendor diversity does not diversify the foundry.
        try assertEvery(r, "top_foundry_share", 1)
        let cost = try XCTUnwrap(r.metric("supplier_dependence.blended_cost_index")).summary
        let costWithout = try XCTUnwrap(r.metric("supplier_dependence.blended_cost_index_without_deal")).summary
        XCTAssertLessThan(cost.mean, costWithout.mean)
        XCTAssertEqual(r.plan.tables(r).first { $0.module == "supplier_dependence" }?.tables.first?.rows.count, 10)
    }

    func testSameSeedGivesTheSameNumbersAtAnyThreadCount() throws {
        let yaml = try Self.defaultScenario()
        let one = try TestScenario.run(yaml, modules: [SupplierDependence()], trials: 9000, seed: 5, threads: 1)
        let two = try TestScenario.run(yaml, modules: [SupplierDependence()], trials: 9000, seed: 5, threads: 2)
        for key in ["supplier_dependence.hhi", "supplier_dependence.compute_at_risk_gw", "supplier_dependence.any_disruption"] {
            XCTAssertEqual(one.values(key), two.values(key), key)
        }
    }
}
