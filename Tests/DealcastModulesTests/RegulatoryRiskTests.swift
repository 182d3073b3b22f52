import DealcastCore
import DealcastModules
import DealcastTestSupport
import XCTest

/// Pins docs/models/regulatory_risk.md: its worked example, the Dirichlet–categorical outcome draw,
/// the delay rule and the scenario checks.
final class RegulatoryRiskTests: XCTestCase {
    /// The worked example of the doc. Jurisdiction C never opens unless `cOpens`.
    static func workedExample(cOpens: Bool = false) -> String {
        """
        id: regulatory-worked-example
        horizon: {start: 2026Q1, end: 2033Q4}
        deal:
          announced: 2026-07-02
          discount_rate: 10%
        regulatory_risk:
          delay_cost_per_month: 20M USD
          jurisdictions:
            - name: A
              review_probability: 100%
              time_to_open: 6 months
              duration: 12 months
              outcome_concentration: {cleared: 0, remedies: 2, blocked: 0}
              remedy_cost: 1B USD
            - name: B
              review_probability: 100%
              time_to_open: 3 months
              duration: 6 months
              outcome_concentration: {cleared: 5, remedies: 0, blocked: 0}
              remedy_cost: 2B USD
            - name: C
              review_probability: \(cOpens ? "100%" : "0%")
              time_to_open: 1 month
              duration: 36 months
              outcome_concentration: {cleared: 0, remedies: 0, blocked: 1}
              remedy_cost: 3B USD
        """
    }

    /// A scenario with the given jurisdictions (YAML list items, indented by 4), all else plain.
    static func scenario(_ jurisdictions: String) -> String {
        """
        id: regulatory-test
        horizon: {start: 2026Q1, end: 2033Q4}
        deal:
          announced: 2026-07-02
          discount_rate: 10%
        regulatory_risk:
          delay_cost_per_month: 20M USD
          jurisdictions:
        \(jurisdictions)
        """
    }

    static func jurisdiction(_ name: String, p: String, open: String = "3 months", duration: String = "6 months",
                             alpha: (Double, Double, Double) = (1, 0, 0)) -> String {
        """
            - name: \(name)
              review_probability: \(p)
              time_to_open: \(open)
              duration: \(duration)
              outcome_concentration: {cleared: \(alpha.0), remedies: \(alpha.1), blocked: \(alpha.2)}
              remedy_cost: 1B USD
        """
    }

    func simulate(_ yaml: String, trials: Int = 10, seed: UInt64 = 1, threads: Int = 1) throws -> RunResults {
        try TestScenario.run(yaml, modules: [RegulatoryRisk()], trials: trials, seed: seed, threads: threads)
    }

    func mean(_ r: RunResults, _ metric: String) throws -> Double {
        try XCTUnwrap(r.metric("regulatory_risk.\(metric)")).summary.mean
    }

    func assertWithin(_ x: Double, _ expected: Double, standardErrors k: Double, se: Double, _ what: String,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(x, expected, accuracy: k * se, "\(what): \(x) vs \(expected) (± \(k) × \(se))", file: file, line: line)
    }

    // MARK: - Worked example

    func testWorkedExampleWithRemediesMatchesTheDoc() throws {
        let r = try simulate(Self.workedExample())
        XCTAssertEqual(try mean(r, "any_review"), 1)
        XCTAssertEqual(try mean(r, "blocked"), 0)
        XCTAssertEqual(try mean(r, "remedies"), 1)
        XCTAssertEqual(try mean(r, "cleared"), 0)
        XCTAssertEqual(try mean(r, "reviews_opened"), 2)
        XCTAssertEqual(try mean(r, "delay_months"), 18, accuracy: 18e-9)
        XCTAssertEqual(try mean(r, "months_under_review"), 15, accuracy: 15e-9)
        let remedy = 1e9 / 1.21
        let delay = 240e6 * pow(1.1, -0.75) * (1 - pow(1.1, -1.25)) / log(1.1)
        XCTAssertEqual(remedy, 826_446_281.0, accuracy: 0.01)
        XCTAssertEqual(delay, 263_307_438.1, accuracy: 0.1)
        XCTAssertEqual(try mean(r, "remedy_cost_usd"), remedy, accuracy: remedy * 1e-9)
        XCTAssertEqual(try mean(r, "delay_cost_usd"), delay, accuracy: delay * 1e-9)
        XCTAssertEqual(try mean(r, "cost_usd"), 1_089_753_719.1, accuracy: 1.1)
        XCTAssertEqual(try mean(r, "block_probability"), 0)
        XCTAssertEqual(try XCTUnwrap(r.metric("regulatory_risk.cost_usd")).summary.sd, 0, accuracy: 1e-12 * 1.09e9)
    }

