@testable import DealcastCore
import XCTest

/// `RandomStream.shuffle` is the engine's own Fisher–Yates loop; the numbers of every Latin hypercube
/// run depend on it giving GSL's permutation and leaving the generator where GSL leaves it.
final class RandomStreamTests: XCTestCase {
    /// Same permutation and same generator state after it as `gsl_ran_shuffle`, for every generator
    /// kind (their `min`/`max` differ, which changes the integer arithmetic) and for sizes from the
    /// trivial to a full block, with a partial last block's odd size among them, and beyond a block,
    /// where the first steps divide and the rest use `ShuffleReciprocals`.
    func testShuffleIsGSLShuffle() {
        for kind in GeneratorKind.allCases {
            for (s, n) in [0, 1, 2, 3, 7, 64, 1000, 4095, 4096, 4097, 5000].enumerated() {
                let seed = UInt64(1_000 + 17 * s)
                let ours = RandomStream(kind: kind, seed: seed), gsl = RandomStream(kind: kind, seed: seed)
                let a = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(1, n))
                let b = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(1, n))
                defer { a.deallocate(); b.deallocate() }
                for i in 0 ..< n { a[i] = Int32(i); b[i] = Int32(i) }
                ours.shuffle(UnsafeMutableBufferPointer(rebasing: a[0 ..< n]))
                gsl.gslShuffle(UnsafeMutableBufferPointer(rebasing: b[0 ..< n]))
                XCTAssertEqual(Array(a[0 ..< n]), Array(b[0 ..< n]), "\(kind), n = \(n)")
                // The next draws match: both consumed the same numbers.
                for _ in 0 ..< 5 { XCTAssertEqual(ours.uniform(), gsl.uniform(), "\(kind), n = \(n): generator state") }
            }
        }
    }
}

extension RandomStreamTests {
    /// `fillUniform` draws what `uniformPositive()` draws, one by one, for every generator kind.
    func testFillUniformIsUniformPositiveInOrder() {
        for kind in GeneratorKind.allCases {
            let bulk = RandomStream(kind: kind, seed: 99), single = RandomStream(kind: kind, seed: 99)
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: 5000)
            defer { buffer.deallocate() }
            bulk.fillUniform(buffer)
            for i in buffer.indices { XCTAssertEqual(buffer[i].bitPattern, single.uniformPositive().bitPattern, "\(kind), draw \(i)") }
            XCTAssertEqual(bulk.uniform(), single.uniform(), "\(kind): generator state")
        }
    }
}

extension RandomStreamTests {
    /// Each reciprocal gives ⌊x / scale⌋ for every 32-bit x: checked at 0, the top of the range, and
    /// around every multiple of the scale that marks where a quotient of the shuffle steps up (the
    /// quotients that matter are below m, so the multiples up to m · scale), for every m in the table.
    func testShuffleReciprocalsAreExactQuotients() {
        let range = UInt64(ShuffleReciprocals.range)
        var wrong: [String] = []
        for m in 2 ..< ShuffleReciprocals.table.count {
            let scale = range / UInt64(m), c = ShuffleReciprocals.table[m]
            let check = { (x: UInt64) in
                if x <= range, c.multipliedFullWidth(by: x).high != x / scale { wrong.append("m = \(m), x = \(x)") }
            }
            for x in [0, 1, range - 1, range] { check(x) }
            for q in 1 ... UInt64(m) { check(q * scale - 1); check(q * scale); check(q * scale + 1) }
        }
        XCTAssertEqual(wrong.prefix(5), [])
    }
}
