import DealcastTestSupport
import Foundation
import XCTest

/// End-to-end: the one-at-a-time swings every run writes, and `--sobol-indices`.
final class SensitivityCLITests: XCTestCase {
    func testSobolIndicesWriteTheReportSectionAndTheJSONKeys() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try CLI.run(["run", "--modules", "regulatory_risk", "--trials", "500", "--sobol-indices", "--sobol-samples", "100",
                             "--format", "md,json", "--out", "out", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("out")
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        for text in ["#### One-at-a-time swing", "#### Sobol indices", "| Input | First-order S | 95% interval | Total ST | 95% interval |",
                     "Correlations between inputs are ignored by construction"] {
            XCTAssertTrue(report.contains(text), "report.md lacks \(text)")
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any])
        let sobol = try XCTUnwrap(json["sobol_indices"] as? [String: Any])
        XCTAssertEqual(sobol["samples"] as? Int, 4096, "100 rows rounded up to a whole block")
        XCTAssertEqual(sobol["resamples"] as? Int, 500)
        let metrics = try XCTUnwrap(sobol["metrics"] as? [String: Any])
        let cost = try XCTUnwrap(metrics["regulatory_risk.cost_usd"] as? [String: Any])
        let entry = try XCTUnwrap((cost["entries"] as? [[String: Any]])?.first)
        for key in ["input", "first_order", "first_order_se", "first_order_low", "first_order_high", "total", "total_se", "total_low", "total_high"] {
            XCTAssertNotNil(entry[key], "sobol entry lacks \(key)")
        }
        let swing = try XCTUnwrap(json["one_at_a_time"] as? [String: Any])
        XCTAssertEqual(swing["trials"] as? Int, 500)
        let blocked = try XCTUnwrap((swing["metrics"] as? [String: Any])?["regulatory_risk.blocked"] as? [String: Any])
        XCTAssertNotNil(blocked["base"])
        XCTAssertEqual((blocked["entries"] as? [[String: Any]])?.first?.keys.sorted(), ["high", "input", "input_high", "input_low", "low", "swing"])
    }

    func testARunWithoutTheFlagWritesSwingsButNoSobolIndices() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try CLI.run(["run", "--modules", "regulatory_risk", "--trials", "300", "--format", "json", "--out", "out", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/results.json"))) as? [String: Any])
        XCTAssertNil(json["sobol_indices"])
        XCTAssertNotNil(json["one_at_a_time"])
    }

    func testBadSobolOptionsAreUsageErrors() throws {
        for args in [["--sobol-indices", "--sobol-samples", "0"], ["--sobol-indices", "--sobol-samples", "-5"],
                     ["--sobol-indices", "--sobol-samples", "many"], ["--sobol-samples", "4096"],
                     ["--sobol-indices", "--sobol-samples", "10000000"], ["--sobol-indices", "--shard", "0/2", "--partial", "p.part"]] {
            let r = try CLI.run(["run", "--trials", "100"] + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("sobol"), "\(args): \(r.stderr)")
        }
    }
}
