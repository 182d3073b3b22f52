import DealcastTestSupport
import Foundation
import XCTest

/// `dealcast run --shard I/N --partial FILE` and `dealcast merge`: shards run as separate processes
/// in parallel merge to exactly the single run's outputs, and every bad merge is refused by name.
final class ShardingTests: XCTestCase {
    /// 8 full blocks of 4096 and a short ninth, so that 8 shards have unequal sizes and the last
    /// block is partial.
    static let trials = 8 * 4096 + 1000

    // MARK: Merging to the single run

    func testRandomSamplingShardedInOneThreeAndEightMergesToTheSingleRun() throws {
        try assertShardsMergeToTheSingleRun(sampling: "random", shardCounts: [1, 3, 8])
    }

    func testLHSSamplingShardedInOneThreeAndEightMergesToTheSingleRun() throws {
        try assertShardsMergeToTheSingleRun(sampling: "lhs", shardCounts: [1, 3, 8])
    }

    func testSobolSamplingShardedInOneThreeAndEightMergesToTheSingleRun() throws {
        try assertShardsMergeToTheSingleRun(sampling: "sobol", shardCounts: [1, 3, 8])
    }

    /// Runs the default scenario once whole and once in N shards (separate processes, in parallel,
    /// with different thread counts), merges the partials given in reverse order, and compares.
    func assertShardsMergeToTheSingleRun(sampling: String, shardCounts: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try CLI.temporaryDirectory(self)
        let common = ["--trials", String(Self.trials), "--seed", "20260227", "--sampling", sampling, "--quiet"]
        let single = try CLI.run(["run"] + common + ["--threads", "2", "--out", "single"], in: dir)
        XCTAssertEqual(single.status, 0, single.stderr, file: file, line: line)
        let singleJSON = try text(dir, "single/results.json"), singleReport = try text(dir, "single/report.md")
        for n in shardCounts {
            let shards = try Self.runInParallel((0 ..< n).map { i in
                ["run"] + common + ["--threads", String(1 + i % 2), "--shard", "\(i)/\(n)", "--partial", "parts\(n)/shard-\(i).part"]
            }, in: dir)
            for (i, s) in shards.enumerated() {
                XCTAssertEqual(s.status, 0, "shard \(i)/\(n): \(s.stderr)", file: file, line: line)
                XCTAssertTrue(s.stdout.contains("Shard \(i)/\(n)"), s.stdout, file: file, line: line)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("reports").path), "a shard run wrote a report", file: file, line: line)
            let merge = try CLI.run(["merge"] + (0 ..< n).reversed().map { "parts\(n)/shard-\($0).part" } + ["--out", "merged\(n)"], in: dir)
            XCTAssertEqual(merge.status, 0, merge.stderr, file: file, line: line)
            let mergedJSON = try text(dir, "merged\(n)/results.json"), mergedReport = try text(dir, "merged\(n)/report.md")

            XCTAssertEqual(Self.withoutRunFacts(mergedJSON), Self.withoutRunFacts(singleJSON),
                           "\(sampling), \(n) shards: results.json differs from the single run's", file: file, line: line)
            XCTAssertEqual(Self.withoutRunFacts(mergedReport), Self.withoutRunFacts(singleReport),
                           "\(sampling), \(n) shards: report.md differs from the single run's", file: file, line: line)
            let run = try XCTUnwrap(Self.json(mergedJSON)["run"] as? [String: Any], file: file, line: line)
            XCTAssertEqual(run["shards"] as? Int, n, file: file, line: line)
            XCTAssertEqual(run["trials"] as? Int, Self.trials, file: file, line: line)
            XCTAssertEqual(run["sampling"] as? String, sampling, file: file, line: line)
            XCTAssertTrue(mergedReport.contains("| Shards | \(n)"), "the report does not say it merged \(n) shards", file: file, line: line)
        }
        // The comparison covers real numbers, not just empty sections.
        let metrics = try XCTUnwrap(Self.json(singleJSON)["metrics"] as? [String: Any], file: file, line: line)
        XCTAssertGreaterThan(metrics.count, 20, file: file, line: line)
        XCTAssertTrue(singleJSON.contains("\"wall_seconds\""), file: file, line: line)
    }

    func testPartialsOfDifferentShardCountsThatTileTheBlocksMergeToTheSingleRun() throws {
        let dir = try CLI.temporaryDirectory(self)
        let common = ["--trials", "17000", "--modules", "capex_return", "--sampling", "random", "--quiet"]
        XCTAssertEqual(try CLI.run(["run"] + common + ["--out", "single"], in: dir).status, 0)
        let shards = try Self.runInParallel([["0/2", "a"], ["2/4", "b"], ["3/4", "c"]].map { ["run"] + common + ["--shard", $0[0], "--partial", $0[1]] }, in: dir)
        XCTAssertEqual(shards.map(\.status), [0, 0, 0], shards.map(\.stderr).joined())
        let merge = try CLI.run(["merge", "c", "a", "b", "--out", "merged"], in: dir)
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertEqual(Self.withoutRunFacts(try text(dir, "merged/results.json")), Self.withoutRunFacts(try text(dir, "single/results.json")))
    }

    func testAMergeNeedsNeitherTheScenarioNorItsDatasetsOnDisk() throws {
        let dir = try CLI.temporaryDirectory(self)
        let scenario = dir.appendingPathComponent("deal/scenario.yaml")
        try FileManager.default.createDirectory(at: scenario.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "x,y\n1,1.10\n2,1.20\n3,1.35\n".write(to: dir.appendingPathComponent("deal/draws.csv"), atomically: true, encoding: .utf8)
        let pue = "value: triangular(1.08, 1.15, 1.25)"
        let yaml = try Self.smallScenario(extra: "")
        XCTAssertTrue(yaml.contains(pue), "the default scenario's capex_return.pue changed; update this test")
        try yaml.replacingOccurrences(of: pue, with: "value: 'empirical(\"draws.csv\", \"y\")'").write(to: scenario, atomically: true, encoding: .utf8)
        let common = ["deal/scenario.yaml", "--trials", "5000", "--modules", "capex_return", "--quiet"]
        let single = try CLI.run(["run"] + common + ["--out", "single"], in: dir)
        XCTAssertEqual(single.status, 0, single.stderr)
        // The input really comes from the CSV: its mean is the mean of the column.
        let inputs = try XCTUnwrap(Self.json(try text(dir, "single/results.json"))["inputs"] as? [String: Any])
        let pueMean = try XCTUnwrap((inputs["capex_return.pue"] as? [String: Any])?["mean"] as? Double)
        XCTAssertEqual(pueMean, (1.10 + 1.20 + 1.35) / 3, accuracy: 1e-12)
        for i in 0 ..< 2 { XCTAssertEqual(try CLI.run(["run"] + common + ["--shard", "\(i)/2", "--partial", "p\(i)"], in: dir).status, 0) }
        try FileManager.default.removeItem(at: scenario.deletingLastPathComponent())
        let merge = try CLI.run(["merge", "p0", "p1", "--out", "merged"], in: dir)
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertEqual(Self.withoutRunFacts(try text(dir, "merged/results.json")), Self.withoutRunFacts(try text(dir, "single/results.json")))
    }

    // MARK: Refusals

    func testPartialsOfDifferentScenariosAreRefusedNamingTheScenarioHashes() throws {
        let dir = try CLI.temporaryDirectory(self)
        try Self.smallScenario(extra: "").write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try Self.smallScenario(extra: "# one more line\n").write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try shard(["a.yaml", "--shard", "0/2"], to: "a0", in: dir)
        try shard(["b.yaml", "--shard", "1/2"], to: "b1", in: dir)
        let r = try CLI.run(["merge", "a0", "b1"], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("not shards of the same run"), r.stderr)
        XCTAssertTrue(r.stderr.contains("scenario SHA-256"), r.stderr)
        XCTAssertTrue(r.stderr.contains("a0") && r.stderr.contains("b1"), r.stderr)
    }

    func testPartialsOfDifferentSeedsAreRefusedNamingBothSeeds() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--seed", "1", "--shard", "0/2"], to: "s1", in: dir)
        try shard(["--seed", "2", "--shard", "1/2"], to: "s2", in: dir)
        let r = try CLI.run(["merge", "s1", "s2"], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("seed: 1 in s1, 2 in s2"), r.stderr)
    }

    func testPartialsOfDifferentSettingsAreRefusedNamingTheSetting() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--sampling", "random", "--shard", "0/2"], to: "r", in: dir)
        try shard(["--sampling", "lhs", "--shard", "1/2"], to: "l", in: dir)
        try shard(["--trials", "12000", "--shard", "1/2"], to: "t", in: dir)
        let sampling = try CLI.run(["merge", "r", "l"], in: dir)
        XCTAssertEqual(sampling.status, 65, sampling.stderr)
        XCTAssertTrue(sampling.stderr.contains("sampling: random in r, lhs in l"), sampling.stderr)
        let trials = try CLI.run(["merge", "l", "t"], in: dir)
        XCTAssertEqual(trials.status, 65, trials.stderr)
        XCTAssertTrue(trials.stderr.contains("trials: 9000 in l, 12000 in t"), trials.stderr)
    }

    func testMissingShardsAreRefusedNamingThem() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--trials", "17000", "--shard", "0/4"], to: "p0", in: dir)
        try shard(["--trials", "17000", "--shard", "3/4"], to: "p3", in: dir)
        let r = try CLI.run(["merge", "p0", "p3"], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("missing shards 1, 2 of 4"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--shard 1/4, --shard 2/4"), r.stderr)
    }

    func testAShardGivenTwiceIsRefusedNamingBothFiles() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--shard", "0/2"], to: "p0", in: dir)
        try shard(["--shard", "1/2"], to: "p1", in: dir)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("p1"), to: dir.appendingPathComponent("again"))
        let r = try CLI.run(["merge", "p0", "p1", "again"], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("shard 1/2 is given twice: p1 and again") || r.stderr.contains("shard 1/2 is given twice: again and p1"), r.stderr)
    }

    func testOverlappingShardsOfDifferentCountsAreRefusedNamingTheBlocks() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--shard", "0/2"], to: "half", in: dir)
        try shard(["--shard", "0/3"], to: "third", in: dir)
        try shard(["--shard", "1/2"], to: "rest", in: dir)
        let r = try CLI.run(["merge", "half", "third", "rest"], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("overlap in block 0"), r.stderr)
        XCTAssertTrue(r.stderr.contains("half (shard 0/2)") && r.stderr.contains("third (shard 0/3)"), r.stderr)
    }

    func testACorruptedPartialIsRefusedNamingTheFile() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--shard", "0/2"], to: "p0", in: dir)
        try shard(["--shard", "1/2"], to: "p1", in: dir)
        let original = try Data(contentsOf: dir.appendingPathComponent("p1"))
        // One bit flipped in the column data (past the header and the embedded scenario).
        var flipped = original
        flipped[flipped.count - 1000] ^= 0x04
        try flipped.write(to: dir.appendingPathComponent("p1"))
        let columns = try CLI.run(["merge", "p0", "p1", "--out", "out"], in: dir)
        XCTAssertEqual(columns.status, 65, columns.stderr)
        XCTAssertTrue(columns.stderr.contains("p1: corrupted partial result"), columns.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/results.json").path))
        // One bit flipped in the metadata.
        var header = original
        header[40] ^= 0x01
        try header.write(to: dir.appendingPathComponent("p1"))
        let meta = try CLI.run(["merge", "p0", "p1"], in: dir)
        XCTAssertEqual(meta.status, 65, meta.stderr)
        XCTAssertTrue(meta.stderr.contains("p1: corrupted partial result: the header's checksum"), meta.stderr)
        // Cut short, as by an interrupted copy.
        try original.prefix(original.count / 2).write(to: dir.appendingPathComponent("p1"))
        let cut = try CLI.run(["merge", "p0", "p1"], in: dir)
        XCTAssertEqual(cut.status, 65, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("p1: corrupted partial result: truncated"), cut.stderr)
    }

    func testAFileThatIsNotAPartialIsRefusedAndAMissingOneExits66() throws {
        let dir = try CLI.temporaryDirectory(self)
        try shard(["--shard", "0/1"], to: "p0", in: dir)
        try "id: x\n".write(to: dir.appendingPathComponent("notes.yaml"), atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["merge", "p0", "notes.yaml"], in: dir)
        XCTAssertEqual(wrong.status, 65, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("notes.yaml: not a Dealcast partial result"), wrong.stderr)
        let missing = try CLI.run(["merge", "p0", "nowhere.part"], in: dir)
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nowhere.part: no such file"), missing.stderr)
    }

    func testBadShardOptionsAreUsageErrors() throws {
        let dir = try CLI.temporaryDirectory(self)
        let cases: [([String], String)] = [
            (["--shard", "4/4", "--partial", "p"], "I must be between 0 and 3"),
            (["--shard", "three/4", "--partial", "p"], "--shard expects I/N"),
            (["--shard", "0/4", "--partial", "p", "--trials", "5000"], "4 shards, but 5000 trials make only 2 blocks"),
            (["--shard", "0/2"], "--shard needs --partial"),
            (["--partial", "p"], "--partial needs --shard"),
            (["--shard", "0/2", "--partial", "p", "--out", "o"], "--out does not apply to a shard run"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(["run", "--modules", "capex_return", "--quiet"] + args, in: dir)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("p").path))
    }

    func testAnUnwritablePartialExits73AndLeavesNoFile() throws {
        let dir = try CLI.temporaryDirectory(self)
        try "x".write(to: dir.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--modules", "capex_return", "--trials", "5000", "--shard", "0/1", "--partial", "file/p.part", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 73, r.stderr)
        XCTAssertTrue(r.stderr.contains("file/p.part"), r.stderr)
    }

    // MARK: Helpers

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a small shard of the default scenario's capex_return module (9000 trials: 3 blocks).
    func shard(_ args: [String], to partial: String, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        var all = ["run", "--modules", "capex_return", "--quiet", "--partial", partial] + args
        if !args.contains("--trials") { all += ["--trials", "9000"] }
        let r = try CLI.run(all, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    }

    /// The default scenario cut to the sections capex_return needs (its own and regulatory_risk's),
    /// plus `extra`.
    static func smallScenario(extra: String) throws -> String {
        try TestScenario.defaultScenario(sections: ["regulatory_risk", "capex_return"]) + extra
    }

    func text(_ dir: URL, _ path: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(path), encoding: .utf8)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The text without the facts that describe how a run was executed rather than its results:
    /// results.json's `run.threads`, `run.shards` and `run.wall_seconds`, and the report's Threads,
    /// Shards and Wall time rows.
    static func withoutRunFacts(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let t = line.trimmingCharacters(in: .whitespaces)
            return !["\"threads\":", "\"shards\":", "\"wall_seconds\":", "| Threads |", "| Shards |", "| Wall time |"].contains { t.hasPrefix($0) }
        }.joined(separator: "\n")
    }

    /// Starts every command at once, as a batch system would, and waits for all of them.
    static func runInParallel(_ commands: [[String]], in dir: URL) throws -> [Outcome] {
        let started = try commands.map { args -> (Process, Pipe, Pipe) in
            let p = Process(), out = Pipe(), err = Pipe()
            p.executableURL = CLI.binary
            p.arguments = args
            p.currentDirectoryURL = dir
            p.standardOutput = out
            p.standardError = err
            try p.run()
            return (p, out, err)
        }
        return started.map { p, out, err in
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }
    }
}