    func testWorkedExampleBlockedByCDropsTheRemedyAndLengthensTheDelay() throws {
        let r = try simulate(Self.workedExample(cOpens: true))
        XCTAssertEqual(try mean(r, "blocked"), 1)
        XCTAssertEqual(try mean(r, "remedies"), 0)
        XCTAssertEqual(try mean(r, "cleared"), 0)
        XCTAssertEqual(try mean(r, "reviews_opened"), 3)
        XCTAssertEqual(try mean(r, "delay_months"), 37, accuracy: 37e-9)
        XCTAssertEqual(try mean(r, "months_under_review"), 36, accuracy: 36e-9)
        XCTAssertEqual(try mean(r, "remedy_cost_usd"), 0)
        let delay = 240e6 * pow(1.1, -(0.5 + 1.0 / 12)) * (1 - pow(1.1, -3)) / log(1.1)
        XCTAssertEqual(delay, 592_346_952.1, accuracy: 0.1)
        XCTAssertEqual(try mean(r, "cost_usd"), delay, accuracy: delay * 1e-9)
        XCTAssertEqual(try mean(r, "block_probability"), 1)
    }

    /// Remedies from several regulators target the same clauses: only the costliest package counts.
    /// With B imposing remedies too, its 2B at 0.5 + 0.75 years outweighs A's 1B at 2 years.
    func testRemediesInSeveralJurisdictionsCostOnlyTheCostliestPackage() throws {
        let yaml = Self.workedExample().replacingOccurrences(of: "{cleared: 5, remedies: 0, blocked: 0}", with: "{cleared: 0, remedies: 5, blocked: 0}")
        let r = try simulate(yaml)
        let costliest = 2e9 / pow(1.1, 1.25)
        XCTAssertGreaterThan(costliest, 1e9 / 1.21)
        XCTAssertEqual(try mean(r, "remedy_cost_usd"), costliest, accuracy: costliest * 1e-9)
        XCTAssertEqual(try mean(r, "remedies"), 1)
    }

    func testZeroDiscountRateCostsTheUndiscountedMonths() throws {
        let yaml = Self.workedExample().replacingOccurrences(of: "discount_rate: 10%", with: "discount_rate: 0%")
        let r = try simulate(yaml)
        XCTAssertEqual(try mean(r, "delay_cost_usd"), 15 * 20e6, accuracy: 300e6 * 1e-9)
        XCTAssertEqual(try mean(r, "remedy_cost_usd"), 1e9, accuracy: 1e-9 * 1e9)
    }

    // MARK: - Statistical behaviour

    func testAnyReviewOpensWithTheProbabilityOfIndependentOpenings() throws {
        let yaml = Self.scenario([Self.jurisdiction("A", p: "30%"), Self.jurisdiction("B", p: "50%"), Self.jurisdiction("C", p: "20%")].joined(separator: "\n"))
        let n = 20000
        let r = try simulate(yaml, trials: n, seed: 7)
        let p = 1 - 0.7 * 0.5 * 0.8
        assertWithin(try mean(r, "any_review"), p, standardErrors: 4, se: (p * (1 - p) / Double(n)).squareRoot(), "P(any review)")
        assertWithin(try mean(r, "reviews_opened"), 1.0, standardErrors: 4, se: (0.21 + 0.25 + 0.16) / Double(n).squareRoot(), "E[reviews opened]")
    }

