import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// What a plugin does while a run is under way: its errors and bad values stop the run with its
/// message and nothing is written; the block seed it gets is reproducible.
final class PluginRuntimeTests: XCTestCase {
    func plugin(_ body: String, kind: String = "DEALCAST_CONTINUOUS", in dir: URL) throws -> URL {
        try PluginFixtures.compile(source: PluginFixtures.pluginSource(metricKind: kind, body: body), named: "fixture", in: dir)
    }

    func run(_ lib: URL, trials: Int = 10_000, seed: UInt64 = 1, threads: Int = 1) throws -> RunResults {
        let module = try PluginLoader().load(lib.path)
        return try TestScenario.run(PluginFixtures.scenario(), modules: [module], trials: trials, seed: seed, threads: threads)
    }

    func runError(_ lib: URL, threads: Int = 1, file: StaticString = #filePath, line: UInt = #line) throws -> DealcastError? {
        do {
            _ = try run(lib, threads: threads)
            XCTFail("the run succeeded", file: file, line: line)
            return nil
        } catch let e as DealcastError {
            return e
        }
    }

    func testAPluginErrorStopsTheRunWithItsMessageAndWritesNothing() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try plugin("""
            if (block->first_trial >= 4096) { snprintf(message, message_size, "calibration table has no row for block %lld", (long long)block->block_index); return DEALCAST_ERROR; }
            for (int64_t i = 0; i < n; i++) out[i] = in[i];
            """, in: dir)
        try PluginFixtures.scenario().write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try PluginFixtures.dealcast(["run", "s.yaml", "--trials", "100", "--out", "out", "--quiet", "--plugin", lib.path], in: dir).status, 0)
        let before = try Data(contentsOf: dir.appendingPathComponent("out/report.md"))
        let r = try PluginFixtures.dealcast(["run", "s.yaml", "--trials", "20000", "--threads", "2", "--out", "out", "--quiet", "--plugin", lib.path], in: dir)
        XCTAssertEqual(r.status, 70, r.stderr)
        // The first failing block in block order is reported, whichever thread met it first.
        XCTAssertTrue(r.stderr.contains("plugin 'fixture' (\(lib.path)) failed in trials 4097–8192: calibration table has no row for block 1"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/report.md")), before, "the previous report was replaced")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [])
    }

    func testAnErrorWithoutAMessageSaysSo() throws {
        let lib = try plugin("return 7;", in: try CLI.temporaryDirectory(self))
        let e = try XCTUnwrap(try runError(lib))
        XCTAssertTrue(e.message.contains("it returned status 7 without a message"), e.message)
    }

    func testANonFiniteValueStopsTheRunNamingTheMetricAndTrial() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try plugin("for (int64_t i = 0; i < n; i++) out[i] = block->first_trial + i == 4999 ? INFINITY : in[i];", in: dir)
        let e = try XCTUnwrap(try runError(lib, threads: 2))
        XCTAssertEqual(e.code.exitStatus, 70)
        XCTAssertTrue(e.message.contains("plugin 'fixture' (\(lib.path)) wrote a non-finite value (inf) for metric 'fixture.value' in trial 5000"), e.message)
        try PluginFixtures.scenario().write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        let r = try PluginFixtures.dealcast(["run", "s.yaml", "--trials", "6000", "--out", "out", "--quiet", "--plugin", lib.path], in: dir)
        XCTAssertEqual(r.status, 70, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/report.md").path), "a report was written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/results.json").path), "results.json was written")
    }

    func testAnOutputCellLeftUnwrittenStopsTheRun() throws {
        let lib = try plugin("for (int64_t i = 0; i + 1 < n; i++) out[i] = in[i];", in: try CLI.temporaryDirectory(self))
        let e = try XCTUnwrap(try runError(lib))
        XCTAssertTrue(e.message.contains("did not write metric 'fixture.value' for trial 4096"), e.message)
    }

    func testAnEventMustBeZeroOrOne() throws {
        let lib = try plugin("for (int64_t i = 0; i < n; i++) out[i] = 0.5;", kind: "DEALCAST_EVENT", in: try CLI.temporaryDirectory(self))
        let e = try XCTUnwrap(try runError(lib))
        XCTAssertTrue(e.message.contains("wrote 0.5 for event metric 'fixture.value' in trial 1; an event must be 0 or 1"), e.message)
    }

    func testThePluginReadsTheSameDrawsAsTheScenarioGives() throws {
        let lib = try plugin("for (int64_t i = 0; i < n; i++) out[i] = 2 * in[i];", in: try CLI.temporaryDirectory(self))
        let module = try PluginLoader().load(lib.path)
        let r = try TestScenario.run(PluginFixtures.scenario(capacity: "uniform(1 GW, 3 GW)"), modules: [module], trials: 5000)
        let capacity = try XCTUnwrap(r.inputValues("deal.capacity"))
        XCTAssertEqual(try XCTUnwrap(r.values("fixture.value")), capacity.map { 2 * $0 })
    }

    /// The block seed is a function of (run seed, block, module id): the same block gets the same seed
    /// at any thread count, blocks and run seeds get different ones.
    func testTheBlockSeedDependsOnTheRunSeedAndTheBlockOnly() throws {
        let lib = try plugin("for (int64_t i = 0; i < n; i++) out[i] = (double)(block->seed >> 11);", in: try CLI.temporaryDirectory(self))
        let blockSize = RunConfiguration.defaultBlockSize
        let one = try XCTUnwrap(try run(lib, seed: 5, threads: 1).values("fixture.value"))
        let two = try XCTUnwrap(try run(lib, seed: 5, threads: 2).values("fixture.value"))
        let other = try XCTUnwrap(try run(lib, seed: 6, threads: 1).values("fixture.value"))
        XCTAssertEqual(one, two)
        let perBlock = stride(from: 0, to: one.count, by: blockSize).map { one[$0] }
        XCTAssertEqual(Set(perBlock).count, perBlock.count, "two blocks got the same seed")
        XCTAssertEqual(one[0], one[blockSize - 1], "the seed changed within a block")
        XCTAssertNotEqual(one[0], other[0])
    }
}
