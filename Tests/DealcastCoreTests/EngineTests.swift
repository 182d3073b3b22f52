@testable import DealcastCore
import DealcastTestSupport
import XCTest

/// Sums two inputs and a draw from its own stream; writes a two-period series.
private struct Summing: AnalysisModule {
    let descriptor = ModuleDescriptor(
        id: "summing", version: "1", summary: "test",
        metrics: [MetricSpec("total", unit: "USD", summary: "a + b + noise"), MetricSpec("hit", unit: "1", kind: .event, summary: "a > 1B")],
        series: [SeriesSpec("path", unit: "USD", frequency: .annual, summary: "a, then a + b")])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(a: b.input("summing.a", .currency, .positive, summary: "a"), b: b.input("summing.b", .currency, summary: "b"))
    }

    struct Evaluator: ModuleEvaluator {
        let a: InputHandle, b: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let a = block.input(self.a), b = block.input(self.b)
            let total = block.output("total"), hit = block.output("hit")
            let p0 = block.output("path", period: 0), p1 = block.output("path", period: 1)
            for i in 0 ..< block.count {
                total[i] = a[i] + b[i] + 1e6 * block.stream.standardNormal()
                hit[i] = a[i] > 1e9 ? 1 : 0
                p0[i] = a[i]
                p1[i] = a[i] + b[i]
            }
        }
    }
}

/// Writes the same values to a headline metric (kept in double precision) and to another (kept in
/// single precision), undefined in the same trials.
private struct Twins: AnalysisModule {
    let descriptor = ModuleDescriptor(
        id: "twins", version: "1", summary: "test",
        metrics: [MetricSpec("exact", unit: "USD", summary: "x", undefinedMeaning: "x < 0", headline: true),
                  MetricSpec("rounded", unit: "USD", summary: "x", undefinedMeaning: "x < 0")])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator { Evaluator(a: b.input("twins.a", .currency, summary: "a")) }

    struct Evaluator: ModuleEvaluator {
        let a: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let a = block.input(self.a), exact = block.output("exact"), rounded = block.output("rounded")
            for i in 0 ..< block.count {
                let x = a[i] + 1e6 * block.stream.standardNormal()
                exact[i] = x < 0 ? .nan : x
                rounded[i] = exact[i]
            }
        }
    }
}

/// Produces a NaN in one chosen trial.
private struct Poisoned: AnalysisModule {
    let trial: Int
    var descriptor: ModuleDescriptor { ModuleDescriptor(id: "poisoned", version: "1", summary: "test", metrics: [MetricSpec("v", unit: "1", summary: "v")]) }
    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator { Evaluator(trial: trial) }
    struct Evaluator: ModuleEvaluator {
        let trial: Int
        func evaluate(_ block: BlockContext) throws {
            let v = block.output("v")
            for i in 0 ..< block.count { v[i] = block.firstTrial + i == trial ? .nan : 1 }
        }
    }
}

final class EngineTests: XCTestCase {
    static let yaml = """
        id: engine-test
        horizon: {start: 2026Q1, end: 2027Q4}
        summing:
          a: 0.5B USD to 2B USD
          b: normal(1B USD, 0.2B USD)
        """

    func run(threads: Int, trials: Int = 10_000, seed: UInt64 = 7, sampling: SamplingMethod = .lhs, yaml: String = yaml) throws -> RunResults {
        try TestScenario.run(yaml, modules: [Summing()], trials: trials, seed: seed, threads: threads, sampling: sampling)
    }

    func testResultsAreBitForBitTheSameAtAnyThreadCount() throws {
        for sampling in SamplingMethod.allCases {
            let one = try run(threads: 1, sampling: sampling), two = try run(threads: 2, sampling: sampling), five = try run(threads: 5, sampling: sampling)
            XCTAssertEqual(one.values("summing.total"), two.values("summing.total"))
            XCTAssertEqual(one.values("summing.total"), five.values("summing.total"))
            XCTAssertEqual(one.metric("summing.total")?.summary, five.metric("summing.total")?.summary)
            XCTAssertEqual(one.series("summing.path")?.summary, two.series("summing.path")?.summary)
        }
    }

