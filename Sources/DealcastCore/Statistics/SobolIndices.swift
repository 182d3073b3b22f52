import Dispatch

/// First-order and total Sobol indices of the headline metrics with respect to every uncertain
/// input, by the pick-and-freeze design of Saltelli et al. (2010): two independent N × k input
/// matrices A and B, and for each input i the matrix A_B^i, which is A with column i taken from B
/// (docs/sensitivity.md).
///
/// With V the variance of the 2N values f(A) ∪ f(B) and μ their mean:
/// - first order (Saltelli 2010): S_i = mean_j[(f(B)_j − μ)(f(A_B^i)_j − f(A)_j)] / V
///   (centring f(B) on μ leaves the estimator's expectation unchanged and lowers its variance when
///   the metric's mean is far from zero);
/// - total (Jansen 1999): ST_i = mean_j[(f(A)_j − f(A_B^i)_j)²] / (2V).
///
/// The uncertainty of each estimate comes from a bootstrap over the N rows: the standard error is
/// the standard deviation of the bootstrap estimates, the 95% interval their 2.5th and 97.5th
/// percentiles.
public struct SobolIndices: Sendable, Equatable {
    /// Rows N of each matrix when `--sobol-samples` is not given.
    public static let defaultSamples = 8192
    /// Most rows accepted: the evaluations of every headline metric are kept in memory,
    /// 8 · N · (k + 2) bytes per metric.
    public static let maxSamples = 262_144
    /// Bootstrap resamples.
    public static let defaultResamples = 500
    /// Coverage of the bootstrap intervals.
    public static let confidence = 0.95

    /// An estimated index with its bootstrap uncertainty.
    public struct Estimate: Sendable, Equatable {
        public let value: Double
        /// Standard deviation of the bootstrap estimates.
        public let standardError: Double
        /// The 2.5th and 97.5th percentiles of the bootstrap estimates.
        public let low: Double
        public let high: Double
    }

    /// One input's indices of one metric.
    public struct Entry: Sendable, Equatable {
        /// Input field path.
        public let input: String
        /// S_i: the share of the metric's variance due to the input alone.
        public let firstOrder: Estimate
        /// ST_i: the share due to the input, alone and in interaction with any others.
        public let total: Estimate
    }

    /// The indices of one headline metric.
    public struct Metric: Sendable, Equatable {
        /// `<module>.<metric>`
        public let key: String
        /// V: the variance of f(A) ∪ f(B) over the rows used (divisor 2·rows), in the metric's unit squared.
        public let variance: Double
        /// Rows used: those where f(A), f(B) and every f(A_B^i) are defined.
        public let rows: Int
        /// Rows left out because the metric was undefined (NaN) in at least one of their evaluations.
        public let dropped: Int
        /// Every uncertain input, by decreasing total index (ties by path; undefined indices last).
        public let entries: [Entry]
    }

    /// Rows N of A and of B: `--sobol-samples` rounded up to whole blocks.
    public let samples: Int
    /// Number k of uncertain inputs.
    public let inputs: Int
    /// Bootstrap resamples behind each standard error and interval.
    public let resamples: Int
    /// How A and B were drawn: the run's sampling method, except that `sobol` is replaced by `lhs`
    /// (A and B would be two digital shifts of the same Sobol net, dependent row by row).
    public let sampling: SamplingMethod
    /// True when the scenario correlates some inputs: A and B were drawn without the correlations,
    /// because Sobol indices are defined for independent inputs.
    public let correlationsIgnored: Bool
    /// The headline metrics, in run order.
    public let metrics: [Metric]

    /// Model evaluations: N for A, N for B and N for each A_B^i.
    public var evaluations: Int { samples * (inputs + 2) }

    /// The indices of `key`, if it is a headline metric of the run.
    public func metric(_ key: String) -> Metric? { metrics.first { $0.key == key } }

    /// Checks `dealcast run`'s Sobol options: `--sobol-samples` needs `--sobol-indices` and a number
    /// of rows from 1 to `maxSamples`; neither applies to a shard run.
    /// - Throws: `DealcastError` (`.usage`, exit 64) saying what is wrong.
    public static func checkOptions(requested: Bool, samples: Int?, shard: Bool) throws(DealcastError) {
        if let n = samples {
            guard requested else { throw DealcastError(.usage, "--sobol-samples applies only with --sobol-indices") }
            guard n >= 1 && n <= maxSamples else { throw DealcastError(.usage, "--sobol-samples must be between 1 and \(maxSamples), got \(n)") }
        }
        if requested && shard {
            throw DealcastError(.usage, "--sobol-indices does not apply to a shard run, which writes only its partial result; Sobol indices need the whole model, not a range of blocks")
        }
    }

    /// `requested` rounded up to a whole number of blocks.
    public static func rows(requested: Int, blockSize: Int) -> Int {
        (max(1, requested) + blockSize - 1) / blockSize * blockSize
    }

