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
    /// 11 bits instead of six, each moving 8 bytes per value instead of 12: the key and the index packed
    /// in one 64-bit word (key above, index below), so a pass reads one array and writes one. Rounding is
    /// monotone, so that order is the exact one except within runs of values that round to the same
    /// single-precision number; each such run is then ordered by the full keys, with the index breaking
    /// ties. The permutation is the same as a stable sort of the doubles, whatever the values.
    /// - Precondition: `values.count` < 2³².
    /// - Complexity: O(n) passes, plus O(m log m) for each run of m values sharing a single-precision value.
    public static func order(_ values: UnsafeBufferPointer<Double>) -> [UInt32] {
        sortedPacked(values).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// The ranks of `values` (no NaN), 1-based, ties given their average rank: the ranks of a Spearman
    /// correlation. Ties can only be among values sharing a single-precision key, so only those are
    /// compared as doubles; every other rank is its position in the order.
    /// - Complexity: as `order`.
    public static func ranks(_ values: UnsafeBufferPointer<Double>) -> [Double] {
        let packed = sortedPacked(values)
        let n = packed.count
        return [Double](unsafeUninitializedCapacity: n) { r, count in
            packed.withUnsafeBufferPointer { k in
                var i = 0
                while i < n {
                    var j = i
                    while j + 1 < n && k[j + 1] >> 32 == k[i] >> 32
                        && values[Int(truncatingIfNeeded: k[j + 1] & 0xFFFF_FFFF)] == values[Int(truncatingIfNeeded: k[i] & 0xFFFF_FFFF)] { j += 1 }
                    let average = Double(i + j) / 2 + 1
                    for t in i ... j { r[Int(truncatingIfNeeded: k[t] & 0xFFFF_FFFF)] = average }
                    i = j + 1
                }
            }
            count = n
        }
    }

    /// (single-precision key << 32 | index) of every value, in the order of the values, ties by index.
    private static func sortedPacked(_ values: UnsafeBufferPointer<Double>) -> [UInt64] {
        let n = values.count
        var packed = [UInt64](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0 ..< n { buffer[i] = UInt64(key32(values[i])) << 32 | UInt64(i) }
            count = n
        }
        guard n > 1 else { return packed }
        var spare = [UInt64](repeating: 0, count: n)
        var none = [UInt32](), noneSpare = [UInt32]()
        passes(&packed, &spare, carrying: &none, &noneSpare, lowBit: 32)
        packed.withUnsafeMutableBufferPointer { k in
            var i = 0
            while i < n {
                var j = i + 1
                while j < n && k[j] >> 32 == k[i] >> 32 { j += 1 }
                if j - i > 1 { orderRun(UnsafeMutableBufferPointer(rebasing: k[i ..< j]), values) }
                i = j
            }
        }
        return packed
    }

    /// The order-preserving 32-bit key of `x` (not NaN) rounded to single precision, −0 folded into +0.
    @inline(__always)
    static func key32(_ x: Double) -> UInt32 {
        let bits = Float(x + 0.0).bitPattern
        return bits & (1 << 31) != 0 ? ~bits : bits | (1 << 31)
    }

    /// Orders a run of packed entries, in index order and sharing one single-precision key, by their
    /// values' full keys, ties by index.
    private static func orderRun(_ run: UnsafeMutableBufferPointer<UInt64>, _ values: UnsafeBufferPointer<Double>) {
        func full(_ p: UInt64) -> UInt64 { key(values[Int(truncatingIfNeeded: p & 0xFFFF_FFFF)]) }
        let first = full(run[0])
        // Most runs are values equal in double precision too: nothing to do.
        if run.allSatisfy({ full($0) == first }) { return }
        var run = run
        run.sort { a, b in
            let ka = full(a), kb = full(b)
            return ka != kb ? ka < kb : a < b
        }
    }

    /// The counting passes over `Key`'s bits from `lowBit` up, in digits of 11, least significant digit
    /// first, each stable. A digit that is the same in every key is skipped. `index`, when not empty, is
    /// permuted along with the keys.
    private static func passes<Key: FixedWidthInteger & UnsignedInteger>(_ keys: inout [Key], _ spare: inout [Key],
                                                                         carrying index: inout [UInt32], _ indexSpare: inout [UInt32],
                                                                         lowBit: Int = 0) {
        let n = keys.count
        let carry = !index.isEmpty
        // Locals, not the static lets, inside the loops: a static is read through a lazy-initialisation check.
        let buckets = 2048, digitBits = 11
        let digits = (Key.bitWidth - lowBit + digitBits - 1) / digitBits
        let mask = Key(buckets - 1)
        // Every digit's histogram in one read of the keys.
        var counts = [Int](repeating: 0, count: digits * buckets)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for i in 0 ..< n {
                    let x = k[i]
                    for d in 0 ..< digits { c[d * buckets + Int(truncatingIfNeeded: (x >> (lowBit + digitBits * d)) & mask)] += 1 }
                }
            }
        }
        var offset = [Int](repeating: 0, count: buckets)
        for d in 0 ..< digits {
            let shift = lowBit + digitBits * d
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
