import DealcastTestSupport
import Foundation
import XCTest

/// The corpus of invalid scenarios (Corpus/invalid/*.yaml), and hostile files generated on the fly,
/// run through `dealcast validate` and `dealcast run`. Each must exit with its code and name its
/// field, and none may crash, hang or allocate without bound (see `BoundedProcess`).
///
/// Each corpus file states what it expects in its header comments:
///
///     # Invalid scenario: <what is wrong>.
///     # expect: <exit code> [<field path>]
///     # says: <text the error must contain>        (any number of lines)
///
/// Files that `make fuzz` found crashing belong here too, with the header of the error they now get.
final class CorpusTests: XCTestCase {
    struct Expectation: Equatable {
        let status: Int32
        let path: String?
        let says: [String]
    }

    static var corpusDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/invalid")
    }

    /// The corpus files, sorted by name.
    static func corpusFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: corpusDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Reads the `# expect:` and `# says:` header lines of a corpus file.
    static func expectation(_ text: String) -> Expectation? {
        var status: Int32?, path: String?, says: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(while: { $0.hasPrefix("#") }) {
            if line.hasPrefix("# expect:") {
                let words = line.dropFirst("# expect:".count).split(separator: " ")
                status = words.first.flatMap { Int32($0) }
                path = words.count > 1 ? String(words[1]) : nil
            } else if line.hasPrefix("# says: ") {
                says.append(String(line.dropFirst("# says: ".count)))
            }
        }
        return status.map { Expectation(status: $0, path: path, says: says) }
    }

    /// Checks one outcome against an expectation; returns the problems found (none when it holds).
    static func problems(_ r: BoundedProcess.Outcome, _ e: Expectation, file: String, command: String) -> [String] {
        var found: [String] = []
        let context = "\(file) (\(command)) \(r.summary)"
        guard r.exited else { return ["\(context): \(r.stderr.suffix(2000))"] }
        if r.status != e.status { found.append("\(context), expected \(e.status): \(r.stderr.prefix(2000))") }
        if !r.stderr.contains(file) { found.append("\(context): the file is not named in: \(r.stderr.prefix(2000))") }
        if let p = e.path, !(r.stderr.contains(" \(p): ") || r.stderr.contains(":\(p): ")) {
            found.append("\(context): the field path '\(p)' is not named in: \(r.stderr.prefix(2000))")
        }
        for s in e.says where !r.stderr.contains(s) { found.append("\(context): '\(s)' not in: \(r.stderr.prefix(2000))") }
        return found
    }

    /// Runs `validate` and `run` on every file, a few at a time, and returns every problem.
    static func check(_ cases: [(file: URL, expected: Expectation)], outDirectory: URL) -> [String] {
        let found = Problems()
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let (url, e) = cases[i]
            var mine: [String] = []
            for command in ["validate", "run"] {
                let args = command == "validate" ? ["validate", url.path]
                    : ["run", url.path, "--quiet", "--trials", "256", "--out", outDirectory.appendingPathComponent(url.lastPathComponent).path]
                do {
                    mine += problems(try BoundedProcess.run(args, timeout: 120), e, file: url.lastPathComponent, command: command)
                } catch {
                    mine.append("\(url.lastPathComponent) (\(command)): could not start dealcast: \(error)")
                }
            }
            found.add(mine)
        }
        return found.all
    }

    /// Problems collected from several threads.
    final class Problems: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []

        func add(_ problems: [String]) {
            lock.lock(); defer { lock.unlock() }
            list += problems
        }

        var all: [String] {
            lock.lock(); defer { lock.unlock() }
            return list
        }
    }

    func testEveryCorpusScenarioExitsWithItsCodeAndNamesItsField() throws {
        let files = try Self.corpusFiles()
        XCTAssertGreaterThanOrEqual(files.count, 60, "the corpus has shrunk")
        var cases: [(file: URL, expected: Expectation)] = []
        for f in files {
            let text = String(decoding: try Data(contentsOf: f), as: UTF8.self)
            guard let e = Self.expectation(text) else { XCTFail("\(f.lastPathComponent): no '# expect: <code> [path]' header"); continue }
            cases.append((f, e))
        }
        let out = try CLI.temporaryDirectory(self)
        for problem in Self.check(cases, outDirectory: out) { XCTFail(problem) }
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path)
        XCTAssertEqual(written, [], "an invalid scenario produced output")
    }

    /// Hostile files too big, too binary or too special to commit, made in a temporary folder.
    func testGeneratedHostileFilesAreRefusedWithoutCrashHangOrRunawayMemory() throws {
        let dir = try CLI.temporaryDirectory(self)
        func write(_ name: String, _ data: Data) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try data.write(to: url)
            return url
        }
        var cases: [(file: URL, expected: Expectation)] = []
        cases.append((try write("empty.yaml", Data()), Expectation(status: 65, path: nil, says: ["the file is empty"])))
        cases.append((try write("blank.yaml", Data("\n \t\r\n".utf8)), Expectation(status: 65, path: nil, says: ["the file is empty"])))
        var junk = [UInt8](repeating: 0, count: 1 << 16)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in junk.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            junk[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        cases.append((try write("junk.yaml", Data(junk)), Expectation(status: 65, path: nil, says: ["not a text file"])))
        cases.append((try write("latin1.yaml", Data("id: caf".utf8) + Data([0xE9, 0x0A])), Expectation(status: 65, path: nil, says: ["not a text file"])))
        // Billion laughs: 10 levels of ten aliases each, 10^10 nodes once expanded.
        var bomb = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1 ... 9 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        cases.append((try write("alias-bomb.yaml", Data(bomb.utf8)), Expectation(status: 65, path: nil, says: ["more than 200000 nodes"])))
        let flat = "id: flat\nhorizon: {start: 2026Q1, end: 2026Q4}\nitems:\n" + String(repeating: "- 1\n", count: 250_000)
        cases.append((try write("many-nodes.yaml", Data(flat.utf8)), Expectation(status: 65, path: nil, says: ["more than 200000 nodes"])))
        let deep = "id: deep\nhorizon: " + String(repeating: "[", count: 100_000) + "\n"
        cases.append((try write("deep-nesting.yaml", Data(deep.utf8)), Expectation(status: 65, path: nil, says: ["not valid YAML or JSON"])))
        // 100 MB (sparse, so it costs no disk), and one byte over the 4 MiB limit.
        for (name, size) in [("hundred-megabytes.yaml", 100_000_000), ("over-the-limit.yaml", 4 * 1024 * 1024 + 1)] {
            let url = try write(name, Data("# comment\n".utf8))
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(size))
            try handle.close()
            cases.append((url, Expectation(status: 65, path: nil, says: ["the file is \(size) bytes; scenario files are limited to 4194304 bytes"])))
        }
        let fifo = dir.appendingPathComponent("fifo.yaml")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        cases.append((fifo, Expectation(status: 66, path: nil, says: ["is a FIFO (named pipe), expected a scenario file"])))
        let folder = dir.appendingPathComponent("folder.yaml")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        cases.append((folder, Expectation(status: 66, path: nil, says: ["is a directory"])))
        // Data files named by an otherwise valid scenario: a device and a FIFO are refused, not read.
        let base = try String(contentsOf: Self.corpusDirectory.appendingPathComponent("ref-missing-data-file.yaml"), encoding: .utf8)
        let dataFIFO = dir.appendingPathComponent("data.csv")
        XCTAssertEqual(mkfifo(dataFIFO.path, 0o600), 0)
        for (name, file, kind) in [("dev-zero-data.yaml", "/dev/zero", "a character device"), ("fifo-data.yaml", "data.csv", "a FIFO (named pipe)")] {
            let text = base.replacingOccurrences(of: "no-such-file.csv", with: file)
            cases.append((try write(name, Data(text.utf8)), Expectation(status: 65, path: "capex_return.hardware_cost_decline", says: ["\(file): cannot read the file (it is \(kind), not a regular file)"])))
        }
        let out = try CLI.temporaryDirectory(self)
        for problem in Self.check(cases, outDirectory: out) { XCTFail(problem) }
        let devices = try BoundedProcess.run(["validate", "/dev/zero"], timeout: 60)
        XCTAssertEqual(devices.status, 66, "/dev/zero as a scenario \(devices.summary): \(devices.stderr)")
        XCTAssertTrue(devices.stderr.contains("/dev/zero: is a character device, expected a scenario file"), devices.stderr)
    }

    func testTheCorpusCoversEveryKindOfProblemTheIssueLists() throws {
        let names = try Self.corpusFiles().map { $0.deletingPathExtension().lastPathComponent }
        // syntax and types, unknown keys, missing fields, negative/NaN amounts, impossible distributions,
        // dates, references, units, huge numbers (correlation cases: see the end of the corpus).
        for prefix in ["syntax-", "type-", "unknown-", "missing-", "negative-", "nan-", "dist-", "date-", "ref-", "unit-", "huge-"] {
            XCTAssertGreaterThanOrEqual(names.filter { $0.hasPrefix(prefix) }.count, 2, "fewer than two '\(prefix)' cases")
        }
    }

    func testTheHeaderOfACorpusFileIsReadAsItsExpectation() {
        XCTAssertEqual(Self.expectation("# Invalid scenario: x.\n# expect: 65 deal.capacity\n# says: positive\n# says: GW\nid: x\n"),
                       Expectation(status: 65, path: "deal.capacity", says: ["positive", "GW"]))
        XCTAssertEqual(Self.expectation("# expect: 66\nid: x\n"), Expectation(status: 66, path: nil, says: []))
        XCTAssertNil(Self.expectation("id: x\n# expect: 65 id\n"), "a header ends at the first line that is not a comment")
    }
}
