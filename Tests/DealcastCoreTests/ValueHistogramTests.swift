@testable import DealcastCore
import XCTest

/// The series histograms: percentiles within a bin of the exact ones, exact counts that add in any
/// order, and bins in the order of the values.
final class ValueHistogramTests: XCTestCase {
    static func draws(_ d: Distribution, _ n: Int, seed: UInt64) -> [Double] {
        var v = [Double](repeating: 0, count: n)
        v.withUnsafeMutableBufferPointer { d.sample(RandomStream(kind: .taus2, seed: seed), into: $0) }
        return v
    }

    static func histogram(_ values: [Double]) -> ValueHistogram {
        let h = ValueHistogram()
        values.withUnsafeBufferPointer { h.add($0) }
        return h
    }

    static func exactPercentiles(_ values: [Double]) -> [Double] {
        let s = values.withUnsafeBufferPointer { Summary.of($0) }
        return [s.p5, s.p25, s.p50, s.p75, s.p95]
    }

    /// The bound `ValueHistogram.percentiles` documents: one bin (2⁻¹⁴ of the magnitude) plus
    /// single-precision rounding (2⁻²⁴), of the larger of the two order statistics interpolated.
    func assertWithinABin(_ values: [Double], _ what: String) {
        let sorted = values.sorted()
        let h = Self.histogram(values)
        let estimated = h.percentiles(Summary.percentiles.map(\.1), minimum: sorted.first!, maximum: sorted.last!)
        for ((label, p), (exact, estimate)) in zip(Summary.percentiles, zip(Self.exactPercentiles(values), estimated)) {
            let f = p * Double(sorted.count - 1), k = Int(f.rounded(.down))
            let magnitude = max(abs(sorted[k]), abs(sorted[min(k + 1, sorted.count - 1)]))
            let bound = (0x1p-14 + 0x1p-24) * magnitude
            XCTAssertLessThanOrEqual(abs(estimate - exact), bound, "\(what) \(label): \(estimate) against \(exact)")
        }
    }

    func testPercentilesAreWithinOneBinOfTheExactOnesAtAnySizeAndSign() {
        assertWithinABin(Self.draws(.normal(mean: 0, sd: 1), 100_000, seed: 1), "normal(0, 1), both signs")
        assertWithinABin(Self.draws(.lognormal(p5: 1e9, p95: 5e11), 50_000, seed: 2), "lognormal over three decades")
        assertWithinABin(Self.draws(.normal(mean: 1e10, sd: 1e6), 20_000, seed: 3), "narrow: every value in a few bins")
        assertWithinABin(Self.draws(.uniform(min: -5, max: -1), 999, seed: 4), "negative only")
        for n in [1, 2, 3, 10] { assertWithinABin(Self.draws(.normal(mean: 5, sd: 2), n, seed: UInt64(n)), "\(n) values") }
    }

    func testAConstantColumnGivesItsValueExactly() {
        let h = Self.histogram([Double](repeating: 123_456.789, count: 1000))
        XCTAssertEqual(h.percentiles([0.05, 0.5, 0.95], minimum: 123_456.789, maximum: 123_456.789), [123_456.789, 123_456.789, 123_456.789])
    }

    func testCountsAddInAnyOrderAndRemovingTakesBackAnAddition() {
        let values = Self.draws(.lognormal(p5: 1, p95: 1e4), 30_000, seed: 11)
        let whole = Self.histogram(values)
        var bins: [[Int]] = []
        for split in [[0, 30_000], [0, 7_000, 19_000, 30_000], [0, 1, 29_999, 30_000]] {
            let parts = zip(split, split.dropFirst()).map { Self.histogram(Array(values[$0 ..< $1])) }
            let merged = ValueHistogram()
            for part in parts.reversed() { merged.add(part) }
            var pairs: [Int] = []
            merged.forEachBin { pairs += [$0, Int($1)] }
            bins.append(pairs)
        }
        var expected: [Int] = []
        whole.forEachBin { expected += [$0, Int($1)] }
        for b in bins { XCTAssertEqual(b, expected) }
        let extra = Self.draws(.normal(mean: 0, sd: 1), 5_000, seed: 12)
        extra.withUnsafeBufferPointer { whole.add($0) }
        extra.withUnsafeBufferPointer { whole.remove($0) }
        var after: [Int] = []
        whole.forEachBin { after += [$0, Int($1)] }
        XCTAssertEqual(after, expected)
        XCTAssertEqual(whole.total, 30_000)
    }

    func testBinsFollowTheOrderOfTheValuesAndTheirEdgesHoldThem() {
        let values = (Self.draws(.normal(mean: 0, sd: 1e3), 20_000, seed: 13) + [0, 1e-30, -1e-30, 3e38, -3e38]).sorted()
        for (x, y) in zip(values, values.dropFirst()) { XCTAssertLessThanOrEqual(ValueHistogram.bin(x), ValueHistogram.bin(y), "\(x) ≤ \(y)") }
        for x in values {
            let (lower, upper) = ValueHistogram.edges(ValueHistogram.bin(x))
            let f = Double(Float(x))
            XCTAssertTrue(lower <= f && f <= upper, "\(x) in [\(lower), \(upper)]")
            if x != 0 { XCTAssertLessThanOrEqual(upper - lower, 0x1p-14 * abs(f), "width at \(x)") }
        }
    }
}
