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
    }

    /// Entries by decreasing |ρ|.
    public let entries: [Entry]

    /// Ranks with ties given their average rank (1-based); no NaN.
    /// - Complexity: O(n) (`RadixSort.order`).
    public static func ranks(_ x: UnsafeBufferPointer<Double>) -> [Double] {
        let order = RadixSort.order(x)
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[Int(order[j + 1])] == x[Int(order[i])] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i ... j { r[Int(order[k])] = avg }
            i = j + 1
        }
        return r
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
    /// - Returns: one `Sensitivity` per metric, in order.
    /// - Complexity: O((k + m)·n) for k inputs, m metrics and n trials (`RadixSort`), plus k `column` calls.
    public static func compute(metrics: [UnsafeBufferPointer<Double>], inputs: [String],
                               column: @escaping @Sendable (Int) -> [Double]) -> [Sensitivity] {
        // Per metric: the trials where it is defined (nil when all are) and its ranks over them.
        let prepared: [(keep: [Int]?, ranks: [Double])] = metrics.map { metric in
            let keep = metric.indices.filter { !metric[$0].isNaN }
            if keep.count == metric.count { return (nil, ranks(metric)) }
            let m = keep.map { metric[$0] }
            return (keep, m.withUnsafeBufferPointer { ranks($0) })
        }
        let k = inputs.count, mCount = metrics.count
        let rho = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, k * mCount))
        rho.initialize(repeating: 0)
        defer { rho.deallocate() }
        nonisolated(unsafe) let out = rho
        let anyComplete = prepared.contains { $0.keep == nil }
        DispatchQueue.concurrentPerform(iterations: k) { j in
            let draws = column(j)
            let full = anyComplete ? draws.withUnsafeBufferPointer { ranks($0) } : []
            for (i, p) in prepared.enumerated() {
                if let keep = p.keep {
                    let x = keep.map { draws[$0] }
                    out[j * mCount + i] = pearson(x.withUnsafeBufferPointer { ranks($0) }, p.ranks)
                } else {
                    out[j * mCount + i] = pearson(full, p.ranks)
                }
            }
        }
        return (0 ..< mCount).map { i in
            let rhos = (0 ..< k).map { (inputs[$0], rho[$0 * mCount + i]) }
            let total = rhos.reduce(0) { $0 + $1.1 * $1.1 }
            let entries = rhos.map { Entry(input: $0.0, spearman: $0.1, contribution: total > 0 ? ($0.1 < 0 ? -1 : 1) * $0.1 * $0.1 / total : 0) }
                .sorted { abs($0.spearman) != abs($1.spearman) ? abs($0.spearman) > abs($1.spearman) : $0.input < $1.input }
            return Sensitivity(entries: entries)
        }
    }
}
