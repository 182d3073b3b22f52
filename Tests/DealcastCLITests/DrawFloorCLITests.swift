import DealcastTestSupport
import Foundation
import XCTest

/// `dealcast draw-floor`, the draw floor of `make bench` (bench/README.md).
final class DrawFloorCLITests: XCTestCase {
    func floor(_ args: [String]) throws -> [String: Any] {
        let r = try CLI.run(["draw-floor"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one JSON line: \(r.stdout)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    }

    func testPrintsOneJSONLineCountingEveryUncertainInputOfEveryTrial() throws {
        // The default scenario's count of uncertain inputs, as `validate` states it.
        let validate = try CLI.run(["validate"])
        let uncertain = try XCTUnwrap(validate.stdout.firstMatch(of: /of which (\d+) uncertain/).flatMap { Int($0.1) })
        let one = try floor(["--trials", "5000", "--threads", "1"])
        XCTAssertEqual(one["trials"] as? Int, 5000)
        XCTAssertEqual(one["threads"] as? Int, 1)
        XCTAssertEqual(one["rng"] as? String, "taus2")
        XCTAssertEqual(one["variates"] as? Int, uncertain * 5000)
        XCTAssertGreaterThan(try XCTUnwrap(one["seconds"] as? Double), 0)
        // Same seeded streams whatever the threads: the same draws, so the same checksum.
        let two = try floor(["--trials", "5000", "--threads", "2"])
        XCTAssertEqual(two["checksum"] as? Double, one["checksum"] as? Double)
        XCTAssertNotEqual(try floor(["--trials", "5000", "--threads", "1", "--seed", "43"])["checksum"] as? Double,
                          one["checksum"] as? Double)
    }

    func testIsHiddenFromTheHelpAndRejectsABadTrialCount() throws {
        let help = try CLI.run(["--help"])
        XCTAssertFalse(help.stdout.contains("draw-floor"), help.stdout)
        let bad = try CLI.run(["draw-floor", "--trials", "0"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--trials must be at least 1"), bad.stderr)
    }
}
