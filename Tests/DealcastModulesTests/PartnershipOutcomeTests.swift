import DealcastCore
import DealcastModules
import DealcastTestSupport
import XCTest

/// Pins docs/models/partnership_outcome.md: its worked examples (a tranche that must fund and ones that
/// must not), the trigger and distress rules, the value path and the scenario checks.
final class PartnershipOutcomeTests: XCTestCase {
    struct Inputs {
        var ipo = "1.5 years", milestone = "10 years", growth = "10%", volatility = "0%", dilution = "5%"
        var distress = "0%", haircut = "50%", pricing = "market", tranches = ""
    }

    /// The doc's worked example: announced and upfront on 2026-07-02 (0.5 years after the valuation date).
    static func scenario(_ x: Inputs = Inputs()) -> String {
        """
        id: partnership-worked-example
        horizon: {start: 2026Q1, end: 2033Q4}
        deal:
          announced: 2026-07-02
          post_money_valuation: 800B USD
          discount_rate: 10%
          tranches:
            - {name: upfront, amount: 10B USD, date: 2026-07-02}
            - {name: contingent, amount: 40B USD, deadline: 2028-12-31}\(x.tranches)
        partnership_outcome:
          time_to_ipo: \(x.ipo)
          time_to_milestone: \(x.milestone)
          value_growth: \(x.growth)
          value_volatility: \(x.volatility)
          dilution_rate: \(x.dilution)
          distress_probability: \(x.distress)
          distress_haircut: \(x.haircut)
          tranche2_pricing: \(x.pricing)
        """
    }

    static func upstream(blocked: Bool) -> [FixedMetricsModule] {
        [FixedMetricsModule(id: "regulatory_risk", values: ["blocked": blocked ? 1 : 0, "cost_usd": 1e9]),
         FixedMetricsModule(id: "capex_return", values: ["npv_usd": 5e9]),
         FixedMetricsModule(id: "cloud_revenue_growth", values: ["platform_profit_pv_usd": 2e9])]
    }

    func simulate(_ x: Inputs = Inputs(), blocked: Bool = false, trials: Int = 10, seed: UInt64 = 1, threads: Int = 1) throws -> RunResults {
        try TestScenario.run(Self.scenario(x), modules: [PartnershipOutcome()], upstream: Self.upstream(blocked: blocked),
                             trials: trials, seed: seed, threads: threads)
    }

    func summary(_ r: RunResults, _ metric: String) throws -> Summary {
        try XCTUnwrap(r.metric("partnership_outcome.\(metric)")).summary
    }

    func assertClose(_ r: RunResults, _ metric: String, _ expected: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try summary(r, metric)
        XCTAssertEqual(s.mean, expected, accuracy: Swift.max(abs(expected) * 1e-9, 1e-12), metric, file: file, line: line)
        XCTAssertEqual(s.sd, 0, accuracy: Swift.max(abs(expected) * 1e-12, 1e-12), metric, file: file, line: line)
    }

    // MARK: - Worked examples

    /// Example A: the IPO comes 1.5 years after the announcement (2.0 years after the valuation date),
    /// before the deadline, and the deal is not blocked, so the contingent tranche must fund.
    func testWorkedExampleIPOBeforeDeadlineFundsTheContingentTranche() throws {
        let r = try simulate()
        try assertClose(r, "tranche2_funded", 1)
        try assertClose(r, "trigger_by_deadline", 1)
        try assertClose(r, "tranche2_funding_years", 1.5)
        try assertClose(r, "stake_at_horizon", 10.0 / 800 * pow(0.95, 7.5) + 40 / (800 * pow(1.1, 1.5)) * pow(0.95, 6))
        let equity = 10e9 * pow(1.045, 7.5) + 40e9 * pow(1.045, 6)
        XCTAssertEqual(equity, 66_001_847_920.8, accuracy: 0.1)
        try assertClose(r, "equity_value_usd", equity)
        try assertClose(r, "equity_value_pv_usd", equity / pow(1.1, 8))
        try assertClose(r, "paid_usd", 50e9)
        let paidPV = 10e9 / pow(1.1, 0.5) + 40e9 / 1.21
        XCTAssertEqual(paidPV, 42_592_477_132.1, accuracy: 0.1)
        try assertClose(r, "paid_pv_usd", paidPV)
        try assertClose(r, "investor_value_usd", equity / pow(1.1, 8) - paidPV + 5e9 + 2e9 - 1e9)
        XCTAssertEqual(try summary(r, "investor_value_usd").mean, -5_802_127_969.6, accuracy: 0.1)
        try assertClose(r, "equity_moic", 1.320036958416529)
    }

