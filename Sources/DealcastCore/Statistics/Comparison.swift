/// Two runs of the same number of trials compared trial by trial: for every metric they share, the
/// distribution of B − A over trials with the same index, and how much common random numbers gained.
///
/// Trial i of both runs drew every input they share from the same generator state when they used the
/// same seed (streams are keyed by seed, block and input path: docs/engine.md), so B_i − A_i is the
/// effect of what differs between the scenarios, not of sampling noise. `Comparison` checks that claim
/// on the draws themselves (`identicallyDrawn`).
public struct Comparison: Sendable {
    /// One shared metric.
    public struct Metric: Sendable {
        public let key: String
        public let unit: String
        public let kind: MetricSpec.Kind
        /// A headline metric of its module (`MetricSpec.headline`).
        public let headline: Bool
        /// Each side's statistics over all its trials, as in its results.json.
        public let a: Summary, b: Summary
        /// Trials where both sides have a value (all, unless the metric can be undefined).
        public let paired: Int
        /// Statistics of B_i − A_i over the paired trials.
        public let difference: Summary
        /// Share of paired trials with B_i > A_i, and with B_i < A_i (the rest are ties).
        public let probabilityBGreater: Double, probabilityBLess: Double
        /// Pearson correlation of A_i and B_i over paired trials; NaN when either side is constant.
        public let correlation: Double
        /// Standard error of the mean difference from these paired trials: sd(B − A) / √n.
        public let stderrPaired: Double
        /// Standard error the mean difference would have from two independent runs of n trials each:
        /// √((var A + var B) / n), variances over the paired trials.
        public let stderrIndependent: Double

        /// (stderrIndependent / stderrPaired)²: how many times more trials two independent runs would
        /// need for the same precision on the mean difference. Infinite when every difference is the
        /// same number and the sides vary; NaN when neither side varies.
        public var varianceRatio: Double {
            let i = stderrIndependent * stderrIndependent, p = stderrPaired * stderrPaired
            return p > 0 ? i / p : (i > 0 ? .infinity : .nan)
        }

        /// True when both sides have the same value in every trial (and are undefined in the same trials).
        public var identical: Bool {
            paired == a.n && paired == b.n && difference.n == paired && (paired == 0 || (difference.min == 0 && difference.max == 0))
        }
    }

    /// A scenario input whose value differs between the sides, or that only one side reads.
    public struct InputChange: Sendable {
        public let path: String
        /// The value as written on each side; nil when that side does not read the input.
        public let a: String?, b: String?
        /// Spearman rank correlation of the two sides' draws, when the input is uncertain on both.
        /// 1 means the change acted through the same uniforms (the inverse CDF under LHS).
        public let drawRankCorrelation: Double?
    }

    public let metrics: [Comparison.Metric]
    /// Metric keys present on one side only.
    public let onlyInA: [String], onlyInB: [String]
    /// Metric keys on both sides whose units differ; they are not compared.
    public let unitMismatches: [String]
    /// Inputs (sampled and structural) that differ, in A's order then B's.
    public let inputChanges: [InputChange]
    /// Uncertain inputs read on both sides with the same distribution.
    public let sharedUnchangedInputs: Int
    /// Of those, the inputs whose draws were identical on both sides in every trial.
    public let identicallyDrawn: Int
    /// Of those, the inputs whose draws differed in some trial (expected only with different seeds, or
    /// when a Sobol coordinate or a correlation changed: docs/compare.md).
    public let differentlyDrawn: [String]

    /// Compares two runs trial by trial.
    /// - Precondition: both runs have the same number of trials.
    /// - Complexity: O(m · n log n) for m shared metrics and n trials (each difference is sorted for its
    ///   percentiles).
    public static func of(_ a: RunResults, _ b: RunResults) -> Comparison {
        precondition(a.config.trials == b.config.trials, "compared runs must have the same number of trials")
        var metrics: [Comparison.Metric] = [], mismatches: [String] = []
        let bKeys = Set(b.metrics.map(\.key))
        for ma in a.metrics {
            guard let mb = b.metric(ma.key) else { continue }
            guard ma.spec.unit == mb.spec.unit else { mismatches.append(ma.key); continue }
            metrics.append(metric(ma, mb, a.values(ma.key)!, b.values(ma.key)!))
        }
        let aKeys = Set(a.metrics.map(\.key))
        let (changes, shared, differing) = inputs(a, b)
        return Comparison(metrics: metrics, onlyInA: a.metrics.map(\.key).filter { !bKeys.contains($0) },
                          onlyInB: b.metrics.map(\.key).filter { !aKeys.contains($0) }, unitMismatches: mismatches,
                          inputChanges: changes, sharedUnchangedInputs: shared, identicallyDrawn: shared - differing.count,
                          differentlyDrawn: differing)
    }

