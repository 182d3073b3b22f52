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
    /// `values` is reordered.
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
        select(needed.sorted()[...], in: values, lo: 0, hi: n)
        return positions.map { lhs, delta in
            lhs == n - 1 ? values[lhs] : (1 - delta) * values[lhs] + delta * values[lhs + 1]
        }
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
