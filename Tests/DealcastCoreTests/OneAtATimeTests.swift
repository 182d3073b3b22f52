@testable import DealcastCore
import DealcastTestSupport
import XCTest

/// y = 2a − 3b + d + ½ z, with z a standard normal from the module's own stream; it reads c and
/// ignores it. `a_above_10` is the event a > 10.
private struct Linear: AnalysisModule {
    let descriptor = ModuleDescriptor(
        id: "linear", version: "1", summary: "test",
        metrics: [MetricSpec("y", unit: "1", summary: "2a − 3b + d + noise", headline: true),
                  MetricSpec("a_above_10", unit: "1", kind: .event, summary: "a > 10", headline: true),
                  MetricSpec("not_headline", unit: "1", summary: "a")])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(a: b.input("linear.a", .ratio, summary: "a"), b: b.input("linear.b", .ratio, summary: "b"),
                  c: b.input("linear.c", .ratio, summary: "c, ignored"), d: b.input("linear.d", .ratio, summary: "d, fixed"))
    }

    struct Evaluator: ModuleEvaluator {
        let a: InputHandle, b: InputHandle, c: InputHandle, d: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let a = block.input(self.a), b = block.input(self.b), d = block.input(self.d)
            let y = block.output("y"), hit = block.output("a_above_10"), plain = block.output("not_headline")
            for i in 0 ..< block.count {
                y[i] = 2 * a[i] - 3 * b[i] + d[i] + 0.5 * block.stream.standardNormal()
                hit[i] = a[i] > 10 ? 1 : 0
                plain[i] = a[i]
            }
        }
    }
}

/// w = linear.y · e + noise from its own stream: downstream of `linear`.
private struct Downstream: AnalysisModule {
    let descriptor = ModuleDescriptor(id: "downstream", version: "1", summary: "test", reads: ["linear.y"],
                                      metrics: [MetricSpec("w", unit: "1", summary: "y · e + noise", headline: true)])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator { Evaluator(e: b.input("downstream.e", .ratio, summary: "e")) }

    struct Evaluator: ModuleEvaluator {
        let e: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let y = block.metric("linear.y"), e = block.input(self.e), w = block.output("w")
            for i in 0 ..< block.count { w[i] = y[i] * e[i] + block.stream.uniform() }
        }
    }
}

/// v = f², with its own input: reached by no other module's input.
private struct Unrelated: AnalysisModule {
    let descriptor = ModuleDescriptor(id: "unrelated", version: "1", summary: "test",
                                      metrics: [MetricSpec("v", unit: "1", summary: "f²", headline: true)])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator { Evaluator(f: b.input("unrelated.f", .ratio, summary: "f")) }

    struct Evaluator: ModuleEvaluator {
        let f: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let f = block.input(self.f), v = block.output("v")
            for i in 0 ..< block.count { v[i] = f[i] * f[i] * (1 + block.stream.uniform()) }
        }
    }
}

final class OneAtATimeTests: XCTestCase {
    static let yaml = """
        id: oat-test
        horizon: {start: 2026Q1, end: 2027Q4}
        linear:
          a: normal(10, 2)
          b: uniform(0, 4)
          c: uniform(1, 2)
          d: 5
        """

    func swings(threads: Int = 1, trials: Int = 10_000, seed: UInt64 = 3) throws -> OneAtATime {
        let results = try TestScenario.run(Self.yaml, modules: [Linear()], trials: trials, seed: seed, threads: threads)
        return try results.oneAtATime.get()
    }

    /// Φ⁻¹(0.9), to double precision.
    static let z90 = 1.2815515655446004

    func testALinearModuleHasItsClosedFormSwingsAndAnIgnoredInputSwingsZero() throws {
        let s = try swings()
        let y = try XCTUnwrap(s.metric("linear.y"))
        XCTAssertEqual(y.entries.map(\.input), ["linear.a", "linear.b", "linear.c"], "sorted by decreasing swing; d is fixed")
        // Every configuration sees the same module draws, so the noise cancels from high − low exactly
        // (up to rounding of the sums): the swing of a is 2 (a90 − a10) = 2 · 2 · 2 z90, of b 3 · (3.6 − 0.4).
        let a = y.entries[0], b = y.entries[1], c = y.entries[2]
        XCTAssertEqual(a.inputLow, 10 - 2 * Self.z90, accuracy: 1e-12)
        XCTAssertEqual(a.inputHigh, 10 + 2 * Self.z90, accuracy: 1e-12)
        XCTAssertEqual(a.high - a.low, 8 * Self.z90, accuracy: 1e-9)
        XCTAssertEqual(b.inputLow, 0.4, accuracy: 1e-12)
        XCTAssertEqual(b.low - b.high, 9.6, accuracy: 1e-9)
        XCTAssertEqual(b.swing, 9.6, accuracy: 1e-9)
        XCTAssertEqual(c.swing, 0, "an input the module ignores changes nothing, bit for bit")
        XCTAssertEqual(c.low, y.base)
        // Base: 2 · 10 − 3 · 2 + 5 + ½ · (mean of the module stream's first 1024 normals in block 0).
        let stream = RandomStream(kind: .taus2, seed: SeedDerivation.seed(run: 3, block: 0, stream: "module:linear"))
        var noise = 0.0
        for _ in 0 ..< s.trials { noise += stream.standardNormal() }
        XCTAssertEqual(s.trials, OneAtATime.trialsPerConfiguration, "the first 1024 trials of block 0's module draws")
        XCTAssertEqual(y.base, 19 + 0.5 * noise / Double(s.trials), accuracy: 1e-9)
    }

