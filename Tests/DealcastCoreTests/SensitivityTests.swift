@testable import DealcastCore
import XCTest

final class SensitivityTests: XCTestCase {
    func testTiedValuesGetTheirAverageRank() {
        let r = [3.0, 1, 3, 2].withUnsafeBufferPointer { Sensitivity.ranks($0) }
        XCTAssertEqual(r, [3.5, 1, 3.5, 2])
    }

    func testAMonotoneInputHasRankCorrelationOneAndTakesAllTheVariance() {
        let n = 5000
        let stream = RandomStream(kind: .taus2, seed: 11)
        let x = (0..<n).map { _ in stream.uniform() }
        let noise = (0..<n).map { _ in stream.uniform() }
        let y = x.map { -exp(3 * $0) }  // strictly decreasing in x
        let columns = [x, noise]
        let s = y.withUnsafeBufferPointer { Sensitivity.compute(metrics: [$0], inputs: ["x", "noise"]) { columns[$0] }[0] }
        XCTAssertEqual(s.entries[0].input, "x")
        XCTAssertEqual(s.entries[0].spearman, -1, accuracy: 1e-12)
        // An independent input's ρ is N(0, 1/(n−1)) under the null: 4 standard errors.
        XCTAssertEqual(s.entries[1].spearman, 0, accuracy: 4 / Double(n - 1).squareRoot())
        XCTAssertEqual(abs(s.entries[0].contribution) + abs(s.entries[1].contribution), 1, accuracy: 1e-12)
    }

    func testTrialsWhereTheMetricIsUndefinedAreLeftOut() {
        let x = [1.0, 2, 3, 4, 5, 6]
        let y = [10.0, .nan, 30, .nan, 50, 60]
        let full = [6.0, 5, 4, 3, 2, 1]
        let s = y.withUnsafeBufferPointer { m in
            full.withUnsafeBufferPointer { f in Sensitivity.compute(metrics: [m, f], inputs: ["x"]) { _ in x } }
        }
        XCTAssertEqual(s[0].entries[0].spearman, 1, accuracy: 1e-12)
        XCTAssertEqual(s[1].entries[0].spearman, -1, accuracy: 1e-12, "a complete metric beside an incomplete one uses the full ranks")
    }
}
