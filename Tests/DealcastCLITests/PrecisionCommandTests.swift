import DealcastTestSupport
import Foundation
import XCTest

/// `dealcast run --precision X --max-trials N` and the report's Convergence section.
final class PrecisionCommandTests: XCTestCase {
    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// A run to ±5% on the regulatory module: results.json records the target, the stages and the outcome,
    /// and run.trials is the final count; the report has the Convergence table and says what happened.
    func testAPrecisionRunRecordsItsStagesAndOutcome() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try CLI.run(["run", "--modules", "regulatory_risk", "--trials", "4096", "--precision", "0.05", "--max-trials", "200000",
                             "--out", "p", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("--precision ±5.00%"), r.stderr)
        let results = try json(dir.appendingPathComponent("p/results.json"))
        let convergence = try XCTUnwrap(results["convergence"] as? [String: Any])
        let precision = try XCTUnwrap(convergence["precision"] as? [String: Any])
        let stages = try XCTUnwrap(precision["stages"] as? [Int])
        let met = try XCTUnwrap(precision["met"] as? Bool)
        XCTAssertEqual(stages.first, 4096)
        let run = try XCTUnwrap(results["run"] as? [String: Any])
        XCTAssertEqual(run["trials"] as? Int, stages.last)
        let metrics = try XCTUnwrap(convergence["metrics"] as? [String: Any])
        XCTAssertEqual(Set(metrics.keys), ["regulatory_risk.blocked", "regulatory_risk.cost_usd"])
        for (key, value) in metrics {
            let mean = try XCTUnwrap((value as? [String: Any])?["mean"] as? [String: Any])
            let rel = try XCTUnwrap(mean["relative_half_width"] as? Double)
            if met { XCTAssertLessThanOrEqual(rel, 0.05, key) }
            let ci = try XCTUnwrap(mean["ci95"] as? [Double])
            XCTAssertLessThan(ci[0], ci[1])
        }
        XCTAssertEqual(met, (precision["unmet"] as? [String])?.isEmpty)
        let report = try String(contentsOf: dir.appendingPathComponent("p/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## Convergence"))
        XCTAssertTrue(report.contains(met ? "--precision ±5.00%: met after" : "NOT met"), report)
    }

    /// Misused options exit 64 with a message naming the option.
    func testBadPrecisionOptionsAreUsageErrors() throws {
        for (args, needle) in [(["--precision", "0"], "--precision"), (["--precision", "1.5"], "--precision"),
                               (["--max-trials", "10000"], "--max-trials applies only with --precision"),
                               (["--precision", "0.01", "--trials", "5000", "--max-trials", "4000"], "--max-trials (4000) must be at least --trials"),
                               (["--precision", "0.01", "--shard", "0/2", "--partial", "x.partial"], "shard")] {
            let r = try CLI.run(["run", "--quiet"] + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
