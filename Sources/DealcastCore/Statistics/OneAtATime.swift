/// One-at-a-time swings of the headline metrics: each uncertain input at its 10th and its 90th
/// percentile, every other uncertain input at its median (docs/sensitivity.md).
///
/// The metric of a configuration is its mean over the same `trials` trials of the modules' own
/// random draws (the module streams of block 0), so every configuration sees the same module draws
/// and the differences come from the input alone. Correlations between inputs are ignored by
/// construction: an input moves while the others stay at their medians.
public struct OneAtATime: Sendable, Equatable {
    /// The percentiles an input is moved to.
    public static let lowQuantile = 0.1
    public static let highQuantile = 0.9

    /// One uncertain input's swing of one metric.
    public struct Entry: Sendable, Equatable {
        /// Input field path.
        public let input: String
        /// The input's 10th and 90th percentiles, in its canonical unit (from its inverse CDF).
        public let inputLow: Double
        public let inputHigh: Double
        /// The metric's mean (an event's probability) with the input at `inputLow` and at `inputHigh`,
        /// in the metric's unit; NaN when the metric is undefined in every trial.
        public let low: Double
        public let high: Double

        /// |high − low|, in the metric's unit.
        public var swing: Double { abs(high - low) }
    }

    /// The swings of one headline metric.
    public struct Metric: Sendable, Equatable {
        /// `<module>.<metric>`
        public let key: String
        /// The metric's mean with every uncertain input at its median.
        public let base: Double
        /// Every uncertain input, by decreasing swing (ties by path; NaN swings last).
        public let entries: [Entry]
    }

    /// Trials of module draws each configuration is evaluated on: the run's first block.
    public let trials: Int
    /// The headline metrics, in run order.
    public let metrics: [Metric]

    /// The swings of `key`, if it is a headline metric of the run.
    public func metric(_ key: String) -> Metric? { metrics.first { $0.key == key } }

    /// Trials of module draws each configuration is evaluated on (fewer when the run is smaller). With
    /// common random numbers the swing carries no noise from them; their number only sets how well
    /// the modules' own randomness is averaged, and 1024 keeps the analysis a small fraction of a run.
    public static let trialsPerConfiguration = 1024

    /// Evaluates the 2k + 1 configurations of the k uncertain inputs of `plan` (all at their
    /// medians; then each input at its 10th and at its 90th percentile), in parallel on
    /// `config.threads` workers. Fixed inputs keep their value. The numbers do not depend on the
    /// thread count. Each worker evaluates the base configuration once; a configuration then re-runs
    /// only the modules its input reaches (`modulesReached`), the others keeping the base outputs,
    /// which they would reproduce bit for bit.
    /// - Returns: the swings of every headline metric of `plan`.
    /// - Throws: `DealcastError` when a module fails in a configuration (named in the message), or
    ///   `.interrupted` when `cancellation` is raised.
    /// - Complexity: at most (2k + 1 + threads) evaluations of min(`config.trials`,
    ///   `trialsPerConfiguration`) trials; configuration i re-runs only the modules input i reaches.
    public static func compute(_ plan: RunPlan, _ config: RunConfiguration, cancellation: CancellationFlag? = nil) throws(DealcastError) -> OneAtATime {
        try evaluate(plan, config, cancellation: cancellation, reuseBase: true)
    }

