import DealcastTestSupport
import Foundation
import XCTest

/// End-to-end: the built binary on the embedded default scenario.
final class RunCommandTests: XCTestCase {
    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func testRunWithoutAScenarioWritesTheDefaultReportFromAnyDirectory() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try CLI.run(["run", "--trials", "3000", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("reports/amazon-openai-2026/report.md"), r.stdout)
        let out = dir.appendingPathComponent("reports/amazon-openai-2026")
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.hasPrefix("# Amazon–OpenAI strategic partnership"))
        for section in ["## Deal terms", "## capex_return", "## Assumptions", "## Reproducibility", "Scenario SHA-256"] {
            XCTAssertTrue(report.contains(section), "report.md lacks \(section)")
        }
        let results = try json(out.appendingPathComponent("results.json"))
        let metrics = try XCTUnwrap(results["metrics"] as? [String: Any])
        XCTAssertNotNil(metrics["capex_return.npv_usd"])
        let run = try XCTUnwrap(results["run"] as? [String: Any])
        XCTAssertEqual(run["trials"] as? Int, 3000)
        XCTAssertEqual(run["rng"] as? String, "taus2")
        let scenario = try XCTUnwrap(results["scenario"] as? [String: Any])
        XCTAssertEqual((scenario["sha256"] as? String)?.count, 64)
    }

    func testOneAndTwoThreadsWriteIdenticalNumbers() throws {
        let dir = try CLI.temporaryDirectory(self)
        for t in ["1", "2"] {
            let r = try CLI.run(["run", "--trials", "20000", "--seed", "7", "--threads", t, "--out", "t\(t)", "--quiet"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let a = try json(dir.appendingPathComponent("t1/results.json")), b = try json(dir.appendingPathComponent("t2/results.json"))
        for key in ["metrics", "series", "inputs", "tables", "scenario"] {
            XCTAssertEqual(a[key] as? NSDictionary, b[key] as? NSDictionary, "\(key) differs between 1 and 2 threads")
        }
        XCTAssertNotNil(a["metrics"])
    }

    func testValidateAcceptsTheDefaultScenario() throws {
        let r = try CLI.run(["validate"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("valid"), r.stdout)
    }

    func testModulesListsEveryModuleAsTextAndJSON() throws {
        let text = try CLI.run(["modules"])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("capex_return"))
        let js = try CLI.run(["modules", "--json"])
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [[String: Any]])
        XCTAssertTrue(list.contains { $0["id"] as? String == "capex_return" })
    }

    func testAFailedRunLeavesThePreviousReportUntouched() throws {
        let dir = try CLI.temporaryDirectory(self)
        XCTAssertEqual(try CLI.run(["run", "--trials", "500", "--out", "out", "--quiet"], in: dir).status, 0)
        let before = try Data(contentsOf: dir.appendingPathComponent("out/report.md"))
        let bad = dir.appendingPathComponent("bad.yaml")
        try "id: bad\nhorizon: {start: 2026Q1, end: 2026Q4}\ncapex_return: {capex_per_gw: -1}\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "bad.yaml", "--out", "out"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/report.md")), before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [])
    }

    func testAnUnwritableOutputFolderExits73() throws {
        let dir = try CLI.temporaryDirectory(self)
        let blocker = dir.appendingPathComponent("file")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--trials", "100", "--out", "file/sub", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 73, r.stderr)
        XCTAssertTrue(r.stderr.contains("file/sub"), r.stderr)
    }
}
