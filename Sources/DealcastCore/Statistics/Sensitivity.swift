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

    /// Ranks with ties given their average rank (1-based).
    /// - Complexity: O(n log n).
    public static func ranks(_ x: UnsafeBufferPointer<Double>) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i ... j { r[order[k]] = avg }
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

    /// Spearman correlations of `metric` with each input.
    ///
    /// - Parameters:
    ///   - inputRanks: each input's ranks over all trials (computed once per run and shared by metrics).
    ///   - inputs: each input's draws, used only when the metric is undefined in some trials, to rank
    ///     the inputs over the trials where it is defined.
    public static func compute(metric: UnsafeBufferPointer<Double>, inputRanks: [(String, [Double])],
                               inputs: (Int) -> UnsafeBufferPointer<Double>) -> Sensitivity {
        let keep = metric.indices.filter { !metric[$0].isNaN }
        let complete = keep.count == metric.count
        let m = complete ? Array(metric) : keep.map { metric[$0] }
        let mr = m.withUnsafeBufferPointer { ranks($0) }
        var rhos: [(String, Double)] = []
        for (j, (path, r)) in inputRanks.enumerated() {
            if complete {
                rhos.append((path, pearson(r, mr)))
            } else {
                let column = inputs(j)
                let x = keep.map { column[$0] }
                rhos.append((path, pearson(x.withUnsafeBufferPointer { ranks($0) }, mr)))
            }
        }
        let total = rhos.reduce(0) { $0 + $1.1 * $1.1 }
        let entries = rhos.map { Entry(input: $0.0, spearman: $0.1, contribution: total > 0 ? ($0.1 < 0 ? -1 : 1) * $0.1 * $0.1 / total : 0) }
            .sorted { abs($0.spearman) != abs($1.spearman) ? abs($0.spearman) > abs($1.spearman) : $0.input < $1.input }
        return Sensitivity(entries: entries)
    }
}
