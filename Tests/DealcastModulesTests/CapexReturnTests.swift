import DealcastCore
import DealcastModules
import DealcastTestSupport
import XCTest

/// Pins docs/models/capex_return.md's worked example.
final class CapexReturnTests: XCTestCase {
    static func scenario(blocked: Bool = false) -> String {
        """
        id: capex-worked-example
        horizon: {start: 2026Q1, end: 2028Q4}
        deal:
          capacity: 1 GW
          compute_commitment: {amount: 12B USD, term: 3 years}
          commitment_realisation: 100%
          commitment_retained_if_blocked: 50%
          discount_rate: 10%
        capex_return:
          build_schedule: [100%]
          capex_per_gw: $10B/GW
          it_share: 50%
          it_life: 2 years
          facility_life: 10 years
          hardware_cost_decline: 0%
          price_erosion: 0%
          spare_utilisation: 100%
          pue: 1
          load_factor: 50%
          power_price: $100/MWh
          other_opex_share: 10%
          tax_rate: 20%
        """
    }

    func run(blocked: Bool) throws -> RunResults {
        try TestScenario.run(Self.scenario(), modules: [CapexReturn()],
                             upstream: [FixedMetricsModule(id: "regulatory_risk", values: ["blocked": blocked ? 1 : 0])], trials: 10)
    }

    /// FCF per the doc: operating cash flow 3.12936B a year, capex 10B in 2026 and 5B in 2028, terminal 6B.
    static let operatingCash = 4e9 - 438.3e6 - 0.4e9 - 0.2 * (4e9 - 438.3e6 - 0.4e9 - 2.5e9 - 0.5e9)
    static let fcf = [operatingCash - 10e9, operatingCash, operatingCash - 5e9 + 6e9]

    func testWorkedExampleCashFlowsMatchTheDoc() throws {
        let r = try run(blocked: false)
        let fcf = try XCTUnwrap(r.series("capex_return.free_cash_flow_usd"))
        XCTAssertEqual(fcf.index, ["2026", "2027", "2028"])
        for t in 0..<3 { XCTAssertEqual(fcf.summary.mean[t], Self.fcf[t], accuracy: 1e-6 * 1e9) }
        XCTAssertEqual(Self.fcf[0], -6.87064e9, accuracy: 1)
    }

    func testWorkedExampleNPVIRRAndPaybackMatchTheDoc() throws {
        let r = try run(blocked: false)
        let npv = try XCTUnwrap(r.metric("capex_return.npv_usd")).summary
        let expected = Self.fcf[0] / 1.1 + Self.fcf[1] / 1.21 + Self.fcf[2] / 1.331
        XCTAssertEqual(npv.mean, expected, accuracy: 1)
        XCTAssertEqual(npv.mean, -557.34e6, accuracy: 0.01e6)
        XCTAssertEqual(npv.sd, 0)
        let irr = try XCTUnwrap(r.metric("capex_return.irr")).summary.mean
        XCTAssertEqual(irr, 0.035743, accuracy: 1e-6)
        let atIRR = Self.fcf.enumerated().reduce(0.0) { $0 + $1.element / pow(1 + irr, Double($1.offset + 1)) }
        XCTAssertEqual(atIRR, 0, accuracy: 1e-6 * 1e9)
        let payback = try XCTUnwrap(r.metric("capex_return.payback_years")).summary.mean
        XCTAssertEqual(payback, 2 + (-(Self.fcf[0] + Self.fcf[1])) / Self.fcf[2], accuracy: 1e-12)
        XCTAssertEqual(r.metric("capex_return.capex_usd")?.summary.mean, 15e9)
        XCTAssertEqual(r.metric("capex_return.contract_revenue_usd")!.summary.mean, 12e9, accuracy: 1e-3)
        XCTAssertEqual(r.metric("capex_return.realisation")?.summary.mean, 1)
    }

    func testBlockedDealShrinksTheContractButSpareCapacityIsResold() throws {
        let r = try run(blocked: true)
        XCTAssertEqual(r.metric("capex_return.realisation")?.summary.mean, 0.5)
        XCTAssertEqual(r.metric("capex_return.contract_revenue_usd")!.summary.mean, 6e9, accuracy: 1e-3)
        // With no erosion and full utilisation, resold capacity earns what the contract would have.
        XCTAssertEqual(r.metric("capex_return.npv_usd")!.summary.mean, -557.34e6, accuracy: 0.01e6)
    }

    func testCashFlowsThatNeverTurnPositiveLeaveIRRAndPaybackUndefinedAndCounted() throws {
        let yaml = Self.scenario().replacingOccurrences(of: "amount: 12B USD", with: "amount: 0 USD")
            .replacingOccurrences(of: "spare_utilisation: 100%", with: "spare_utilisation: 0%")
        let r = try TestScenario.run(yaml, modules: [CapexReturn()],
                                     upstream: [FixedMetricsModule(id: "regulatory_risk", values: ["blocked": 0])], trials: 10)
        XCTAssertEqual(r.metric("capex_return.payback_years")?.summary.undefined, 10)
        XCTAssertEqual(r.metric("capex_return.irr")?.summary.n, 10 - r.metric("capex_return.irr")!.summary.undefined)
    }
}
