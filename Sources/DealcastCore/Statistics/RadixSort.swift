/// Sorting of Double columns in linear time, for the statistics pass after a run.
///
/// Every statistic of a run sorts or ranks a column of up to tens of millions of trials: percentiles
/// (`Summary`), rank correlations (`Sensitivity`), charts. A least-significant-digit radix sort on the
/// doubles' bit patterns does that in six counting passes of 11 bits (2048 buckets, which stay in the
/// L1 cache; fewer passes when a digit is the same in every value, as the sign and exponent bits often
/// are), with no comparisons. It is stable, so equal values keep their trial order and the result never
/// depends on anything but the values. (`Summary` needs only five order statistics and selects them
/// instead: `OrderStatistics`.) `order`, which ranks the inputs for the rank correlations, sorts the
/// values rounded to single precision in three passes and then orders the few runs that rounding tied.
///
/// The bit pattern of an IEEE 754 double orders like the number once the sign bit is flipped for
/// positive values and every bit is flipped for negative ones; −0 is folded into +0 first, so the two
/// zeros sort as equal. NaN has no place in the order: callers leave it out.
public enum RadixSort {
    /// The order-preserving key of `x` (not NaN).
    @inline(__always)
    static func key(_ x: Double) -> UInt64 {
        let bits = (x + 0.0).bitPattern  // −0 + 0 = +0
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    @inline(__always)
    static func value(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }

    /// Sorts `values` (no NaN) in increasing order.
    /// - Complexity: O(n), six passes at most.
    public static func sort(_ values: inout [Double]) {
        let n = values.count
        guard n > 1 else { return }
        var keys = [UInt64](unsafeUninitializedCapacity: n) { buffer, count in
            values.withUnsafeBufferPointer { v in for i in 0 ..< n { buffer[i] = key(v[i]) } }
            count = n
        }
        var spare = [UInt64](repeating: 0, count: n)
        var none = [UInt32](), noneSpare = [UInt32]()
        passes(&keys, &spare, carrying: &none, &noneSpare)
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in for i in 0 ..< n { v[i] = value(k[i]) } }
        }
    }

    /// The permutation that sorts `values` (no NaN): `order[r]` is the index of the r-th smallest value,
    /// equal values in index order.
    ///
    /// The counting passes run on the values rounded to single precision: 32-bit keys, three passes of
    /// 11 bits instead of six, each moving 8 bytes per value (key and index) instead of 12. Rounding is
    /// monotone, so that order is the exact one except within runs of values that round to the same
    /// single-precision number; each such run is then ordered by the full keys, with the index breaking
    /// ties. The permutation is the same as a stable sort of the doubles, whatever the values.
    /// - Precondition: `values.count` < 2³².
    /// - Complexity: O(n) passes, plus O(m log m) for each run of m values sharing a single-precision value.
    public static func order(_ values: UnsafeBufferPointer<Double>) -> [UInt32] {
        let n = values.count
        var keys = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0 ..< n { buffer[i] = key32(values[i]) }
            count = n
        }
        var index = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0 ..< n { buffer[i] = UInt32(i) }
            count = n
        }
        guard n > 1 else { return index }
        var spare = [UInt32](repeating: 0, count: n)
        var indexSpare = [UInt32](repeating: 0, count: n)
        passes(&keys, &spare, carrying: &index, &indexSpare)
        keys.withUnsafeBufferPointer { k in
            index.withUnsafeMutableBufferPointer { order in
                var i = 0
                while i < n {
                    var j = i + 1
                    while j < n && k[j] == k[i] { j += 1 }
                    if j - i > 1 { orderRun(UnsafeMutableBufferPointer(rebasing: order[i ..< j]), values) }
                    i = j
                }
            }
        }
        return index
    }

    /// The order-preserving 32-bit key of `x` (not NaN) rounded to single precision, −0 folded into +0.
    @inline(__always)
    static func key32(_ x: Double) -> UInt32 {
        let bits = Float(x + 0.0).bitPattern
        return bits & (1 << 31) != 0 ? ~bits : bits | (1 << 31)
    }

    /// Orders a run of indices, in index order and sharing one single-precision key, by their values'
    /// full keys, ties by index.
    private static func orderRun(_ run: UnsafeMutableBufferPointer<UInt32>, _ values: UnsafeBufferPointer<Double>) {
        let first = key(values[Int(run[0])])
        // Most runs are values equal in double precision too: nothing to do.
        if run.allSatisfy({ key(values[Int($0)]) == first }) { return }
        var run = run
        run.sort { a, b in
            let ka = key(values[Int(a)]), kb = key(values[Int(b)])
            return ka != kb ? ka < kb : a < b
        }
    }

    /// The counting passes over `Key`'s bits in digits of 11, least significant digit first, each
    /// stable. A digit that is the same in every key is skipped. `index`, when not empty, is permuted
    /// along with the keys.
    private static func passes<Key: FixedWidthInteger & UnsignedInteger>(_ keys: inout [Key], _ spare: inout [Key],
                                                                         carrying index: inout [UInt32], _ indexSpare: inout [UInt32]) {
        let n = keys.count
        let carry = !index.isEmpty
        // Locals, not the static lets, inside the loops: a static is read through a lazy-initialisation check.
        let buckets = 2048, digitBits = 11
        let digits = (Key.bitWidth + digitBits - 1) / digitBits
        let mask = Key(buckets - 1)
        // Every digit's histogram in one read of the keys.
        var counts = [Int](repeating: 0, count: digits * buckets)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for i in 0 ..< n {
                    let x = k[i]
                    for d in 0 ..< digits { c[d * buckets + Int(truncatingIfNeeded: (x >> (digitBits * d)) & mask)] += 1 }
                }
            }
        }
        var offset = [Int](repeating: 0, count: buckets)
        for d in 0 ..< digits {
            let shift = digitBits * d
            if counts[d * buckets + Int(truncatingIfNeeded: (keys[0] >> shift) & mask)] == n { continue }  // every key has this digit: nothing moves
            var total = 0
            for b in 0 ..< buckets { offset[b] = total; total += counts[d * buckets + b] }
            keys.withUnsafeMutableBufferPointer { from in
                spare.withUnsafeMutableBufferPointer { to in
                    offset.withUnsafeMutableBufferPointer { o in
                        index.withUnsafeMutableBufferPointer { fromIndex in
                            indexSpare.withUnsafeMutableBufferPointer { toIndex in
                                scatter(from, to, carry ? fromIndex : nil, carry ? toIndex : nil, o, shift: shift, mask: mask)
                            }
                        }
                    }
                }
            }
            swap(&keys, &spare)
            if carry { swap(&index, &indexSpare) }
        }
    }

    /// One stable counting pass: each key (and its index) to its digit's next free slot.
    @inline(__always)
    private static func scatter<Key: FixedWidthInteger & UnsignedInteger>(_ from: UnsafeMutableBufferPointer<Key>, _ to: UnsafeMutableBufferPointer<Key>,
                                                                          _ fromIndex: UnsafeMutableBufferPointer<UInt32>?, _ toIndex: UnsafeMutableBufferPointer<UInt32>?,
                                                                          _ o: UnsafeMutableBufferPointer<Int>, shift: Int, mask: Key) {
        let src = from.baseAddress!, dst = to.baseAddress!, slot = o.baseAddress!
        if let fi = fromIndex?.baseAddress, let ti = toIndex?.baseAddress {
            for i in 0 ..< from.count {
                let x = src[i]
                let b = Int(truncatingIfNeeded: (x >> shift) & mask)
                let at = slot[b]
                dst[at] = x
                ti[at] = fi[i]
                slot[b] = at + 1
            }
        } else {
            for i in 0 ..< from.count {
                let x = src[i]
                let b = Int(truncatingIfNeeded: (x >> shift) & mask)
                let at = slot[b]
                dst[at] = x
                slot[b] = at + 1
            }
        }
    }
}
