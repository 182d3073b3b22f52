import DealcastTestSupport
import Foundation
import XCTest

/// `--trials` beyond what memory can hold is refused before any trial runs, with the estimate.
final class ResourceLimitTests: XCTestCase {
    func testATrialCountBeyondMemoryIsRefusedUpFrontWithTheEstimate() throws {
        let out = try CLI.temporaryDirectory(self).appendingPathComponent("report")
        // 2 GiB of address space (ulimit -v) cannot hold 10 million trials of the default scenario.
        let r = try BoundedProcess.run(["run", "--quiet", "--trials", "10000000", "--out", out.path], timeout: 120, addressSpaceKiB: 2 * 1024 * 1024)
        XCTAssertTrue(r.exited, r.summary)
        XCTAssertEqual(r.status, 64, r.stderr)
        for phrase in ["--trials 10000000 needs about", "GB of memory", "bytes per trial", "55 metrics kept for every trial", "78 series periods summarised", "more than the 2.1 GB available", "use --trials"] {
            XCTAssertTrue(r.stderr.contains(phrase), "'\(phrase)' not in: \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a refused run created its output folder")
    }
}