    /// `compute`; with `reuseBase` false every configuration re-runs every module (the reference the
    /// tests compare the shortcut with).
    static func evaluate(_ plan: RunPlan, _ config: RunConfiguration, cancellation: CancellationFlag?, reuseBase: Bool) throws(DealcastError) -> OneAtATime {
        let rows = max(1, min(config.trials, config.blockSize, Self.trialsPerConfiguration))
        let uncertain = plan.uncertainInputIndices
        let keys = plan.headlineMetrics
        let medians = plan.inputs.map { $0.value.distribution.quantile(0.5) }
        let lows = uncertain.map { plan.inputs[$0].value.distribution.quantile(lowQuantile) }
        let highs = uncertain.map { plan.inputs[$0].value.distribution.quantile(highQuantile) }
        let units = 2 * uncertain.count + 1
        // means[u * keys.count + m]: metric m's mean in configuration u (0: base; 2i + 1: input i low; 2i + 2: high).
        let means = SharedBuffer(count: units * keys.count)
        defer { means.free() }
        let reached = uncertain.map { modulesReached(by: plan.inputs[$0], in: plan) }
        try FixedInputEvaluation(plan: plan, config: config, rows: rows).run(units: units, cancellation: cancellation, baseline: reuseBase ? 0 : nil, modules: { u in
            u == 0 ? [] : reached[(u - 1) / 2]
        }, fill: { u, inputs in
            for j in plan.inputs.indices { inputs[j * rows ..< (j + 1) * rows].update(repeating: medians[j]) }
            if u > 0 {
                let i = (u - 1) / 2, j = uncertain[i]
                inputs[j * rows ..< (j + 1) * rows].update(repeating: u % 2 == 1 ? lows[i] : highs[i])
            }
            return 0
        }, collect: { u, outputs in
            for (m, key) in keys.enumerated() { means[u * keys.count + m] = definedMean(outputs.metric(key)) }
        }, describe: { u in
            guard u > 0 else { return "one-at-a-time swing, every input at its median" }
            let i = (u - 1) / 2
            return "one-at-a-time swing, '\(plan.inputs[uncertain[i]].path)' at its \(u % 2 == 1 ? "10th" : "90th") percentile"
        })
        let metrics = keys.enumerated().map { m, key in
            let entries = uncertain.indices.map { i in
                Entry(input: plan.inputs[uncertain[i]].path, inputLow: lows[i], inputHigh: highs[i],
                      low: means[(2 * i + 1) * keys.count + m], high: means[(2 * i + 2) * keys.count + m])
            }
            return Metric(key: key, base: means[m], entries: entries.sorted(by: bySwing))
        }
        return OneAtATime(trials: rows, metrics: metrics)
    }

    /// The indices, in run order, of the modules that read `input` or, directly or through others,
    /// a metric of a module that does: the only ones whose outputs can change when the input does
    /// (modules are deterministic given their inputs and stream).
    static func modulesReached(by input: BoundInput, in plan: RunPlan) -> [Int] {
        var reached = Set<String>(), out: [Int] = []
        for (i, m) in plan.modules.enumerated()
        where input.readers.contains(m.id) || m.reads.contains(where: { reached.contains(String($0.prefix { $0 != "." })) }) {
            reached.insert(m.id)
            out.append(i)
        }
        return out
    }

    /// Decreasing swing, NaN last, ties by path.
    static func bySwing(_ a: Entry, _ b: Entry) -> Bool {
        switch (a.swing.isNaN, b.swing.isNaN) {
        case (false, true): return true
        case (true, false): return false
        case (true, true): return a.input < b.input
        case (false, false): return a.swing != b.swing ? a.swing > b.swing : a.input < b.input
        }
    }

    /// The mean of the values that are not NaN, summed in order; NaN when there are none.
    static func definedMean(_ values: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0, n = 0
        for v in values where !v.isNaN {
            sum += v
            n += 1
        }
        return n > 0 ? sum / Double(n) : .nan
    }
}

/// A buffer of doubles that parallel workers write at disjoint indices.
final class SharedBuffer: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Double>

    init(count: Int) {
        storage = .allocate(capacity: max(1, count))
        storage.initialize(repeating: .nan)
    }

    subscript(i: Int) -> Double {
        get { storage[i] }
        set { storage[i] = newValue }
    }

    /// The `count` values from `start`, read-only; valid until `free`.
    func slice(_ start: Int, _ count: Int) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(rebasing: storage[start ..< start + count])
    }

    func free() { storage.deallocate() }
}