    func testDifferentSeedsGiveDifferentDraws() throws {
        XCTAssertNotEqual(try run(threads: 1, seed: 1).values("summing.total"), try run(threads: 1, seed: 2).values("summing.total"))
    }

    func testASeriesSummaryIsThatOfItsReplayedValuesWithinOneHistogramBin() throws {
        let r = try run(threads: 2, trials: 3 * 4096 + 77)
        let summary = try XCTUnwrap(r.series("summing.path")?.summary)
        for p in 0 ..< 2 {
            let values = try XCTUnwrap(r.values(series: "summing.path", period: p))
            XCTAssertEqual(values.count, 3 * 4096 + 77)
            // Period 0 is input a itself, replayed bit for bit from its stream.
            if p == 0 { XCTAssertEqual(values, r.inputValues("summing.a")) }
            let exact = values.withUnsafeBufferPointer { Summary.of($0) }
            XCTAssertEqual(summary.mean[p], exact.mean, accuracy: 1e-12 * abs(exact.mean), "the mean is exact but for the order of the sums")
            for (estimate, truth) in zip([summary.p5[p], summary.p25[p], summary.p50[p], summary.p75[p], summary.p95[p]],
                                         [exact.p5, exact.p25, exact.p50, exact.p75, exact.p95]) {
                XCTAssertEqual(estimate, truth, accuracy: (0x1p-14 + 0x1p-24) * abs(truth) * 1.001, "period \(p)")
            }
        }
    }

    func testAMetricKeptInSinglePrecisionHasTheExactMeanSdAndRangeAndThePercentilesOfItsRoundedValues() throws {
        let yaml = "id: twins-test\nhorizon: {start: 2026Q1, end: 2027Q4}\ntwins:\n  a: normal(1B USD, 0.6B USD)\n"
        let runs = try [1, 3].map { try TestScenario.run(yaml, modules: [Twins()], trials: 2 * 4096 + 500, seed: 3, threads: $0) }
        let r = runs[0]
        XCTAssertEqual(r.plan.exactMetrics, ["twins.exact"])
        let exact = try XCTUnwrap(r.metric("twins.exact")?.summary), rounded = try XCTUnwrap(r.metric("twins.rounded")?.summary)
        XCTAssertGreaterThan(exact.undefined, 0)
        XCTAssertEqual(rounded.n, exact.n)
        XCTAssertEqual(rounded.undefined, exact.undefined)
        XCTAssertEqual(rounded.min, exact.min)
        XCTAssertEqual(rounded.max, exact.max)
        // Summed block by block instead of in one pass: the same but for rounding.
        XCTAssertEqual(rounded.mean, exact.mean, accuracy: 1e-13 * exact.mean)
        XCTAssertEqual(rounded.sd, exact.sd, accuracy: 1e-11 * exact.sd)
        for (x, y) in zip([rounded.p5, rounded.p25, rounded.p50, rounded.p75, rounded.p95], [exact.p5, exact.p25, exact.p50, exact.p75, exact.p95]) {
            XCTAssertEqual(x, y, accuracy: 0x1p-24 * abs(y))
        }
        let values = try XCTUnwrap(r.values("twins.rounded")), exactValues = try XCTUnwrap(r.values("twins.exact"))
        XCTAssertEqual(values.map(\.bitPattern), exactValues.map { Double(Float($0)).bitPattern })
        XCTAssertEqual(runs[1].metric("twins.rounded")?.summary, rounded, "the same at any thread count")
    }

    func testChangingOneInputLeavesAnotherInputsDrawsUnchanged() throws {
        let r1 = try run(threads: 1)
        // Same input 'a' under a different set of inputs: change b only.
        let r2 = try run(threads: 1, yaml: Self.yaml.replacingOccurrences(of: "normal(1B USD, 0.2B USD)", with: "uniform(0 USD, 1B USD)"))
        let p0a = r1.values(series: "summing.path", period: 0), p0b = r2.values(series: "summing.path", period: 0)
        XCTAssertEqual(p0a, p0b)
    }

