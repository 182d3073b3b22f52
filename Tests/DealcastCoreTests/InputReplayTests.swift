@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// The engine does not keep the inputs' draws; `RunResults.inputValues` replays them. These tests pin
/// that the replay gives, bit for bit, the values the modules read during the run, under every sampling
/// method and correlation method, for whole runs and for trial ranges that cut blocks.
final class InputReplayTests: XCTestCase {
    /// Publishes each of its inputs as a metric of the same name: the run's record of what it read.
    struct EchoModule: AnalysisModule {
        let names: [String]
        var descriptor: ModuleDescriptor {
            ModuleDescriptor(id: "echo", version: "1", summary: "test", metrics: names.map { MetricSpec($0, unit: "1", summary: $0) })
        }

        func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
            Evaluator(names: names, handles: names.map { b.input("echo.\($0)", .ratio, summary: $0) })
        }

        struct Evaluator: ModuleEvaluator {
            let names: [String]
            let handles: [InputHandle]
            func evaluate(_ block: BlockContext) throws {
                for (name, h) in zip(names, handles) { _ = block.output(name).update(fromContentsOf: block.input(h)) }
            }
        }
    }

    static let yaml = """
        id: echo
        horizon: {start: 2026Q1, end: 2026Q4}
        echo:
          a: "uniform(0, 1)"
          b: "pert(1, 2, 5)"
          c: "lognormal(p5=1, p95=3)"
          d: "normal(0, 1)"
          e: "4"
        correlations:
          - between: [echo.a, echo.b]
            rank: 0.6
        """

    func run(sampling: SamplingMethod, correlation: CorrelationMethod, trials: Int = 3 * 4096 + 100) throws -> RunResults {
        let module = EchoModule(names: ["a", "b", "c", "d", "e"])
        let plan = try RunPlan(scenario: try TestScenario.load(Self.yaml), registry: try ModuleRegistry([module]))
        return try Engine.run(plan, RunConfiguration(trials: trials, seed: 5, threads: 2, sampling: sampling, correlation: correlation))
    }

    func testReplayedDrawsAreTheOnesTheModulesRead() throws {
        for sampling in SamplingMethod.allCases {
            for correlation in [CorrelationMethod.imanConover, .copula] {
                let r = try run(sampling: sampling, correlation: correlation)
                for name in ["a", "b", "c", "d"] {
                    let read = try XCTUnwrap(r.values("echo.\(name)"))
                    XCTAssertEqual(r.inputValues("echo.\(name)"), read, "\(name), \(sampling), \(correlation)")
                    // A range cutting the first and last blocks it touches.
                    XCTAssertEqual(r.inputValues("echo.\(name)", trials: 4000 ..< 8300), Array(read[4000 ..< 8300]), "\(name), \(sampling)")
                }
                XCTAssertNil(r.inputValues("echo.e"), "a fixed input has no draws")
                XCTAssertNil(r.inputValues("echo.nope"))
            }
        }
    }

    /// Past 262 144 trials the rank correlations use the run's first 262 144 (64 whole blocks): the same
    /// numbers as computing them on that prefix by hand.
    func testRankCorrelationsOfALongRunUseItsFirst64Blocks() throws {
        let r = try run(sampling: .random, correlation: .imanConover, trials: RunResults.sensitivityTrialLimit + 5000)
        XCTAssertEqual(r.sensitivityTrials, 64 * 4096)
        let prefix = 0 ..< r.sensitivityTrials
        let metric = try XCTUnwrap(r.values("echo.d", trials: prefix))
        let names = ["a", "b", "c", "d"]
        let columns = try names.map { try XCTUnwrap(r.inputValues("echo.\($0)", trials: prefix)) }
        let cuts = names.map { name in
            let d = r.plan.inputs.first { $0.path == "echo.\(name)" }!.value.distribution
            return (low: d.quantile(0.1), high: d.quantile(0.9))
        }
        let expected = metric.withUnsafeBufferPointer { Sensitivity.compute(metrics: [$0], inputs: names.map { "echo.\($0)" }, cuts: cuts) { columns[$0] }[0] }
        XCTAssertEqual(r.sensitivity("echo.d"), expected)
        XCTAssertEqual(expected.entries[0].input, "echo.d")
    }

    /// Sensitivity ranks the replayed draws: an input that is the metric has ρ = 1.
    func testSensitivityUsesTheReplayedDraws() throws {
        let r = try run(sampling: .lhs, correlation: .imanConover)
        let s = try XCTUnwrap(r.sensitivity("echo.c"))
        XCTAssertEqual(s.entries[0].input, "echo.c")
        XCTAssertEqual(s.entries[0].spearman, 1, accuracy: 1e-12)
        let achieved = r.achievedRankCorrelations()
        XCTAssertEqual(achieved.count, 1)
        let a = try XCTUnwrap(r.values("echo.a")), b = try XCTUnwrap(r.values("echo.b"))
        let expected = Sensitivity.pearson(a.withUnsafeBufferPointer { Sensitivity.ranks($0) }, b.withUnsafeBufferPointer { Sensitivity.ranks($0) })
        XCTAssertEqual(achieved[0].achieved, expected)
    }
}
