/// Percentiles by selection: the order statistics a percentile needs, found in linear expected time
/// without sorting the whole column.
///
/// A run's statistics need five percentiles of every metric and every series period; sorting each
/// column (O(n log n)) was the largest cost after the run. Quickselect puts the k-th smallest value at
/// index k with nothing larger before it and nothing smaller after it, partitioning only the parts that
/// hold a wanted index. The values found are the ones a sort would put there, so the percentiles are
/// bit for bit those of sorting and interpolating.
enum OrderStatistics {
    /// The percentiles `ps` (each in [0, 1]) of `values` (no NaN, at least one), by linear interpolation
    /// between order statistics exactly as `gsl_stats_quantile_from_sorted_data` computes it on sorted
    /// data: with h = p·(n − 1), i = ⌊h⌋ and δ = h − i, (1 − δ)·x₍ᵢ₎ + δ·x₍ᵢ₊₁₎ (x₍ₙ₋₁₎ when i = n − 1).
    /// `values` may be reordered. Columns of 2¹⁶ values or more are bracketed first (`selectByBrackets`).
    /// - Complexity: O(n) expected, for a fixed number of percentiles.
    static func quantiles(_ ps: [Double], of values: UnsafeMutableBufferPointer<Double>) -> [Double] {
        let n = values.count
        let positions = ps.map { p -> (lhs: Int, delta: Double) in
            let h = p * Double(n - 1)
            let lhs = Int(h)
            return (lhs, h - Double(lhs))
        }
        var needed = Set<Int>()
        for (lhs, _) in positions {
            needed.insert(lhs)
            if lhs < n - 1 { needed.insert(lhs + 1) }
        }
        let ks = needed.sorted()
        var order: [Int: Double] = [:]
        if n >= bracketingThreshold, let found = selectByBrackets(ks, in: UnsafeBufferPointer(values)) {
            order = found
        } else {
            select(ks[...], in: values, lo: 0, hi: n)
            for k in ks { order[k] = values[k] }
        }
        return positions.map { lhs, delta in
            lhs == n - 1 ? order[lhs]! : (1 - delta) * order[lhs]! + delta * order[lhs + 1]!
        }
    }

    /// Columns shorter than this go straight to quickselect.
    static let bracketingThreshold = 1 << 16