    /// Example B: the same deal, blocked: the contingent tranche must not fund; the upfront stake is kept.
    func testWorkedExampleBlockedDealKeepsOnlyTheUpfrontStake() throws {
        let r = try simulate(blocked: true)
        try assertClose(r, "tranche2_funded", 0)
        try assertClose(r, "trigger_by_deadline", 1)
        XCTAssertEqual(try summary(r, "tranche2_funding_years").undefined, 10)
        let equity = 10e9 * pow(1.045, 7.5)
        try assertClose(r, "stake_at_horizon", 10.0 / 800 * pow(0.95, 7.5))
        try assertClose(r, "equity_value_usd", equity)
        try assertClose(r, "paid_usd", 10e9)
        try assertClose(r, "paid_pv_usd", 10e9 / pow(1.1, 0.5))
        try assertClose(r, "investor_value_usd", equity / pow(1.1, 8) - 10e9 / pow(1.1, 0.5) + 6e9)
        XCTAssertEqual(try summary(r, "investor_value_usd").mean, 2_955_164_902.3, accuracy: 0.1)
        try assertClose(r, "equity_moic", 1.391144292692585)
    }

    /// Example C: not blocked, but the IPO comes 3 years after the announcement, after the deadline.
    func testWorkedExampleIPOAfterTheDeadlineLeavesTheTrancheUnfunded() throws {
        var x = Inputs()
        x.ipo = "3 years"
        let r = try simulate(x)
        try assertClose(r, "tranche2_funded", 0)
        try assertClose(r, "trigger_by_deadline", 0)
        try assertClose(r, "paid_usd", 10e9)
        try assertClose(r, "investor_value_usd", 10e9 * pow(1.045, 7.5) / pow(1.1, 8) - 10e9 / pow(1.1, 0.5) + 6e9)
    }

    /// The milestone is the other trigger: it alone funds the tranche when the IPO is late.
    func testMilestoneBeforeTheDeadlineFundsTheTrancheWithoutAnIPO() throws {
        var x = Inputs()
        x.ipo = "20 years"
        x.milestone = "1.5 years"
        let r = try simulate(x)
        try assertClose(r, "tranche2_funded", 1)
        try assertClose(r, "equity_value_usd", 10e9 * pow(1.045, 7.5) + 40e9 * pow(1.045, 6))
    }

    /// Example D: priced at the round, the contingent stake is A₂/V₀, diluted from the upfront date.
    func testRoundPricingBuysTheContingentStakeAtTheRoundPrice() throws {
        var x = Inputs()
        x.pricing = "round"
        let r = try simulate(x)
        let equity = 50e9 * pow(1.045, 7.5)
        try assertClose(r, "equity_value_usd", equity)
        try assertClose(r, "investor_value_usd", equity / pow(1.1, 8) - (10e9 / pow(1.1, 0.5) + 40e9 / 1.21) + 6e9)
    }

    /// Example E: an IPO before the upfront date funds both tranches at once; certain distress halves the value.
    func testDistressCutsTheStakeValueByTheHaircut() throws {
        var x = Inputs()
        x.ipo = "0 years"
        x.distress = "100%"
        let r = try simulate(x)
        try assertClose(r, "tranche2_funded", 1)
        try assertClose(r, "distress", 1)
        try assertClose(r, "tranche2_funding_years", 0)
        let equity = 0.5 * 50e9 * pow(1.045, 7.5)
        try assertClose(r, "equity_value_usd", equity)
        try assertClose(r, "equity_moic", equity / 50e9)
        try assertClose(r, "investor_value_usd", equity / pow(1.1, 8) - 50e9 / pow(1.1, 0.5) + 6e9)
    }

    // MARK: - Statistical behaviour

    /// With exponential times to IPO (mean 4 years) and to the milestone (mean 8 years), the first
    /// trigger is exponential with rate 0.375 a year, so P(funded) = 1 − exp(−0.375 × (deadline − 0.5)).
    func testFundingProbabilityFollowsTheEarlierOfTwoExponentialTriggers() throws {
        var x = Inputs()
        x.ipo = "gamma(1, 4 years)"
        x.milestone = "gamma(1, 8 years)"
        let n = 20000
        let r = try simulate(x, trials: n, seed: 3)
        let window = (2028 + 365.5 / 366 - 2026) - 0.5
        let p = 1 - exp(-0.375 * window)
        let se = (p * (1 - p) / Double(n)).squareRoot()
        XCTAssertEqual(try summary(r, "tranche2_funded").mean, p, accuracy: 4 * se)
        XCTAssertEqual(try summary(r, "tranche2_funding_years").undefined, n - Int((try summary(r, "tranche2_funded").mean * Double(n)).rounded()))
    }

