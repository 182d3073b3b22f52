import DealcastTestSupport
import Foundation
import XCTest

/// `dealcast run --format … --samples …` end to end, with the built binary.
final class RunOutputsCLITests: XCTestCase {
    func testRunWritesTheFormatsAskedForAndStreamsTheSamples() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try CLI.run(["run", "--trials", "700", "--quiet", "--out", "out", "--format", "html,json", "--samples", "audit/samples.csv"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let fm = FileManager.default
        XCTAssertTrue(fm.fileExists(atPath: dir.appendingPathComponent("out/report.html").path))
        XCTAssertTrue(fm.fileExists(atPath: dir.appendingPathComponent("out/results.json").path))
        XCTAssertFalse(fm.fileExists(atPath: dir.appendingPathComponent("out/report.md").path), "md was not asked for")
        let csv = try String(contentsOf: dir.appendingPathComponent("audit/samples.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.count, 701)
        XCTAssertTrue(lines[0].hasPrefix("trial,"))
        XCTAssertTrue(lines[0].contains("partnership_outcome.investor_value_usd"))
        XCTAssertTrue(r.stdout.contains("audit/samples.csv"), r.stdout)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.appendingPathComponent("audit").path), ["samples.csv"], "no temporary left")
    }

    func testAnUnknownFormatExits64NamingTheOption() throws {
        let r = try CLI.run(["run", "--trials", "10", "--format", "md,docx"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--format: unknown output format 'docx'"), r.stderr)
    }

    func testAnUnwritableSamplesFileExits73AndLeavesTheReportAsItWas() throws {
        let dir = try CLI.temporaryDirectory(self)
        XCTAssertEqual(try CLI.run(["run", "--trials", "300", "--quiet", "--out", "out"], in: dir).status, 0)
        let before = try Data(contentsOf: dir.appendingPathComponent("out/report.md"))
        try "x".write(to: dir.appendingPathComponent("blocker"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--trials", "400", "--quiet", "--out", "out", "--samples", "blocker/samples.csv"], in: dir)
        XCTAssertEqual(r.status, 73, r.stderr)
        XCTAssertTrue(r.stderr.contains("blocker/samples.csv"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/report.md")), before)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: dir.appendingPathComponent("out").path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testTheManifestNamesTheCommitWhenBuiltFromACheckout() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) else {
            throw XCTSkip("not built from a git checkout")
        }
        let dir = try CLI.temporaryDirectory(self)
        XCTAssertEqual(try CLI.run(["run", "--trials", "100", "--quiet", "--out", "out", "--format", "json,md"], in: dir).status, 0)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/results.json"))) as? [String: Any])
        let commit = try XCTUnwrap(json["git_commit"] as? String, "results.json has no git_commit")
        XCTAssertEqual(commit.count, 12)
        XCTAssertTrue(commit.allSatisfy(\.isHexDigit))
        let report = try String(contentsOf: dir.appendingPathComponent("out/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("(commit \(commit))"))
    }
}