    func testBlockRateIsTheDirichletMeanAndMatchesTheMeanBlockProbability() throws {
        // P(blocked) = 1 − (1 − 1 · 1/4)(1 − 0.5 · 2/4) = 0.4375.
        let yaml = Self.scenario([Self.jurisdiction("A", p: "100%", alpha: (2, 1, 1)), Self.jurisdiction("B", p: "50%", alpha: (1, 1, 2))].joined(separator: "\n"))
        let n = 20000
        let r = try simulate(yaml, trials: n, seed: 11)
        let p = 0.4375
        assertWithin(try mean(r, "blocked"), p, standardErrors: 4, se: (p * (1 - p) / Double(n)).squareRoot(), "P(blocked)")
        let pb = try XCTUnwrap(r.metric("regulatory_risk.block_probability")).summary
        assertWithin(pb.mean, p, standardErrors: 4, se: pb.stderr, "E[block probability]")
    }

    func testOutcomeEventsPartitionEveryTrial() throws {
        let yaml = Self.scenario([Self.jurisdiction("A", p: "60%", alpha: (2, 1, 1)), Self.jurisdiction("B", p: "40%", alpha: (1, 2, 1))].joined(separator: "\n"))
        let r = try simulate(yaml, trials: 5000, seed: 3)
        let c = try XCTUnwrap(r.values("regulatory_risk.cleared")), m = try XCTUnwrap(r.values("regulatory_risk.remedies"))
        let b = try XCTUnwrap(r.values("regulatory_risk.blocked")), cost = try XCTUnwrap(r.values("regulatory_risk.remedy_cost_usd"))
        for i in c.indices {
            XCTAssertEqual(c[i] + m[i] + b[i], 1)
            if m[i] == 0 { XCTAssertEqual(cost[i], 0) } else { XCTAssertGreaterThan(cost[i], 0) }
        }
        XCTAssertGreaterThan(m.reduce(0, +), 0)
        XCTAssertGreaterThan(b.reduce(0, +), 0)
    }

    /// A single review that always opens publishes its block probability p ~ Beta(α_b, α₀ − α_b), so
    /// E[p²] = α_b(α_b + 1) / (α₀(α₀ + 1)): 0.1 for α = (2, 1, 1) and 0.0671 for ten times that.
    func testConcentrationsSetTheSpreadOfTheOutcomeProbabilities() throws {
        for (alpha, expected) in [((2.0, 1.0, 1.0), 0.1), ((20.0, 10.0, 10.0), 110.0 / 1640.0)] {
            let r = try simulate(Self.scenario(Self.jurisdiction("A", p: "100%", alpha: alpha)), trials: 20000, seed: 5)
            let p = try XCTUnwrap(r.values("regulatory_risk.block_probability"))
            let squares = p.map { $0 * $0 }
            let m = squares.reduce(0, +) / Double(squares.count)
            let sd = (squares.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(squares.count - 1)).squareRoot()
            assertWithin(m, expected, standardErrors: 4, se: sd / Double(squares.count).squareRoot(), "E[p²] for α = \(alpha)")
            assertWithin(p.reduce(0, +) / Double(p.count), 0.25, standardErrors: 4, se: 0.2 / Double(p.count).squareRoot(), "E[p]")
        }
    }