    func testLatinHypercubePutsOneDrawInEachStratumOfEveryBlock() throws {
        let r = try run(threads: 2, trials: 4096 + 1000)
        let a = try XCTUnwrap(r.inputValues("summing.a"))
        let d = Distribution.lognormal(p5: 0.5e9, p95: 2e9)
        for (start, n) in [(0, 4096), (4096, 1000)] {
            var seen = Set<Int>()
            for x in a[start ..< start + n] { seen.insert(Int(d.cdf(x) * Double(n))) }
            XCTAssertEqual(seen.count, n, "every stratum of the block holds exactly one draw")
        }
    }

    func testEventMetricMeanIsItsProbability() throws {
        let r = try run(threads: 2, trials: 40_000, sampling: .random)
        let p = try XCTUnwrap(r.metric("summing.hit")).summary
        let exact = 1 - Distribution.lognormal(p5: 0.5e9, p95: 2e9).cdf(1e9)
        XCTAssertEqual(p.mean, exact, accuracy: 4 * (exact * (1 - exact) / 40_000).squareRoot())
    }

    func testANonFiniteValueStopsTheRunNamingModuleMetricAndTrial() throws {
        let scenario = try TestScenario.load("id: t\nhorizon: {start: 2026Q1, end: 2026Q4}\n")
        let plan = try RunPlan(scenario: scenario, registry: try ModuleRegistry([Poisoned(trial: 5000)]))
        XCTAssertThrowsError(try Engine.run(plan, RunConfiguration(trials: 10_000, threads: 2))) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 70)
            XCTAssertTrue(e.message.contains("'poisoned'") && e.message.contains("'poisoned.v'") && e.message.contains("trial 5001"), e.message)
        }
    }

    func testEveryScenarioProblemIsReportedAtOnceWithLineAndPath() throws {
        let yaml = """
            id: t
            horizon: {start: 2026Q1, end: 2026Q4}
            summing:
              a: -3B USD
              b: 2 GW
              c: 1
            """
        let scenario = try TestScenario.load(yaml, file: "bad.yaml")
        XCTAssertThrowsError(try RunPlan(scenario: scenario, registry: try ModuleRegistry([Summing()]))) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 65)
            XCTAssertEqual(e.issues.map(\.path), ["summing.a", "summing.b", "summing.c"])
            XCTAssertEqual(e.issues.map(\.line), [4, 5, 6])
            XCTAssertTrue(e.issues[0].description.hasPrefix("bad.yaml:4: summing.a: expected a positive value"), e.issues[0].description)
            XCTAssertTrue(e.issues[1].message.contains("GW"), e.issues[1].message)
            XCTAssertTrue(e.issues[2].message.contains("unknown key 'c'"), e.issues[2].message)
        }
    }
}

extension EngineTests {
    /// `BlockFrame.firstNonFinite` finds the first NaN or infinity wherever it sits: in the vector part
    /// or the tail of a chunk, in a later chunk, first or last; and nil when every value is finite
    /// (extremes and signed zeros included).
    func testFirstNonFiniteFindsTheFirstOne() {
        for count in [0, 1, 7, 8, 9, 255, 256, 257, 600, 4096] {
            var values = (0 ..< count).map { Double($0 % 5) - 2 }
            if count > 3 { values[1] = .greatestFiniteMagnitude; values[2] = -0.0; values[3] = .leastNonzeroMagnitude }
            XCTAssertNil(values.withUnsafeBufferPointer(BlockFrame.firstNonFinite), "count \(count)")
            for bad in [Double.nan, .infinity, -.infinity] {
                for at in Set([0, count / 2, count - 1, 7, 8, 255, 256, 263]) where at >= 0 && at < count {
                    var v = values
                    v[at] = bad
                    if at + 5 < count { v[at + 5] = .nan }
                    XCTAssertEqual(v.withUnsafeBufferPointer(BlockFrame.firstNonFinite), at, "count \(count), \(bad) at \(at)")
                }
            }
        }
    }
}
