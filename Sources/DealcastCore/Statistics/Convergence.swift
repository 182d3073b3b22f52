internal import CGSL

/// How precisely a run has estimated a metric's mean, 5th and 95th percentiles: a standard error and a
/// 95% confidence interval for each, by batch means over the run's blocks, and how many trials would
/// halve the error. See docs/engine.md, "Convergence".
///
/// Every block of a run is an independent replicate of the sampling design (its own Latin hypercube, its
/// own randomly shifted Sobol net, its own correlation rearrangement), so block statistics are independent
/// and identically distributed whatever the sampling method. With B batches, batch b holding nᵦ defined
/// values out of N, weights wᵦ = nᵦ / N, and sᵦ the statistic (mean, p5 or p95) computed on batch b alone,
///
///     SE² = B / (B − 1) · Σᵦ wᵦ² (sᵦ − s̄)²,   s̄ = Σᵦ wᵦ sᵦ,
///
/// which is the sample variance of the batch statistics over B when batches are of equal size. For the mean
/// it is exact (the run's mean is Σ wᵦ mᵦ); for percentiles it is the sectioning estimator (Asmussen &
/// Glynn, *Stochastic Simulation*, 2007, §III.5a). The interval is centred on the statistic of the whole run
/// (the figure the report prints) with Student's t on B − 1 degrees of freedom: s ± t₀.₉₇₅,B₋₁ · SE.
///
/// Batches are the run's blocks when there are at least `minimumBatches` of them. A smaller run is cut into
/// `minimumBatches` equal runs of consecutive trials; inside one Latin hypercube block those batches are
/// negatively correlated, which makes the error estimate conservative (too wide), never too narrow.
///
/// Because the block size is fixed, more trials means more replicates of the same design, so the error
/// falls as 1/√trials for every sampling method: halving it takes four times the trials.
public struct Convergence: Sendable, Equatable {
    /// One statistic with its standard error and 95% confidence interval.
    public struct Estimate: Sendable, Equatable {
        /// The statistic over all trials of the run (the value the report prints).
        public var value: Double
        public var standardError: Double
        /// The 95% confidence interval.
        public var lower: Double
        public var upper: Double

        /// Half the width of the 95% interval, in the metric's unit.
        public var halfWidth: Double { (upper - lower) / 2 }

        /// The half-width relative to the value's magnitude: 0 when the interval has no width, +∞ when it
        /// has some around a value of exactly 0.
        public var relativeHalfWidth: Double {
            if halfWidth == 0 { return 0 }
            return value == 0 ? .infinity : halfWidth / Swift.abs(value)
        }
    }

    /// The statistics convergence is reported for, with their labels.
    public enum Statistic: String, Sendable, CaseIterable {
        case mean, p5, p95
    }

    public var mean: Estimate
    public var p5: Estimate
    public var p95: Estimate
    /// Batches the error was estimated from (blocks, or `minimumBatches` runs of trials in a small run).
    public var batches: Int
    /// Whether the batches are the run's blocks (true) or runs of consecutive trials inside fewer blocks.
    public var batchesAreBlocks: Bool
    /// Trials of the run, defined or not.
    public var trials: Int
    /// Trials that would halve every standard error here: four times `trials`, in whole blocks.
    public var trialsToHalve: Int

    /// Fewest batches an error is estimated from; a run with fewer blocks is cut into this many batches.
    public static let minimumBatches = 10

    public subscript(_ statistic: Statistic) -> Estimate {
        switch statistic {
        case .mean: return mean
        case .p5: return p5
        case .p95: return p95
        }
    }

