@testable import DealcastCore
import DealcastTestSupport
import XCTest

/// Binds three inputs and copies the first to its one metric: enough for the engine to draw them.
private struct ThreeInputs: AnalysisModule {
    let descriptor = ModuleDescriptor(id: "three", version: "1", summary: "test",
                                      metrics: [MetricSpec("a", unit: "USD", summary: "a")])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(a: b.input("three.a", .currency, summary: "a"), b: b.input("three.b", .ratio, summary: "b"),
                  c: b.input("three.c", .currency, summary: "c"))
    }

    struct Evaluator: ModuleEvaluator {
        let a, b, c: InputHandle
        func evaluate(_ block: BlockContext) throws {
            _ = block.output("a").update(fromContentsOf: block.input(a))
        }
    }
}

final class DrawFloorTests: XCTestCase {
    /// Two uncertain inputs (a lognormal through GSL's ziggurat, a beta through gsl_ran_beta) and a fixed one.
    static let yaml = """
        id: draw-floor-test
        horizon: {start: 2026Q1, end: 2027Q4}
        three:
          a: 0.5B USD to 2B USD
          b: beta(2, 5)
          c: 3B USD
        """

    func plan() throws -> RunPlan {
        try RunPlan(scenario: try TestScenario.load(Self.yaml), registry: try ModuleRegistry([ThreeInputs()]))
    }

    /// 10 000 trials: two full blocks of 4096 and a partial one, so the last block's count is exercised.
    func config(threads: Int) -> RunConfiguration {
        RunConfiguration(trials: 10_000, seed: 11, threads: threads, generator: .taus2, sampling: .random)
    }

    func testDrawsExactlyTheVariatesTheEngineDrawsUnderRandomSampling() throws {
        let plan = try plan()
        let config = config(threads: 2)
        let results = try Engine.run(plan, config)
        // The floor's checksum adds, block by block in block order, each uncertain input's draws in
        // binding order. Rebuilding that sum from the engine's own draws must give the same bits: the
        // floor seeds the same streams and calls the same samplers.
        var expected = 0.0
        for b in 0 ..< config.blocks {
            let first = b * config.blockSize, n = min(config.blockSize, config.trials - first)
            var sum = 0.0
            for input in plan.inputs where !input.value.distribution.isFixed {
                for x in try XCTUnwrap(results.inputValues(input.path))[first ..< first + n] { sum += x }
            }
            expected += sum
        }
        let floor = DrawFloor.run(plan: plan, config: config)
        XCTAssertEqual(floor.checksum, expected)
        XCTAssertGreaterThan(floor.seconds, 0)
    }

    func testCountsOnlyUncertainInputsAndDoesNotDependOnThreads() throws {
        let plan = try plan()
        let one = DrawFloor.run(plan: plan, config: config(threads: 1))
        let three = DrawFloor.run(plan: plan, config: config(threads: 3))
        XCTAssertEqual(one.variates, 2 * 10_000, "the fixed input c costs no draw")
        XCTAssertEqual(three.variates, one.variates)
        XCTAssertEqual(three.checksum, one.checksum)
    }

    func testFollowsTheSeedAndTheGenerator() throws {
        let plan = try plan()
        let base = DrawFloor.run(plan: plan, config: config(threads: 1))
        var reseeded = config(threads: 1)
        reseeded.seed = 12
        var otherGenerator = config(threads: 1)
        otherGenerator.generator = .mt19937
        XCTAssertNotEqual(DrawFloor.run(plan: plan, config: reseeded).checksum, base.checksum)
        XCTAssertNotEqual(DrawFloor.run(plan: plan, config: otherGenerator).checksum, base.checksum)
    }
}
