@testable import DealcastCore
import XCTest

/// `RadixSort` orders doubles exactly as `<` does, stably, including negatives, zeros, subnormals and
/// infinities, so the statistics built on it equal those of a comparison sort.
final class RadixSortTests: XCTestCase {
    /// Awkward values mixed with seeded normal draws at several scales, with many exact ties.
    func sample(_ n: Int, seed: UInt64) -> [Double] {
        let stream = RandomStream(kind: .taus2, seed: seed)
        let special: [Double] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1, 1e-300, -1e300]
        return (0 ..< n).map { i in
            switch i % 4 {
            case 0: return special[i / 4 % special.count]
            case 1: return stream.standardNormal() * 1e9
            case 2: return Double(Int(stream.uniform() * 10))  // ties
            default: return stream.standardNormal()
            }
        }
    }

    func testSortsLikeTheStandardLibrary() {
        for n in [0, 1, 2, 3, 17, 4096, 100_003] {
            var v = sample(n, seed: UInt64(n) + 1)
            let expected = v.sorted()
            RadixSort.sort(&v)
            XCTAssertEqual(v.count, expected.count)
            // Equal as numbers (−0 and +0 sort as equal and both become +0).
            XCTAssertTrue(zip(v, expected).allSatisfy { $0 == $1 }, "n = \(n)")
            XCTAssertFalse(v.contains { $0 == 0 && $0.sign == .minus }, "−0 is folded into +0")
        }
    }

    func testOrderIsStableAndSortsTheIndices() {
        let v = sample(50_000, seed: 9)
        let order = v.withUnsafeBufferPointer { RadixSort.order($0) }
        XCTAssertEqual(Set(order).count, v.count)
        for r in 1 ..< order.count {
            let a = v[Int(order[r - 1])], b = v[Int(order[r])]
            XCTAssertTrue(a < b || (a == b && order[r - 1] < order[r]), "rank \(r): \(a) then \(b)")
        }
    }

    /// Values that single precision cannot tell apart (a level of 10¹⁰ moved by less than its float
    /// spacing of 1024, and neighbours of 1 a few ulps apart) are still ordered by their exact values,
    /// equal ones by index: the order is that of a stable comparison sort.
    func testOrderSeparatesValuesThatRoundToTheSameSinglePrecisionNumber() {
        let stream = RandomStream(kind: .taus2, seed: 21)
        let v: [Double] = (0 ..< 30_000).map { i in
            switch i % 3 {
            case 0: return 1e10 + (stream.uniform() * 4000).rounded()  // wide runs, many exact ties
            case 1: return 1 + Double(Int(stream.uniform() * 8)) * Double.ulpOfOne  // eight doubles, one float
            default: return stream.standardNormal()
            }
        }
        let expected = v.indices.sorted { v[$0] != v[$1] ? v[$0] < v[$1] : $0 < $1 }.map(UInt32.init)
        XCTAssertEqual(v.withUnsafeBufferPointer { RadixSort.order($0) }, expected)
    }

    /// Ranks are 1-based positions in the order, ties (−0 and +0 among them) given their average.
    func testRanksAverageTiesAndFollowTheOrder() {
        let v = sample(20_000, seed: 17).filter { $0.isFinite } + [0, -0.0, 0]
        let r = v.withUnsafeBufferPointer { RadixSort.ranks($0) }
        let order = v.withUnsafeBufferPointer { RadixSort.order($0) }
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[Int(order[j + 1])] == v[Int(order[i])] { j += 1 }
            for k in i ... j { XCTAssertEqual(r[Int(order[k])], Double(i + j) / 2 + 1, "value \(v[Int(order[k])])") }
            i = j + 1
        }
        XCTAssertEqual(r.reduce(0, +), Double(v.count) * Double(v.count + 1) / 2, "ranks sum to n(n + 1)/2")
    }

    /// A constant column (every byte equal in every key) skips every pass and stays as it is.
    func testAConstantColumnIsLeftInIndexOrder() {
        let v = [Double](repeating: 2.5, count: 1000)
        XCTAssertEqual(v.withUnsafeBufferPointer { RadixSort.order($0) }, (0 ..< 1000).map(UInt32.init))
    }
}
