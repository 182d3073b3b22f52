@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// Counts the blocks it evaluates and, at a chosen block, raises a cancellation flag, as SIGINT would
/// from another thread. Publishes one metric and a two-period series whose last period can be made
/// infinite in one chosen trial.
private struct Probe: AnalysisModule {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var blocks: [Int] = []
        func record(_ b: Int) { lock.lock(); blocks.append(b); lock.unlock() }
        var evaluated: [Int] { lock.lock(); defer { lock.unlock() }; return blocks.sorted() }
    }

    let log = Log()
    var cancelAt: (block: Int, flag: CancellationFlag)?
    var infiniteTrial: Int?

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(id: "probe", version: "1", summary: "test", metrics: [MetricSpec("x", unit: "USD", summary: "the input")],
                         series: [SeriesSpec("path", unit: "USD", frequency: .annual, summary: "x, then x or infinity")])
    }

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(x: b.input("probe.x", .currency, .positive, summary: "x"), log: log, cancelAt: cancelAt, infiniteTrial: infiniteTrial)
    }

    struct Evaluator: ModuleEvaluator {
        let x: InputHandle
        let log: Log
        let cancelAt: (block: Int, flag: CancellationFlag)?
        let infiniteTrial: Int?

        func evaluate(_ block: BlockContext) throws {
            log.record(block.blockIndex)
            if let c = cancelAt, c.block == block.blockIndex { c.flag.cancel() }
            let x = block.input(self.x)
            let out = block.output("x"), p0 = block.output("path", period: 0), p1 = block.output("path", period: 1)
            for i in 0 ..< block.count {
                out[i] = x[i]
                p0[i] = x[i]
                p1[i] = block.firstTrial + i == infiniteTrial ? .infinity : x[i]
            }
        }
    }
}

final class RunGuardTests: XCTestCase {
    static let yaml = """
        id: guard-test
        horizon: {start: 2026Q1, end: 2027Q4}
        probe:
          x: 1B USD to 2B USD
        """

    fileprivate func plan(_ probe: Probe, yaml: String = yaml) throws -> RunPlan {
        try RunPlan(scenario: try TestScenario.load(yaml), registry: try ModuleRegistry([probe]))
    }

