@testable import DealcastCore
import XCTest

/// Selection finds the order statistics a sort would, so `Summary`'s percentiles equal those of sorting
/// and interpolating (the formula of `gsl_stats_quantile_from_sorted_data`).
final class OrderStatisticsTests: XCTestCase {
    /// The interpolated percentile of sorted data, written out from its definition.
    func sortedQuantile(_ sorted: [Double], _ p: Double) -> Double {
        let h = p * Double(sorted.count - 1), i = Int(h), d = h - Double(i)
        return i == sorted.count - 1 ? sorted[i] : (1 - d) * sorted[i] + d * sorted[i + 1]
    }

    func testSelectionGivesTheSortedPercentilesBitForBit() {
        let ps = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
        let stream = RandomStream(kind: .taus2, seed: 4)
        for n in [1, 2, 3, 5, 16, 17, 18, 1000, 100_003] {
            for kind in 0 ..< 3 {
                let values: [Double] = (0 ..< n).map { _ in
                    switch kind {
                    case 0: return stream.standardNormal()
                    case 1: return stream.uniform() < 0.7 ? 0 : 1  // an event metric: two values
                    default: return Double(Int(stream.uniform() * 5)) * 1e9  // heavy ties
                    }
                }
                var copy = values
                let got = copy.withUnsafeMutableBufferPointer { OrderStatistics.quantiles(ps, of: $0) }
                let sorted = values.sorted()
                XCTAssertEqual(got, ps.map { sortedQuantile(sorted, $0) }, "n = \(n), kind \(kind)")
                XCTAssertEqual(copy.sorted(), sorted, "selection only reorders or leaves the column as it is")
            }
        }
    }

    /// A column whose strided sample misleads the brackets (every 16th value small, the rest large)
    /// makes the bracketing give up, and the whole-column selection still finds the exact values.
    func testBracketsThatMissFallBackToTheWholeColumn() {
        let n = 1 << 18
        let values = (0 ..< n).map { i in i % 16 == 0 ? Double(i) * 1e-9 : 1e9 + Double(n - i) }
        let ps = [0.05, 0.5, 0.95]
        let ks = ps.flatMap { p -> [Int] in let i = Int(p * Double(n - 1)); return [i, i + 1] }
        XCTAssertNil(values.withUnsafeBufferPointer { OrderStatistics.selectByBrackets(ks, in: $0) })
        var copy = values
        let got = copy.withUnsafeMutableBufferPointer { OrderStatistics.quantiles(ps, of: $0) }
        let sorted = values.sorted()
        XCTAssertEqual(got, ps.map { sortedQuantile(sorted, $0) })
        // On random data the brackets hold their ranks and give the same values.
        let stream = RandomStream(kind: .taus2, seed: 12)
        let random = (0 ..< n).map { _ in stream.standardNormal() }
        let found = random.withUnsafeBufferPointer { OrderStatistics.selectByBrackets(ks, in: $0) }
        let order = random.sorted()
        XCTAssertEqual(found, Dictionary(uniqueKeysWithValues: ks.map { ($0, order[$0]) }))
    }

    /// Worked by hand: [1, 2, 3, 4] at p = 0.25 is h = 0.75, so 1 + 0.75 = 1.75; p = 0.5 is 2.5; p = 1 is 4.
    func testTheInterpolationIsGSLs() {
        var v = [4.0, 2, 1, 3]
        XCTAssertEqual(v.withUnsafeMutableBufferPointer { OrderStatistics.quantiles([0.25, 0.5, 1], of: $0) }, [1.75, 2.5, 4])
        let s = [3.0, .nan, 1, 2, 4].withUnsafeBufferPointer { Summary.of($0) }
        XCTAssertEqual(s.p50, 2.5)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 4)
        XCTAssertEqual(s.undefined, 1)
    }
}