    /// Draws A and B, evaluates the N(k + 2) rows in blocks in parallel, and estimates every headline
    /// metric's indices with bootstrap intervals. The same at any `config.threads`.
    ///
    /// A is drawn as a run with seed `SeedDerivation.seed(run: seed, block: 0, stream: "sobol-indices:A")`
    /// would draw it, B likewise from `"sobol-indices:B"`, block by block (so each is stratified per
    /// block under `lhs`). Row block b of A, B and every A_B^i is evaluated with the module streams of
    /// block b of the run: the modules' own randomness is common to all of them.
    /// - Parameters:
    ///   - samples: rows N of each matrix, rounded up to whole blocks of `config.blockSize`.
    ///   - resamples: bootstrap resamples (each seeded from the run seed, the metric and its index).
    /// - Throws: `DealcastError` when a module fails on a row block (named in the message), or
    ///   `.interrupted` when `cancellation` is raised.
    /// - Complexity: N(k + 2) model evaluations, then O(resamples · N · k) per headline metric.
    public static func compute(_ plan: RunPlan, _ config: RunConfiguration, samples: Int = defaultSamples, resamples: Int = defaultResamples,
                               cancellation: CancellationFlag? = nil) throws(DealcastError) -> SobolIndices {
        let bs = config.blockSize
        let n = rows(requested: samples, blockSize: bs)
        let blocks = n / bs
        let uncertain = plan.uncertainInputIndices
        let k = uncertain.count
        let keys = plan.headlineMetrics
        let columns = k + 2  // f(A), f(B), f(A_B^1), …, f(A_B^k)
        var design = config
        design.sampling = config.sampling == .sobol ? .lhs : config.sampling
        design.seed = SeedDerivation.seed(run: config.seed, block: 0, stream: "sobol-indices:A")
        let configA = design
        design.seed = SeedDerivation.seed(run: config.seed, block: 0, stream: "sobol-indices:B")
        let configB = design
        // values[(h * columns + c) * n + row]: headline metric h, evaluation c, row.
        let values = SharedBuffer(count: keys.count * columns * n)
        defer { values.free() }
        try FixedInputEvaluation(plan: plan, config: config, rows: bs).run(units: columns * blocks, cancellation: cancellation, fill: { u, inputs in
            let c = u / blocks, b = u % blocks
            let scratch = SamplerScratch(inputs: 0, blockSize: bs)
            defer { scratch.free() }
            Sampler(inputs: plan.inputs, config: c == 1 ? configB : configA).fill(block: b, count: bs, into: inputs, scratch: scratch)
            if c >= 2 {
                // Column i of B: an input's draws depend only on (seed, block, path, distribution), so
                // drawing it alone gives exactly B's column.
                let j = uncertain[c - 2]
                let column = UnsafeMutableBufferPointer(rebasing: inputs[j * bs ..< (j + 1) * bs])
                Sampler(inputs: [plan.inputs[j]], config: configB).fill(block: b, count: bs, into: column, scratch: scratch)
            }
            return b
        }, collect: { u, outputs in
            let c = u / blocks, b = u % blocks
            for (h, key) in keys.enumerated() {
                let metric = outputs.metric(key)
                let base = (h * columns + c) * n + b * bs
                for r in 0 ..< bs { values[base + r] = metric[r] }
            }
        }, describe: { u in
            let c = u / blocks, b = u % blocks
            let matrix = c == 0 ? "A" : c == 1 ? "B" : "A_B^\(c - 1) ('\(plan.inputs[uncertain[c - 2]].path)' from B)"
            return "Sobol indices, matrix \(matrix), rows \(b * bs + 1)–\((b + 1) * bs)"
        })
        let paths = uncertain.map { plan.inputs[$0].path }
        let metrics = keys.enumerated().map { h, key in
            metric(key, evaluations: values.slice(h * columns * n, columns * n), rows: n, paths: paths, resamples: resamples, config: config)
        }
        return SobolIndices(samples: n, inputs: k, resamples: resamples, sampling: configA.sampling,
                            correlationsIgnored: plan.correlation != nil, metrics: metrics)
    }

    /// One metric's indices from its evaluations (`columns` = k + 2 runs of `n` values: f(A), f(B),
    /// f(A_B^1), …), with the bootstrap.
    static func metric(_ key: String, evaluations f: UnsafeBufferPointer<Double>, rows n: Int, paths: [String], resamples: Int,
                       config: RunConfiguration) -> Metric {
        let columns = paths.count + 2
        // Row-major copy of the complete rows, so that a bootstrap row is one contiguous read.
        var table: [Double] = []
        table.reserveCapacity(columns * n)
        var kept = 0
        for r in 0 ..< n where (0 ..< columns).allSatisfy({ !f[$0 * n + r].isNaN }) {
            for c in 0 ..< columns { table.append(f[c * n + r]) }
            kept += 1
        }
        let point = table.withUnsafeBufferPointer { estimate(rowMajor: $0, columns: columns, rows: Array(0 ..< kept)) }
        let boot = bootstrap(table, columns: columns, rows: kept, resamples: resamples, key: key, config: config)
        let entries = paths.indices.map { i in
            Entry(input: paths[i], firstOrder: summarise(point.first[i], boot, index: i, stride: 2 * paths.count, resamples: resamples),
                  total: summarise(point.total[i], boot, index: paths.count + i, stride: 2 * paths.count, resamples: resamples))
        }
        return Metric(key: key, variance: point.variance, rows: kept, dropped: n - kept, entries: entries.sorted(by: byTotal))
    }