    func testARaisedCancellationFlagStopsTheRunBeforeAnyBlockWithExit130() throws {
        let probe = Probe()
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try Engine.run(try plan(probe), RunConfiguration(trials: 10_000, threads: 2), cancellation: flag)) { error in
            XCTAssertEqual((error as? DealcastError)?.code, .interrupted)
            XCTAssertEqual((error as? DealcastError)?.code.exitStatus, 130)
        }
        XCTAssertEqual(probe.log.evaluated, [])
    }

    func testCancellingDuringARunStopsItBeforeTheNextBlock() throws {
        let flag = CancellationFlag()
        let probe = Probe(cancelAt: (block: 2, flag: flag))
        // One thread takes the blocks in order: 0, 1, 2 (which raises the flag), then stops.
        XCTAssertThrowsError(try Engine.run(try plan(probe), RunConfiguration(trials: 10 * 4096, threads: 1), cancellation: flag)) { error in
            XCTAssertEqual((error as? DealcastError)?.code, .interrupted)
        }
        XCTAssertEqual(probe.log.evaluated, [0, 1, 2])
    }

    func testAFlagThatIsNeverRaisedChangesNoNumber() throws {
        let config = RunConfiguration(trials: 20_000, seed: 3, threads: 2)
        let plain = try Engine.run(try plan(Probe()), config)
        let watched = try Engine.run(try plan(Probe()), config, cancellation: CancellationFlag())
        XCTAssertEqual(plain.values("probe.x"), watched.values("probe.x"))
    }

    func testAnInfiniteSeriesValueStopsTheRunNamingModuleSeriesPeriodAndTrial() throws {
        let probe = Probe(infiniteTrial: 7_000)
        XCTAssertThrowsError(try Engine.run(try plan(probe), RunConfiguration(trials: 10_000, threads: 2))) { error in
            let e = error as? DealcastError
            XCTAssertEqual(e?.code.exitStatus, 70)
            let m = e?.message ?? ""
            XCTAssertTrue(m.contains("'probe'") && m.contains("'probe.path'") && m.contains("period 2") && m.contains("trial 7001"), m)
        }
    }

    func testTheMemoryEstimateCountsEveryValueTheRunKeepsPerTrial() throws {
        let estimate = MemoryEstimate(plan: try plan(Probe()), trials: 1_000_000, threads: 2)
        // One metric (exact: no module marks a headline metric), one series over the horizon's two
        // years (two histograms, no value per trial), one uncertain input (replayed, not kept).
        XCTAssertEqual(estimate.exactMetrics, 1)
        XCTAssertEqual(estimate.singleMetrics, 0)
        XCTAssertEqual(estimate.seriesCells, 2)
        XCTAssertEqual(estimate.uncertainInputs, 1)
        XCTAssertEqual(estimate.bytesPerTrial, 8 * (1 + MemoryEstimate.workingColumns + 2))
        XCTAssertEqual(estimate.totalBytes, Double(estimate.bytesPerTrial) * 1e6 + MemoryEstimate.fixedBytes + 2 * 3 * MemoryEstimate.histogramBytes)
        let fixed = try plan(Probe(), yaml: "id: guard-test\nhorizon: {start: 2026Q1, end: 2027Q4}\nprobe:\n  x: 1B USD\n")
        XCTAssertEqual(MemoryEstimate(plan: fixed, trials: 10, threads: 1).uncertainInputs, 0, "a fixed input costs nothing per trial")
    }

    func testARunThatDoesNotFitIsRefusedWithExit64TheEstimateAndAnAdviceThatFits() throws {
        // 8 × (10 + 2 + 2) + 4 × 40 = 272 bytes per trial; 10⁸ of them and 256 MiB + 80 × 3 histograms
        // of 640 KiB: 27.6 GB.
        func estimate(_ trials: Int) -> MemoryEstimate {
            MemoryEstimate(exactMetrics: 10, singleMetrics: 40, seriesCells: 80, uncertainInputs: 60, trials: trials, threads: 2)
        }
        let available = 16e9
        XCTAssertEqual(estimate(1).bytesPerTrial, 272)
        XCTAssertThrowsError(try estimate(100_000_000).check(available: available)) { error in
            let e = error as? DealcastError
            XCTAssertEqual(e?.code.exitStatus, 64)
            let m = e?.message ?? ""
            XCTAssertTrue(m.contains("--trials 100000000 needs about 27.6 GB of memory") && m.contains("272 bytes per trial")
                          && m.contains("more than the 16.0 GB available") && m.contains("use --trials 57000000 or fewer"), m)
        }
        XCTAssertNoThrow(try estimate(57_000_000).check(available: available))
        XCTAssertEqual(estimate(1).maxTrials(available: available), Int((available - estimate(1).fixedBytes) / 272))
        XCTAssertNoThrow(try estimate(100_000).check(available: available))
    }

    func testTheMemoryAvailableIsPositiveAndAtMostThePhysicalMemory() {
        let available = MemoryEstimate.availableBytes()
        XCTAssertGreaterThan(available, 0)
        XCTAssertLessThanOrEqual(available, Double(ProcessInfo.processInfo.physicalMemory))
    }

    func testAmountsBeyondThePlausibleMagnitudeAreRefusedNamingTheField() throws {
        for (value, accepted) in [("1e14 USD", true), ("2e15 USD", false), ("lognormal(1e14 USD, 1e15 USD)", false), ("1e300 USD", false)] {
            let yaml = "id: guard-test\nhorizon: {start: 2026Q1, end: 2027Q4}\nprobe:\n  x: \(value)\n"
            if accepted {
                XCTAssertNoThrow(try plan(Probe(), yaml: yaml), value)
                continue
            }
            XCTAssertThrowsError(try plan(Probe(), yaml: yaml), value) { error in
                let m = (error as? DealcastError)?.message ?? ""
                XCTAssertTrue(m.contains("probe.x:") && m.contains("values beyond ±10^15 USD are refused as implausible"), m)
            }
        }
    }
}