    private static func metric(_ ma: RunResults.Metric, _ mb: RunResults.Metric, _ x: [Double], _ y: [Double]) -> Comparison.Metric {
        var d: [Double] = [], xs: [Double] = [], ys: [Double] = []
        d.reserveCapacity(x.count)
        var greater = 0, less = 0
        for i in x.indices where !x[i].isNaN && !y[i].isNaN {
            d.append(y[i] - x[i]); xs.append(x[i]); ys.append(y[i])
            if y[i] > x[i] { greater += 1 } else if y[i] < x[i] { less += 1 }
        }
        let n = d.count
        let diff = d.withUnsafeBufferPointer { Summary.of($0) }
        let (va, vb, cov) = moments(xs, ys)
        let correlation = va > 0 && vb > 0 ? cov / (va * vb).squareRoot() : .nan
        let rootN = Double(Swift.max(n, 1)).squareRoot()
        return Comparison.Metric(
            key: ma.key, unit: ma.spec.unit, kind: ma.spec.kind, headline: ma.spec.headline, a: ma.summary, b: mb.summary, paired: n, difference: diff,
            probabilityBGreater: n > 0 ? Double(greater) / Double(n) : .nan, probabilityBLess: n > 0 ? Double(less) / Double(n) : .nan,
            correlation: correlation, stderrPaired: n > 1 ? diff.sd / rootN : .nan,
            stderrIndependent: n > 1 ? ((va + vb) / Double(n)).squareRoot() : .nan)
    }

    /// Sample variances (divisor n − 1) of x and y and their covariance, two-pass, in trial order.
    private static func moments(_ x: [Double], _ y: [Double]) -> (Double, Double, Double) {
        let n = x.count
        guard n > 1 else { return (0, 0, 0) }
        var mx = 0.0, my = 0.0
        for i in 0 ..< n { mx += x[i]; my += y[i] }
        mx /= Double(n); my /= Double(n)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in 0 ..< n {
            let dx = x[i] - mx, dy = y[i] - my
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy
        }
        let k = Double(n - 1)
        return (sxx / k, syy / k, sxy / k)
    }

    /// The inputs that differ, and the check that unchanged shared inputs drew the same numbers.
    private static func inputs(_ a: RunResults, _ b: RunResults) -> ([InputChange], Int, [String]) {
        let aAll = a.plan.inputs + a.plan.fixedInputs, bAll = b.plan.inputs + b.plan.fixedInputs
        var bByPath: [String: BoundInput] = [:]
        for i in bAll where bByPath[i.path] == nil { bByPath[i.path] = i }
        var aPaths: Set<String> = []
        var changes: [InputChange] = [], shared = 0, differing: [String] = []
        for ia in aAll where aPaths.insert(ia.path).inserted {
            guard let ib = bByPath[ia.path] else {
                changes.append(InputChange(path: ia.path, a: ia.written, b: nil, drawRankCorrelation: nil))
                continue
            }
            let da = a.inputValues(ia.path), db = b.inputValues(ib.path)
            if ia.value == ib.value && ia.written == ib.written {
                guard let da, let db else { continue }
                shared += 1
                if !da.elementsEqual(db, by: { $0.bitPattern == $1.bitPattern }) { differing.append(ia.path) }
            } else {
                var rho: Double?
                if let da, let db {
                    rho = da.withUnsafeBufferPointer { x in db.withUnsafeBufferPointer { y in
                        Sensitivity.pearson(Sensitivity.ranks(x), Sensitivity.ranks(y))
                    } }
                }
                changes.append(InputChange(path: ia.path, a: ia.written, b: ib.written, drawRankCorrelation: rho))
            }
        }
        for ib in bAll where !aPaths.contains(ib.path) && aPaths.insert(ib.path).inserted {
            changes.append(InputChange(path: ib.path, a: nil, b: ib.written, drawRankCorrelation: nil))
        }
        return (changes, shared, differing)
    }
}