    /// The estimators on the rows `rows` (with repetition, for a bootstrap) of a row-major table whose
    /// row holds f(A), f(B), f(A_B^1), …, f(A_B^k).
    /// - Returns: V, S_i and ST_i; the indices are NaN when V is 0 or there are no rows.
    /// - Complexity: O(rows · k).
    static func estimate(rowMajor t: UnsafeBufferPointer<Double>, columns: Int, rows: [Int]) -> (variance: Double, first: [Double], total: [Double]) {
        let k = columns - 2
        let m = Double(rows.count)
        var sum = 0.0
        for r in rows { sum += t[r * columns] + t[r * columns + 1] }
        let mu = sum / (2 * m)
        var ss = 0.0
        for r in rows {
            let a = t[r * columns] - mu, b = t[r * columns + 1] - mu
            ss += a * a + b * b
        }
        let v = ss / (2 * m)
        var s1 = [Double](repeating: 0, count: k), s2 = [Double](repeating: 0, count: k)
        for r in rows {
            let base = r * columns
            let fa = t[base], fb = t[base + 1] - mu
            for i in 0 ..< k {
                let d = t[base + 2 + i] - fa
                s1[i] += fb * d
                s2[i] += d * d
            }
        }
        guard v > 0, !rows.isEmpty else { return (rows.isEmpty ? .nan : v, s1.map { _ in .nan }, s2.map { _ in .nan }) }
        return (v, s1.map { $0 / m / v }, s2.map { $0 / (2 * m) / v })
    }

    /// Bootstrap estimates: resample r draws `rows` row numbers with replacement from a GSL generator
    /// seeded by (run seed, r, "sobol-bootstrap:" + key), so each resample is the same on any thread.
    /// - Returns: resample r's S_i at r·2k + i and ST_i at r·2k + k + i.
    static func bootstrap(_ table: [Double], columns: Int, rows: Int, resamples: Int, key: String, config: RunConfiguration) -> [Double] {
        let k = columns - 2
        guard rows > 0, resamples > 0, k > 0 else { return [] }
        let out = SharedBuffer(count: resamples * 2 * k)
        defer { out.free() }
        let threads = max(1, min(config.threads, resamples))
        table.withUnsafeBufferPointer { t in
            nonisolated(unsafe) let t = t
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                var picked = [Int](repeating: 0, count: rows)
                for r in stride(from: worker, to: resamples, by: threads) {
                    let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: r, stream: "sobol-bootstrap:" + key))
                    for j in 0 ..< rows { picked[j] = Swift.min(Int(stream.uniform() * Double(rows)), rows - 1) }
                    let e = estimate(rowMajor: t, columns: columns, rows: picked)
                    for i in 0 ..< k {
                        out[r * 2 * k + i] = e.first[i]
                        out[r * 2 * k + k + i] = e.total[i]
                    }
                }
            }
        }
        return Array(out.slice(0, resamples * 2 * k))
    }

    /// The point estimate with the standard deviation and 2.5th / 97.5th percentiles of its bootstrap
    /// values (those that are defined), percentiles interpolated linearly between order statistics.
    static func summarise(_ value: Double, _ boot: [Double], index: Int, stride: Int, resamples: Int) -> Estimate {
        var xs: [Double] = []
        if !boot.isEmpty {
            for r in 0 ..< resamples where !boot[r * stride + index].isNaN { xs.append(boot[r * stride + index]) }
        }
        guard xs.count > 1, !value.isNaN else { return Estimate(value: value, standardError: .nan, low: .nan, high: .nan) }
        let m = xs.reduce(0, +) / Double(xs.count)
        let sd = (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
        xs.sort()
        func percentile(_ p: Double) -> Double {
            let h = p * Double(xs.count - 1)
            let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, xs.count - 1)
            return xs[lo] + (h - Double(lo)) * (xs[hi] - xs[lo])
        }
        let tail = (1 - confidence) / 2
        return Estimate(value: value, standardError: sd, low: percentile(tail), high: percentile(1 - tail))
    }

    /// Decreasing total index, undefined last, ties by path.
    static func byTotal(_ a: Entry, _ b: Entry) -> Bool {
        let x = a.total.value, y = b.total.value
        switch (x.isNaN, y.isNaN) {
        case (false, true): return true
        case (true, false): return false
        case (true, true): return a.input < b.input
        case (false, false): return x != y ? x > y : a.input < b.input
        }
    }
}