    func testAnEventGivesAProbabilityAndOnlyHeadlineMetricsAreAnalysed() throws {
        let s = try swings()
        XCTAssertEqual(s.metrics.map(\.key), ["linear.y", "linear.a_above_10"])
        let hit = try XCTUnwrap(s.metric("linear.a_above_10"))
        XCTAssertEqual(hit.base, 0, "at its median a = 10 is not above 10")
        XCTAssertEqual(hit.entries[0].input, "linear.a")
        XCTAssertEqual(hit.entries[0].low, 0)
        XCTAssertEqual(hit.entries[0].high, 1)
        XCTAssertEqual(hit.entries[0].swing, 1)
    }

    func testTheSwingsAreTheSameBitForBitAtAnyThreadCountAndUseAtMostTheRunsTrials() throws {
        XCTAssertEqual(try swings(threads: 1), try swings(threads: 3))
        XCTAssertEqual(try swings(trials: 1000).trials, 1000, "a run smaller than a block evaluates its own trial count")
    }

    func testReRunningOnlyTheModulesAnInputReachesGivesTheFullEvaluationsNumbers() throws {
        let yaml = Self.yaml + "\ndownstream:\n  e: uniform(1, 3)\nunrelated:\n  f: normal(4, 1)\n"
        for threads in [1, 3] {
            let results = try TestScenario.run(yaml, modules: [Unrelated(), Linear(), Downstream()], trials: 5000, seed: 4, threads: threads)
            let plan = results.plan
            let reached = { (path: String) in OneAtATime.modulesReached(by: plan.inputs.first { $0.path == path }!, in: plan).map { plan.modules[$0].id } }
            XCTAssertEqual(reached("linear.a"), ["linear", "downstream"])
            XCTAssertEqual(reached("downstream.e"), ["downstream"])
            XCTAssertEqual(reached("unrelated.f"), ["unrelated"])
            let fast = try results.oneAtATime.get()
            let full = try OneAtATime.evaluate(plan, results.config, cancellation: nil, reuseBase: false)
            let bits = { (s: OneAtATime) in s.metrics.flatMap { m in [m.base.bitPattern] + m.entries.flatMap { [$0.low.bitPattern, $0.high.bitPattern] } } }
            XCTAssertEqual(bits(fast), bits(full), "\(threads) thread(s)")
            XCTAssertEqual(fast.metric("downstream.w")?.entries.filter { $0.swing == 0 }.map(\.input), ["linear.c", "unrelated.f"])
            XCTAssertEqual(fast.metric("unrelated.v")?.entries.filter { $0.swing > 0 }.map(\.input), ["unrelated.f"])
        }
    }

    func testUndefinedTrialsAreLeftOutOfTheMean() {
        XCTAssertEqual([1.0, .nan, 3].withUnsafeBufferPointer(OneAtATime.definedMean), 2)
        XCTAssertTrue([Double.nan].withUnsafeBufferPointer(OneAtATime.definedMean).isNaN)
    }

    func testTheFactoredEvaluationLeavesARunsNumbersAsTheyWere() throws {
        // The run evaluates its blocks through Engine.evaluate; evaluating block 0's own draws again
        // through FixedInputEvaluation must give the run's numbers bit for bit.
        let results = try TestScenario.run(Self.yaml, modules: [Linear()], trials: 5000, seed: 9, sampling: .lhs)
        let plan = results.plan, config = results.config, n = config.blockSize
        let draws = plan.inputs.map { input in results.inputValues(input.path) ?? [Double](repeating: input.value.distribution.mean, count: config.trials) }
        let y = SharedBuffer(count: n)
        defer { y.free() }
        try FixedInputEvaluation(plan: plan, config: config, rows: n).run(units: 1, fill: { _, inputs in
            for j in draws.indices { for i in 0 ..< n { inputs[j * n + i] = draws[j][i] } }
            return 0
        }, collect: { _, outputs in
            let column = outputs.metric("linear.y")
            for i in 0 ..< n { y[i] = column[i] }
        }, describe: { _ in "block 0" })
        let run = try XCTUnwrap(results.values("linear.y"))
        XCTAssertEqual((0 ..< n).map { y[$0].bitPattern }, run.prefix(n).map(\.bitPattern))
    }
}
