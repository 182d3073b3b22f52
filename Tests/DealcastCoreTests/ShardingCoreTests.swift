@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// Reads an input drawn from a CSV column, draws from its own stream, writes a series and computes a
/// table from the results after the run: every kind of state a merge has to rebuild (a headline
/// metric in double precision, one that is undefined in some trials in single precision, a series).
private struct Drawing: AnalysisModule {
    let descriptor = ModuleDescriptor(
        id: "drawing", version: "1", summary: "test",
        metrics: [MetricSpec("total", unit: "USD", summary: "a + b + noise", headline: true),
                  MetricSpec("excess", unit: "USD", summary: "a − 1B when positive", undefinedMeaning: "a is at most 1B")],
        series: [SeriesSpec("path", unit: "USD", frequency: .annual, summary: "a, then a + b")])

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(a: b.input("drawing.a", .currency, .positive, summary: "a"), b: b.input("drawing.b", .currency, summary: "b"))
    }

    struct Evaluator: ModuleEvaluator {
        let a: InputHandle, b: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let a = block.input(self.a), b = block.input(self.b)
            let total = block.output("total"), p0 = block.output("path", period: 0), p1 = block.output("path", period: 1)
            let excess = block.output("excess")
            for i in 0 ..< block.count {
                total[i] = a[i] + b[i] + 1e6 * block.stream.standardNormal()
                excess[i] = a[i] > 1e9 ? a[i] - 1e9 : .nan
                p0[i] = a[i]
                p1[i] = a[i] + b[i]
            }
        }

        func tables(_ results: RunResults) -> [ModuleTable] {
            let total = results.values("drawing.total") ?? []
            let above = total.filter { $0 > 2e9 }.count
            return [ModuleTable(title: "Above 2B", caption: "trials", header: ["count", "first"], rows: [[String(above), String(total.first ?? 0)]])]
        }
    }
}

final class ShardingCoreTests: XCTestCase {
    static let yaml = """
        id: sharding-test
        horizon: {start: 2026Q1, end: 2027Q4}
        drawing:
          a: 'empirical("draws.csv", "amount", unit=1B USD)'
          b: normal(1B USD, 0.2B USD)
        """

    // MARK: ShardSpec