    func testDelayIsTheLongestOpenedReviewAndCostAccruesFromTheFirstOpening() throws {
        let yaml = Self.scenario([Self.jurisdiction("A", p: "50%", open: "2 months", duration: "8 months"),
                                  Self.jurisdiction("B", p: "50%", open: "5 months", duration: "15 months")].joined(separator: "\n"))
        let n = 8000
        let r = try simulate(yaml, trials: n, seed: 9)
        let delay = try XCTUnwrap(r.values("regulatory_risk.delay_months"))
        let under = try XCTUnwrap(r.values("regulatory_risk.months_under_review"))
        let opened = try XCTUnwrap(r.values("regulatory_risk.reviews_opened"))
        var counts = [0.0: 0, 10.0: 0, 20.0: 0]
        for i in delay.indices {
            let d = (delay[i] * 1e6).rounded() / 1e6, u = (under[i] * 1e6).rounded() / 1e6
            counts[d, default: 0] += 1
            switch (opened[i], d) {
            case (0, 0): XCTAssertEqual(u, 0)
            case (1, 10): XCTAssertEqual(u, 8)
            case (1, 20): XCTAssertEqual(u, 15)
            case (2, 20): XCTAssertEqual(u, 18)
            default: XCTFail("trial \(i): \(opened[i]) reviews opened and a delay of \(d) months")
            }
        }
        XCTAssertEqual(counts.count, 3)
        for (d, p) in [(0.0, 0.25), (10.0, 0.25), (20.0, 0.5)] {
            assertWithin(Double(counts[d]!) / Double(n), p, standardErrors: 4, se: (p * (1 - p) / Double(n)).squareRoot(), "P(delay = \(d))")
        }
    }

    func testSameSeedGivesTheSameTrialsAtAnyThreadCount() throws {
        let yaml = Self.scenario([Self.jurisdiction("A", p: "beta(2, 3)", open: "2 months to 12 months", alpha: (3, 1, 1)),
                                  Self.jurisdiction("B", p: "40%", duration: "uniform(3 months, 18 months)", alpha: (2, 2, 1))].joined(separator: "\n"))
        let one = try simulate(yaml, trials: 10000, seed: 42, threads: 1)
        let two = try simulate(yaml, trials: 10000, seed: 42, threads: 2)
        for m in RegulatoryRisk().descriptor.metrics {
            XCTAssertEqual(one.values("regulatory_risk.\(m.name)"), two.values("regulatory_risk.\(m.name)"), m.name)
        }
        let other = try simulate(yaml, trials: 10000, seed: 43)
        XCTAssertNotEqual(one.values("regulatory_risk.cost_usd"), other.values("regulatory_risk.cost_usd"))
    }

    // MARK: - Scenario checks

    func testEveryScenarioProblemIsReportedTogether() throws {
        let yaml = Self.scenario([Self.jurisdiction("A", p: "150%", alpha: (0, 0, 0)),
                                  Self.jurisdiction("A", p: "10%").replacingOccurrences(of: "duration:", with: "duraton:")
                                      .replacingOccurrences(of: "blocked:", with: "blockd:")].joined(separator: "\n"))
        XCTAssertThrowsError(try simulate(yaml)) { error in
            guard let e = error as? DealcastError else { return XCTFail("\(error)") }
            let text = e.issues.map(\.description).joined(separator: "\n")
            XCTAssertTrue(text.contains("jurisdictions[0].review_probability"), text)
            XCTAssertTrue(text.contains("jurisdictions[0].outcome_concentration: at least one"), text)
            XCTAssertTrue(text.contains("jurisdictions[1].name: jurisdiction 'A' is listed twice"), text)
            XCTAssertTrue(text.contains("jurisdictions[1].duration: missing"), text)
            XCTAssertTrue(text.contains("jurisdictions[1].duraton: unknown key 'duraton': no module reads it; did you mean 'duration'?"), text)
            XCTAssertTrue(text.contains("outcome_concentration.blockd: unknown key 'blockd': no module reads it; did you mean 'blocked'?"), text)
        }
    }

    func testDefaultScenarioSectionBindsAndRuns() throws {
        let yaml = try TestScenario.defaultScenario(sections: ["regulatory_risk"])
        let r = try simulate(yaml, trials: 4000, seed: 1)
        let blocked = try mean(r, "blocked")
        XCTAssertGreaterThan(blocked, 0)
        XCTAssertLessThan(blocked, 0.1)
        XCTAssertGreaterThan(try mean(r, "any_review"), 0.2)
    }
}