    /// The convergence figures of one metric's values, in trial order.
    /// - Parameters:
    ///   - values: every trial's value, NaN where the metric is undefined.
    ///   - summary: `Summary.of(values)`, whose mean, p5 and p95 centre the intervals.
    ///   - blockSize: the run's trials per block.
    /// - Returns: nil with fewer than two batches holding a defined value (fewer than 2·`minimumBatches`
    ///   trials in a one-block run, or a metric defined in a single batch).
    /// - Complexity: O(n): each batch's percentiles are selected (`OrderStatistics`), not sorted.
    public static func of(_ values: UnsafeBufferPointer<Double>, summary: Summary, blockSize: Int) -> Convergence? {
        let n = values.count
        let blocks = (n + blockSize - 1) / blockSize
        let byBlock = blocks >= minimumBatches
        let batchSize = byBlock ? blockSize : (n + minimumBatches - 1) / minimumBatches
        guard batchSize >= 2 || byBlock else { return nil }
        var stats: [(weight: Int, mean: Double, p5: Double, p95: Double)] = []
        var sorted = [Double]()  // the batch's defined values, reordered by the selection
        sorted.reserveCapacity(batchSize)
        var first = 0
        while first < n {
            let end = Swift.min(first + batchSize, n)
            sorted.removeAll(keepingCapacity: true)
            var sum = 0.0
            for i in first ..< end where !values[i].isNaN {
                sorted.append(values[i])
                sum += values[i]
            }
            first = end
            let m = sorted.count
            guard m > 0 else { continue }
            let q = sorted.withUnsafeMutableBufferPointer { OrderStatistics.quantiles([0.05, 0.95], of: $0) }
            stats.append((m, sum / Double(m), q[0], q[1]))
        }
        let b = stats.count
        guard b > 1 else { return nil }
        let t = gsl_cdf_tdist_Pinv(0.975, Double(b - 1))
        func estimate(_ value: Double, _ s: KeyPath<(weight: Int, mean: Double, p5: Double, p95: Double), Double>) -> Estimate {
            let se = batchStandardError(stats.map { ($0.weight, $0[keyPath: s]) })!
            return Estimate(value: value, standardError: se, lower: value - t * se, upper: value + t * se)
        }
        return Convergence(mean: estimate(summary.mean, \.mean), p5: estimate(summary.p5, \.p5), p95: estimate(summary.p95, \.p95),
                           batches: b, batchesAreBlocks: byBlock, trials: n, trialsToHalve: trialsToHalve(n, blockSize: blockSize))
    }

    /// The standard error of a statistic estimated from independent batches, each with its weight (its
    /// defined values) and the statistic computed on it alone: SE² = B / (B − 1) · Σ wᵦ² (sᵦ − s̄)² with
    /// wᵦ the batch's share of the weight and s̄ = Σ wᵦ sᵦ. Nil with fewer than two batches.
    static func batchStandardError(_ batches: [(weight: Int, value: Double)]) -> Double? {
        let b = batches.count
        guard b > 1 else { return nil }
        // Equal batch values have no spread, whatever rounding the weighted centre picks up.
        if batches.allSatisfy({ $0.value == batches[0].value }) { return 0 }
        let total = Double(batches.reduce(0) { $0 + $1.weight })
        var centre = 0.0
        for x in batches { centre += Double(x.weight) / total * x.value }
        var v = 0.0
        for x in batches {
            let w = Double(x.weight) / total, d = x.value - centre
            v += w * w * d * d
        }
        return (Double(b) / Double(b - 1) * v).squareRoot()
    }

    /// Four times `trials`, rounded up to whole blocks once the run spans a block.
    static func trialsToHalve(_ trials: Int, blockSize: Int) -> Int {
        let four = 4 * trials
        return trials >= blockSize ? (four + blockSize - 1) / blockSize * blockSize : four
    }

    /// The trials a run of `trials` trials would need for the relative half-width of `statistic` to
    /// reach `target`, by the 1/√trials law: trials · (current / target)², in whole blocks.
    /// - Returns: nil when the current half-width is infinite (a value of 0 with some spread).
    public func trialsNeeded(for target: Double, statistic: Statistic = .mean, blockSize: Int) -> Int? {
        let r = self[statistic].relativeHalfWidth
        guard r.isFinite else { return nil }
        if r <= target { return trials }
        let needed = (Double(trials) * (r / target) * (r / target)).rounded(.up)
        guard needed < Double(Int.max / 2) else { return nil }
        return (Int(needed) + blockSize - 1) / blockSize * blockSize
    }
}