    /// Certain distress at a uniform time in [0.5, 8] prevents funding at 2.0 unless it comes later:
    /// P(funded) = (8 − 2) / (8 − 0.5) = 0.8.
    func testDistressBeforeTheTriggerPreventsFunding() throws {
        var x = Inputs()
        x.distress = "100%"
        let n = 20000
        let r = try simulate(x, trials: n, seed: 4)
        XCTAssertEqual(try summary(r, "tranche2_funded").mean, 0.8, accuracy: 4 * (0.8 * 0.2 / Double(n)).squareRoot())
        XCTAssertEqual(try summary(r, "trigger_by_deadline").mean, try summary(r, "tranche2_funded").mean)
    }

    /// E[V(T)] = V₀(1 + g)^(T − t₁) whatever σ: the upfront stake's mean value is 10B × 1.045^7.5.
    /// Its sd is the mean × √(exp(σ²T) − 1), which sets the tolerance.
    func testExpectedStakeValueFollowsTheGrowthRateWhateverTheVolatility() throws {
        var x = Inputs()
        x.volatility = "50%"
        let n = 20000
        let r = try simulate(x, blocked: true, trials: n, seed: 6)
        let mean = 10e9 * pow(1.045, 7.5)
        let se = mean * (exp(0.25 * 7.5) - 1).squareRoot() / Double(n).squareRoot()
        XCTAssertEqual(try summary(r, "equity_value_usd").mean, mean, accuracy: 4 * se)
        // The median is below the mean by the lognormal's drift correction, exp(−σ²T/2). The sample
        // median's log has a standard error of about 1.2533 σ√T / √n.
        let median = mean * exp(-0.25 * 7.5 / 2)
        let logSE = 1.2533 * 0.5 * 7.5.squareRoot() / Double(n).squareRoot()
        XCTAssertEqual(log(try summary(r, "equity_value_usd").p50 / median), 0, accuracy: 4 * logSE)
    }

    /// A market-priced tranche buys A₂ / V(t_f), so its expected value at the horizon is A₂ grown at g
    /// and diluted from t_f, whatever path V took before: the mean is example A's equity.
    func testMarketPricedTrancheIsWorthItsMoneyGrownFromTheFundingDate() throws {
        var x = Inputs()
        x.volatility = "40%"
        let n = 20000
        let r = try simulate(x, trials: n, seed: 8)
        let s = try summary(r, "equity_value_usd")
        XCTAssertEqual(s.mean, 10e9 * pow(1.045, 7.5) + 40e9 * pow(1.045, 6), accuracy: 4 * s.stderr)
    }

    func testSameSeedGivesTheSameTrialsAtAnyThreadCount() throws {
        var x = Inputs()
        x.ipo = "9 months to 6 years"
        x.volatility = "uniform(30%, 60%)"
        x.distress = "15%"
        let one = try simulate(x, trials: 10000, seed: 42, threads: 1)
        let two = try simulate(x, trials: 10000, seed: 42, threads: 2)
        for m in PartnershipOutcome().descriptor.metrics {
            let a = one.values("partnership_outcome.\(m.name)")!, b = two.values("partnership_outcome.\(m.name)")!
            XCTAssertTrue(zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, m.name)
        }
    }

    // MARK: - Scenario checks

    func testEveryScenarioProblemIsReportedTogether() throws {
        var x = Inputs()
        x.pricing = "markt"
        x.growth = "-95%"
        x.tranches = "\n    - {name: third, amount: 5B USD, deadline: 2030-01-01}"
        let yaml = Self.scenario(x).replacingOccurrences(of: "deadline: 2028-12-31", with: "deadline: 2026-01-31")
        XCTAssertThrowsError(try TestScenario.run(yaml, modules: [PartnershipOutcome()], upstream: Self.upstream(blocked: false))) { error in
            guard let e = error as? DealcastError else { return XCTFail("\(error)") }
            let text = e.issues.map(\.description).joined(separator: "\n")
            XCTAssertTrue(text.contains("deal.tranches: partnership_outcome models one upfront tranche and one contingent tranche, got 3"), text)
            XCTAssertTrue(text.contains("deal.tranches[1].deadline: the contingent tranche's deadline falls before"), text)
            XCTAssertTrue(text.contains("tranche2_pricing: expected one of market, round, got 'markt'; did you mean 'market'?"), text)
            XCTAssertTrue(text.contains("partnership_outcome.value_growth"), text)
        }
    }

    func testDefaultScenarioSectionBindsAndRuns() throws {
        let yaml = try TestScenario.defaultScenario(sections: ["partnership_outcome"])
        let r = try TestScenario.run(yaml, modules: [PartnershipOutcome()], upstream: Self.upstream(blocked: false), trials: 4000, seed: 1)
        let funded = try summary(r, "tranche2_funded").mean
        XCTAssertGreaterThan(funded, 0.2)
        XCTAssertLessThan(funded, 0.9)
        XCTAssertEqual(try summary(r, "paid_usd").mean, 15e9 + 35e9 * funded, accuracy: 1)
    }
}