    func testShardsTileTheBlocksInOrderAndDifferByAtMostOneBlock() throws {
        for blocks in 1 ... 40 {
            for count in 1 ... blocks {
                let ranges = try (0 ..< count).map { try ShardSpec(index: $0, count: count).blocks(of: blocks) }
                XCTAssertEqual(ranges.first?.lowerBound, 0)
                XCTAssertEqual(ranges.last?.upperBound, blocks)
                for (r, next) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(r.upperBound, next.lowerBound) }
                let sizes = ranges.map(\.count)
                XCTAssertGreaterThanOrEqual(sizes.min()!, 1, "\(count) shards of \(blocks) blocks")
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(count) shards of \(blocks) blocks")
            }
        }
    }

    func testShardTextIsParsedFromZeroAndBadTextIsAUsageError() throws {
        XCTAssertEqual(try ShardSpec(parsing: "3/8"), try ShardSpec(index: 3, count: 8))
        for (text, expected) in [("8/8", "between 0 and 7"), ("-1/4", "between 0 and 3"), ("1/0", "at least 1"), ("1-4", "expects I/N"), ("a/b", "expects I/N")] {
            XCTAssertThrowsError(try ShardSpec(parsing: text), text) { error in
                let e = error as! DealcastError
                XCTAssertEqual(e.code.exitStatus, 64)
                XCTAssertTrue(e.message.contains(expected), "\(text): \(e.message)")
            }
        }
        XCTAssertThrowsError(try ShardSpec(index: 0, count: 3).check(blocks: 2, trials: 5000, blockSize: 4096)) { error in
            XCTAssertTrue((error as! DealcastError).message.contains("3 shards, but 5000 trials make only 2 blocks"))
        }
    }

    // MARK: CRC-64

    func testCRC64MatchesTheXZCheckValueWholeOrInPieces() {
        let check: UInt64 = 0x995D_C9BB_DF19_39FA  // CRC-64/XZ of "123456789" (the catalogue's check value)
        var whole = CRC64()
        whole.update(Array("123456789".utf8))
        XCTAssertEqual(whole.value, check)
        let long = (0 ..< 1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var one = CRC64(), pieces = CRC64()
        one.update(long)
        for cut in stride(from: 0, to: long.count, by: 37) { pieces.update(long[cut ..< min(cut + 37, long.count)]) }
        XCTAssertEqual(one.value, pieces.value)
        var flipped = long
        flipped[500] ^= 1
        var other = CRC64()
        other.update(flipped)
        XCTAssertNotEqual(other.value, one.value)
    }

    // MARK: Shard, write, merge

    func testShardsWrittenAndMergedGiveTheSingleRunsNumbersBitForBit() throws {
        let dir = try CLI.temporaryDirectory(self)
        let scenarioURL = dir.appendingPathComponent("scenario.yaml"), csv = dir.appendingPathComponent("draws.csv")
        try Self.yaml.write(to: scenarioURL, atomically: true, encoding: .utf8)
        let csvText = "year,amount\n2019,0.6\n2020,0.9\n2021,1.4\n2022,2.1\n"
        let registry = try ModuleRegistry([Drawing()])
        for sampling in SamplingMethod.allCases {
            try csvText.write(to: csv, atomically: true, encoding: .utf8)
            let config = RunConfiguration(trials: 7 * 256 + 100, seed: 99, threads: 2, sampling: sampling, blockSize: 256)
            let single = try Engine.run(try RunPlan(scenario: try ScenarioLoader.load(url: scenarioURL), registry: registry), config)
            for n in [1, 3, 8] {
                var paths: [String] = []
                for i in 0 ..< n {
                    // Each shard loads and binds on its own, as a separate process would.
                    let plan = try RunPlan(scenario: try ScenarioLoader.load(url: scenarioURL), registry: registry)
                    var shardConfig = config
                    shardConfig.threads = 1 + i % 2
                    let shard = try Engine.runShard(plan, shardConfig, shard: try ShardSpec(index: i, count: n))
                    let path = dir.appendingPathComponent("\(sampling)-\(n)-\(i).part").path
                    try shard.write(to: URL(fileURLWithPath: path), displayPath: path, origin: .init(
                        dealcastVersion: "test", scenarioBytes: try Data(contentsOf: scenarioURL), moduleSelection: nil, options: [:], plugins: []))
                    paths.append(path)
                }
                try FileManager.default.removeItem(at: csv)  // the partials carry it
                let merged = try PartialMerge.merge(paths.reversed(), registry: registry, plugins: [], dealcastVersion: "test")
                try csvText.write(to: csv, atomically: true, encoding: .utf8)
                try assertSameNumbers(merged.results, single, "\(sampling), \(n) shards")
                XCTAssertEqual(merged.shards, n)
            }
        }
    }

    func testAPartialIsRefusedByAnotherDealcastVersion() throws {
        let dir = try CLI.temporaryDirectory(self)
        let scenarioURL = dir.appendingPathComponent("scenario.yaml")
        try Self.yaml.replacingOccurrences(of: "'empirical(\"draws.csv\", \"amount\", unit=1B USD)'", with: "1B USD to 2B USD").write(to: scenarioURL, atomically: true, encoding: .utf8)
        let registry = try ModuleRegistry([Drawing()])
        let plan = try RunPlan(scenario: try ScenarioLoader.load(url: scenarioURL), registry: registry)
        let shard = try Engine.runShard(plan, RunConfiguration(trials: 300, threads: 1, blockSize: 256), shard: try ShardSpec(index: 0, count: 1))
        let path = dir.appendingPathComponent("p").path
        try shard.write(to: URL(fileURLWithPath: path), displayPath: "p", origin: .init(
            dealcastVersion: "0.1.0", scenarioBytes: try Data(contentsOf: scenarioURL), moduleSelection: nil, options: [:], plugins: []))
        XCTAssertThrowsError(try PartialMerge.merge([path], registry: registry, plugins: [], dealcastVersion: "0.2.0")) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 65)
            XCTAssertTrue(e.message.contains("written by dealcast 0.1.0, but this is dealcast 0.2.0"), e.message)
        }
    }

    func testAMergeOrAShardThatWouldNotFitInMemoryIsRefusedBeforeItStarts() throws {
        let dir = try CLI.temporaryDirectory(self)
        let scenarioURL = dir.appendingPathComponent("scenario.yaml")
        try Self.yaml.replacingOccurrences(of: "'empirical(\"draws.csv\", \"amount\", unit=1B USD)'", with: "1B USD to 2B USD").write(to: scenarioURL, atomically: true, encoding: .utf8)
        let registry = try ModuleRegistry([Drawing()])
        let plan = try RunPlan(scenario: try ScenarioLoader.load(url: scenarioURL), registry: registry)
        let config = RunConfiguration(trials: 3000, threads: 1, blockSize: 256)
        let spec = try ShardSpec(index: 1, count: 4)
        XCTAssertThrowsError(try spec.checkMemory(plan, config, available: 1e6)) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 64)
            XCTAssertTrue(e.message.contains("--shard 1/4: the shard holds 768 of the 3000 trials") && e.message.contains("more shards"), e.message)
        }
        XCTAssertNoThrow(try spec.checkMemory(plan, config, available: 1e12))
        let shard = try Engine.runShard(plan, RunConfiguration(trials: 3000, threads: 1, blockSize: 256), shard: try ShardSpec(index: 0, count: 1))
        let path = dir.appendingPathComponent("p").path
        try shard.write(to: URL(fileURLWithPath: path), displayPath: "p", origin: .init(
            dealcastVersion: "test", scenarioBytes: try Data(contentsOf: scenarioURL), moduleSelection: nil, options: [:], plugins: []))
        XCTAssertThrowsError(try PartialMerge.merge([path], registry: registry, plugins: [], dealcastVersion: "test", available: 1e6)) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 64)
            XCTAssertTrue(e.message.contains("merging the 1 partial result of 3000 trials needs about"), e.message)
        }
        XCTAssertNoThrow(try PartialMerge.merge([path], registry: registry, plugins: [], dealcastVersion: "test", available: 1e12))
    }

    func testAShardRefusesAScenarioFileThatChangedDuringItsRun() throws {
        let dir = try CLI.temporaryDirectory(self)
        let scenarioURL = dir.appendingPathComponent("scenario.yaml")
        let yaml = Self.yaml.replacingOccurrences(of: "'empirical(\"draws.csv\", \"amount\", unit=1B USD)'", with: "1B USD to 2B USD")
        try yaml.write(to: scenarioURL, atomically: true, encoding: .utf8)
        let plan = try RunPlan(scenario: try ScenarioLoader.load(url: scenarioURL), registry: try ModuleRegistry([Drawing()]))
        let shard = try Engine.runShard(plan, RunConfiguration(trials: 300, threads: 1, blockSize: 256), shard: try ShardSpec(index: 0, count: 1))
        let path = dir.appendingPathComponent("p")
        XCTAssertThrowsError(try shard.write(to: path, displayPath: "p", origin: .init(
            dealcastVersion: "test", scenarioBytes: Data((yaml + "# edited\n").utf8), moduleSelection: nil, options: [:], plugins: []))) { error in
            XCTAssertTrue((error as! DealcastError).message.contains("changed while shard 0/1 ran"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path.path))
    }

    /// Every trial of every column, every statistic, table and sensitivity, compared bit for bit.
    func assertSameNumbers(_ a: RunResults, _ b: RunResults, _ what: String) throws {
        func bits(_ xs: [Double]?) -> [UInt64]? { xs?.map(\.bitPattern) }
        XCTAssertEqual(a.metrics.map(\.key), b.metrics.map(\.key), what)
        for m in b.metrics {
            XCTAssertEqual(bits(a.values(m.key)), bits(b.values(m.key)), "\(what): \(m.key)")
            XCTAssertEqual(a.metric(m.key)?.summary, m.summary, "\(what): \(m.key)")
            XCTAssertEqual(a.sensitivity(m.key), b.sensitivity(m.key), "\(what): sensitivity of \(m.key)")
        }
        for s in b.series {
            XCTAssertEqual(a.series(s.key)?.summary, s.summary, "\(what): \(s.key)")
        }
        for i in b.plan.inputs { XCTAssertEqual(bits(a.inputValues(i.path)), bits(b.inputValues(i.path)), "\(what): \(i.path)") }
        XCTAssertEqual(a.tables.map(\.tables), b.tables.map(\.tables), what)
        XCTAssertFalse(try XCTUnwrap(b.values("drawing.total")).isEmpty)
    }
}
