import Dispatch

/// Rank-based sensitivity of a metric to the uncertain inputs, as the desktop Monte Carlo tools show it.
public struct Sensitivity: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Input field path.
        public let input: String
        /// Spearman rank correlation between the input's draws and the metric, over trials where the
        /// metric is defined.
        public let spearman: Double
        /// Contribution to variance: ρ² normalised so that the inputs' contributions sum to 1
        /// (Crystal Ball's definition), signed like ρ.
        public let contribution: Double
        /// The metric's mean over the trials whose draw of the input is at or below the input's low
        /// cut (its distribution's 10th percentile, as `RunResults.sensitivity` cuts it), and over those
        /// at or above its high cut (the 90th): the "change in output mean" tornado's bar. Nil when no
        /// cuts were given or no trial with a defined metric falls there.
        public var meanIfLow: Double? = nil
        public var meanIfHigh: Double? = nil
    }

    /// Entries by decreasing |ρ|.
    public let entries: [Entry]

    /// Ranks with ties given their average rank (1-based); no NaN.
    /// - Complexity: O(n) (`RadixSort.ranks`).
    public static func ranks(_ x: UnsafeBufferPointer<Double>) -> [Double] {
        RadixSort.ranks(x)
    }

    /// Pearson correlation of two equal-length arrays; 0 when either is constant.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        guard a.count > 1 else { return 0 }
        var ma = 0.0, mb = 0.0
        for i in a.indices { ma += a[i]; mb += b[i] }
        ma /= n; mb /= n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }

    /// Spearman correlations of each of `metrics` with each input, in one pass over the inputs.
    ///
    /// Each input's draws are asked for once (`column`, which may replay them from the run's streams),
    /// ranked once (over all trials, for the metrics defined in every trial; over the defined trials of
    /// each other metric) and dropped once correlated, so the memory needed is the metrics' ranks plus a
    /// few columns per core, not a column per input. Inputs are processed in parallel; every
    /// correlation is computed on its own, so the result does not depend on the thread count.
    /// - Parameters:
    ///   - metrics: each metric's values in trial order, NaN where it is undefined.
    ///   - inputs: each uncertain input's path; `column(i)` gives input i's draws in trial order.
    ///   - cuts: for each input, the draws at or below `low` and at or above `high` over which each
    ///     metric's mean is taken (`Entry.meanIfLow`, `meanIfHigh`), while its draws are at hand; nil
    ///     for none.
    /// - Returns: one `Sensitivity` per metric, in order.
    /// - Complexity: O((k + m)·n) for k inputs, m metrics and n trials (`RadixSort`), plus k `column` calls.
    public static func compute(metrics: [UnsafeBufferPointer<Double>], inputs: [String], cuts: [(low: Double, high: Double)]? = nil,
                               column: @escaping @Sendable (Int) -> [Double]) -> [Sensitivity] {
        // Per metric: the trials where it is defined (nil when all are) and its centred ranks over them.
        let prepared: [(keep: [Int]?, ranks: CentredRanks)] = metrics.map { metric in
            let keep = metric.indices.filter { !metric[$0].isNaN }
            if keep.count == metric.count { return (nil, CentredRanks(metric)) }
            let m = keep.map { metric[$0] }
            return (keep, m.withUnsafeBufferPointer { CentredRanks($0) })
        }
        let k = inputs.count, mCount = metrics.count
        let rho = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, k * mCount))
        rho.initialize(repeating: 0)
        // (mean if low, mean if high) per input and metric, NaN for none.
        let tenths = UnsafeMutableBufferPointer<(Double, Double)>.allocate(capacity: max(1, k * mCount))
        tenths.initialize(repeating: (.nan, .nan))
        defer { rho.deallocate(); tenths.deallocate() }
        nonisolated(unsafe) let out = rho, means = tenths
        nonisolated(unsafe) let metrics = metrics
        let anyComplete = prepared.contains { $0.keep == nil }
        DispatchQueue.concurrentPerform(iterations: k) { j in
            let draws = column(j)
            let full = anyComplete ? draws.withUnsafeBufferPointer { CentredRanks($0) } : nil
            // The trials in the input's low and high tenths, found once for every metric.
            let tenths = cuts.map { cut in
                (low: draws.indices.filter { draws[$0] <= cut[j].low }, high: draws.indices.filter { draws[$0] >= cut[j].high })
            }
            for (i, p) in prepared.enumerated() {
                if let keep = p.keep {
                    let x = keep.map { draws[$0] }
                    out[j * mCount + i] = x.withUnsafeBufferPointer { CentredRanks($0) }.correlation(with: p.ranks)
                } else {
                    out[j * mCount + i] = full!.correlation(with: p.ranks)
                }
                if let tenths { means[j * mCount + i] = (definedMean(metrics[i], over: tenths.low), definedMean(metrics[i], over: tenths.high)) }
            }
        }
        return (0 ..< mCount).map { i in
            let rhos = (0 ..< k).map { (inputs[$0], rho[$0 * mCount + i]) }
            let total = rhos.reduce(0) { $0 + $1.1 * $1.1 }
            let entries = rhos.enumerated().map { j, r in
                let (low, high) = tenths[j * mCount + i]
                return Entry(input: r.0, spearman: r.1, contribution: total > 0 ? (r.1 < 0 ? -1 : 1) * r.1 * r.1 / total : 0,
                             meanIfLow: low.isNaN ? nil : low, meanIfHigh: high.isNaN ? nil : high)
            }
                .sorted { abs($0.spearman) != abs($1.spearman) ? abs($0.spearman) > abs($1.spearman) : $0.input < $1.input }
            return Sensitivity(entries: entries)
        }
    }

    /// The mean of `metric` over the trials `rows` where it is defined; NaN when there is none.
    static func definedMean(_ metric: UnsafeBufferPointer<Double>, over rows: [Int]) -> Double {
        var sum = 0.0, count = 0
        for r in rows where !metric[r].isNaN {
            sum += metric[r]
            count += 1
        }
        return count > 0 ? sum / Double(count) : .nan
    }
}

/// A column's ranks (ties averaged) minus their mean, (n + 1)/2, and the sum of their squares: what a
/// Spearman correlation needs of each side, computed once per column rather than once per pair.
/// Ranks are integers or halves below 2⁵³, so the centring is exact.
struct CentredRanks {
    let values: [Double]
    let squares: Double

    init(_ x: UnsafeBufferPointer<Double>) {
        let centre = Double(x.count + 1) / 2
        let r = Sensitivity.ranks(x).map { $0 - centre }
        values = r
        squares = Self.dot(r, r)
    }

    /// The Spearman correlation: the Pearson correlation of the two columns' ranks, 0 when either is constant.
    func correlation(with other: CentredRanks) -> Double {
        guard values.count > 1, squares > 0, other.squares > 0 else { return 0 }
        return Self.dot(values, other.values) / (squares * other.squares).squareRoot()
    }

    /// Σ aᵢbᵢ in four interleaved partial sums, added in a fixed order: the same at any thread count,
    /// and four independent additions per step instead of one chain.
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var s = SIMD4<Double>(repeating: 0)
                let n = a.count, whole = n & ~3
                var i = 0
                let pa = UnsafeRawPointer(a.baseAddress), pb = UnsafeRawPointer(b.baseAddress)
                let stride = MemoryLayout<Double>.stride
                while i < whole {
                    let x = pa!.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<Double>.self)
                    let y = pb!.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<Double>.self)
                    s += x * y
                    i += 4
                }
                var total = (s[0] + s[1]) + (s[2] + s[3])
                while i < n { total += a[i] * b[i]; i += 1 }
                return total
            }
        }
    }
}
