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
