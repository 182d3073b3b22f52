/// The statistics Dealcast reports for every metric.
public struct Summary: Sendable, Equatable {
    /// Trials with a defined value (all trials unless the metric may be undefined).
    public var n: Int
    /// Trials where the metric was undefined (NaN), excluded from the rest.
    public var undefined: Int
    public var mean: Double
    public var sd: Double
    /// Standard error of the mean, sd / √n (for independent sampling; an upper bound under LHS).
    public var stderr: Double
    public var min: Double
    public var max: Double
    public var p5: Double
    public var p25: Double
    public var p50: Double
    public var p75: Double
    public var p95: Double

    /// The percentiles reported, with their labels, in order.
    public static let percentiles: [(String, Double)] = [("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95)]

    public init(n: Int, undefined: Int, mean: Double, sd: Double, stderr: Double, min: Double, max: Double,
                p5: Double, p25: Double, p50: Double, p75: Double, p95: Double) {
        self.n = n; self.undefined = undefined; self.mean = mean; self.sd = sd; self.stderr = stderr
        self.min = min; self.max = max; self.p5 = p5; self.p25 = p25; self.p50 = p50; self.p75 = p75; self.p95 = p95
    }

    /// Summarises `values`, skipping NaNs (counted in `undefined`).
    ///
    /// Mean and variance are plain two-pass sums in trial order (a fixed order, so the result is the
    /// same bit for bit at any thread count); GSL's running mean was 15× slower on 10M values.
    /// Percentiles interpolate linearly between order statistics, as GSL's
    /// `gsl_stats_quantile_from_sorted_data` and numpy's default do; the order statistics are found by
    /// selection (`OrderStatistics`), not by sorting: the same numbers, in linear time.
    /// - Complexity: O(n).
    public static func of(_ values: UnsafeBufferPointer<Double>) -> Summary {
        var defined = [Double]()
        defined.reserveCapacity(values.count)
        for v in values where !v.isNaN { defined.append(v) }
        let undefined = values.count - defined.count
        let n = defined.count
        guard n > 0 else {
            return Summary(n: 0, undefined: undefined, mean: .nan, sd: .nan, stderr: .nan, min: .nan, max: .nan,
                           p5: .nan, p25: .nan, p50: .nan, p75: .nan, p95: .nan)
        }
        var sum = 0.0
        for v in defined { sum += v }
        var mean = sum / Double(n)
        var ss = 0.0
        for v in defined { let d = v - mean; ss += d * d }
        var lowest = defined[0], highest = defined[0]
        for v in defined {
            if v < lowest { lowest = v }
            if v > highest { highest = v }
        }
        // Constant data has no spread, whatever rounding the mean picked up.
        let constant = lowest == highest
        if constant { mean = lowest }
        let sd = n > 1 && !constant ? (ss / Double(n - 1)).squareRoot() : 0
        let quantiles = defined.withUnsafeMutableBufferPointer { OrderStatistics.quantiles(percentiles.map(\.1), of: $0) }
        return Summary(n: n, undefined: undefined, mean: mean, sd: sd, stderr: sd / Double(n).squareRoot(),
                       min: lowest, max: highest, p5: quantiles[0], p25: quantiles[1], p50: quantiles[2], p75: quantiles[3], p95: quantiles[4])
    }
}

/// Per-period statistics of a series.
public struct SeriesSummary: Sendable, Equatable {
    public var mean: [Double] = []
    public var p5: [Double] = []
    public var p25: [Double] = []
    public var p50: [Double] = []
    public var p75: [Double] = []
    public var p95: [Double] = []

    mutating func append(_ s: Summary) {
        mean.append(s.mean); p5.append(s.p5); p25.append(s.p25); p50.append(s.p50); p75.append(s.p75); p95.append(s.p95)
    }
}