    /// Finds the order statistics `ks` (sorted) of a long column by bracketing them first, without
    /// moving any value. The quickselect's partitions branch unpredictably on every element, which made
    /// them the largest cost after a run. Here a sample of the column at a fixed stride is sorted; for
    /// each wanted rank a bracket [lo, hi] is read off the sample 4 binomial standard deviations either
    /// side of the rank's share (brackets that overlap are merged); one pass over the column counts the
    /// values below each bracket and copies those inside it (about a tenth of the column, and the tests
    /// on each value are almost always false, so they predict well); each order statistic is then
    /// selected inside its bracket's copy. The values are the exact order statistics.
    /// - Returns: the k-th smallest value for each k in `ks`; nil when a bracket missed its rank, and
    ///   the caller selects on the whole column instead. On random data a 4σ bracket misses with
    ///   probability about 6·10⁻⁵ (normal approximation, not measured), so with five brackets roughly
    ///   one column in a few thousand takes the slower path; data arranged against the stride may always.
    static func selectByBrackets(_ ks: [Int], in values: UnsafeBufferPointer<Double>) -> [Int: Double]? {
        let n = values.count
        let s = n >= 1 << 18 ? 1 << 14 : 1 << 12, stride = n / s
        var sample = (0 ..< s).map { values[$0 * stride] }
        sample.sort()
        var los: [Double] = [], his: [Double] = [], expected = 0.0
        for k in ks {
            let p = Double(k) / Double(n - 1), margin = 4 * (p * (1 - p) * Double(s)).squareRoot() + 2
            let a = max(0, Int((p * Double(s - 1) - margin).rounded(.down))), b = min(s - 1, Int((p * Double(s - 1) + margin).rounded(.up)))
            let lo = a == 0 ? -Double.infinity : sample[a], hi = b == s - 1 ? Double.infinity : sample[b]
            expected += Double(b - a + 1) / Double(s)
            if let last = his.last, lo <= last { his[his.count - 1] = max(last, hi) } else { los.append(lo); his.append(hi) }
        }
        let m = los.count
        // Plain buffers, not arrays appended to from a closure: this loop is the whole cost.
        let capacity = min(n, Int(expected * 1.5 * Double(n)) + 1024)
        let inside = UnsafeMutableBufferPointer<Double>.allocate(capacity: capacity)
        let owner = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        // Region of a value: 2b + 1 inside bracket b, 2b below it (and above bracket b − 1), 2m above all.
        let regions = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2 * m + 1)
        let lo = UnsafeMutableBufferPointer<Double>.allocate(capacity: m), hi = UnsafeMutableBufferPointer<Double>.allocate(capacity: m)
        defer { inside.deallocate(); owner.deallocate(); regions.deallocate(); lo.deallocate(); hi.deallocate() }
        regions.initialize(repeating: 0)
        _ = lo.initialize(from: los)
        _ = hi.initialize(from: his)
        var copied = 0
        for i in 0 ..< n {
            let x = values[i]
            var r = 0
            for b in 0 ..< m { r &+= (x >= lo[b] ? 1 : 0) &+ (x > hi[b] ? 1 : 0) }
            regions[r] &+= 1
            if r & 1 == 1 {
                guard copied < capacity else { return nil }  // far more inside than the sample said
                inside[copied] = x
                owner[copied] = UInt8(r >> 1)
                copied += 1
            }
        }
        var below = [Int](repeating: 0, count: m)
        var total = 0
        for r in 0 ..< 2 * m {
            if r & 1 == 1 { below[r >> 1] = total }
            total += regions[r]
        }
        var found: [Int: Double] = [:]
        var copy = [Double]()
        for b in 0 ..< m {
            copy.removeAll(keepingCapacity: true)
            for c in 0 ..< copied where owner[c] == UInt8(b) { copy.append(inside[c]) }
            let wanted = ks.filter { $0 >= below[b] && $0 < below[b] + copy.count }
            copy.withUnsafeMutableBufferPointer { c in
                select(wanted.map { $0 - below[b] }[...], in: c, lo: 0, hi: c.count)
                for k in wanted { found[k] = c[k - below[b]] }
            }
        }
        return found.count == ks.count ? found : nil
    }

    /// Rearranges `v[lo..<hi]` so that each index in `ks` (sorted, inside the range) holds the value a
    /// sort of the range would put there, with no larger value before it and no smaller one after it.
    ///
    /// Quickselect for several indices at once: a median-of-three pivot and a three-way partition (so
    /// that heavy ties, as in 0/1 event metrics, cost one pass), then only the parts holding a wanted
    /// index are partitioned further; small parts are finished by insertion sort. Expected cost about
    /// 2n·(1 + log₂ k) comparisons for k indices.
    static func select(_ ks: ArraySlice<Int>, in v: UnsafeMutableBufferPointer<Double>, lo: Int, hi: Int) {
        guard !ks.isEmpty else { return }
        if hi - lo <= 16 {
            guard hi - lo > 1 else { return }
            for i in lo + 1 ..< hi {
                let x = v[i]
                var j = i
                while j > lo && v[j - 1] > x { v[j] = v[j - 1]; j -= 1 }
                v[j] = x
            }
            return
        }
        let a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1]
        let pivot = Swift.max(Swift.min(a, b), Swift.min(Swift.max(a, b), c))
        // [lo, lt) < pivot, [lt, i) == pivot, [gt, hi) > pivot.
        let p = v.baseAddress!
        var lt = lo, i = lo, gt = hi
        while i < gt {
            let x = p[i]
            if x < pivot {
                p[i] = p[lt]; p[lt] = x; lt += 1; i += 1
            } else if x > pivot {
                gt -= 1; p[i] = p[gt]; p[gt] = x
            } else {
                i += 1
            }
        }
        let left = ks.prefix { $0 < lt }
        let right = ks.drop { $0 < gt }
        select(left, in: v, lo: lo, hi: lt)
        select(right, in: v, lo: gt, hi: hi)
    }
}
