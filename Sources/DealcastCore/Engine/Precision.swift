import Dispatch

/// `--precision X --max-trials N`: run until the mean of every headline metric is known to within ±X
/// (relative half-width of its 95% confidence interval), or until N trials.
public struct PrecisionTarget: Sendable, Equatable {
    /// The relative half-width asked for, e.g. 0.01 for ±1%.
    public var relativeHalfWidth: Double
    /// The most trials the run may reach.
    public var maxTrials: Int

    public init(relativeHalfWidth: Double, maxTrials: Int) {
        self.relativeHalfWidth = relativeHalfWidth
        self.maxTrials = maxTrials
    }
}

/// What a run to a precision target did: how many trials it ran in which stages, and whether every
/// checked metric met the target.
public struct PrecisionOutcome: Sendable, Equatable {
    public var target: PrecisionTarget
    /// The statistic checked: the mean.
    public let statistic: Convergence.Statistic = .mean
    /// The run's total trials after each stage, in order; the last is the run's trial count.
    public var stages: [Int]
    /// Each checked metric's relative half-width at the end, in module order.
    public var achieved: [Achieved]

    /// One checked metric's relative half-width (+∞ when it has no estimate, or a mean of 0 with spread).
    public struct Achieved: Sendable, Equatable {
        public var key: String
        public var relativeHalfWidth: Double
    }

    /// The checked metrics that did not meet the target.
    public var unmet: [String] { achieved.filter { !($0.relativeHalfWidth <= target.relativeHalfWidth) }.map(\.key) }

    /// Whether every checked metric met the target (otherwise the run stopped at `maxTrials`).
    public var met: Bool { unmet.isEmpty }
}

extension RunPlan {
    /// The metrics convergence is reported and a precision target is checked for: the headline metrics,
    /// or every metric when no module marks one as headline.
    public var convergenceMetrics: [String] {
        let headline = headlineMetrics
        return headline.isEmpty ? modules.flatMap { m in m.metrics.map { m.key($0.name) } } : headline
    }
}

extension Engine {
    /// Runs `plan` until the mean of every `convergenceMetrics` metric has a 95% interval no wider than
    /// ±`target.relativeHalfWidth` of its value, or until `target.maxTrials` trials.
    ///
    /// The first stage runs `config.trials` trials (capped at the maximum). After each stage the trials
    /// the least precise metric needs are predicted by the 1/√trials law (`Convergence.trialsNeeded`),
    /// raised by a tenth so that the next check is not a coin toss, and at least doubled; the next stage
    /// runs only the blocks the run does not have yet. Blocks are seeded by their index, so the final
    /// results are exactly those of a plain run with the final trial count (the reproduce command says
    /// `--trials` with that count). A last block cut short by an earlier stage is run again whole.
    /// - Throws: as `run`.
    public static func run(_ plan: RunPlan, _ config: RunConfiguration, precision target: PrecisionTarget, progress: Progress? = nil,
                           cancellation: CancellationFlag? = nil) throws(DealcastError) -> RunResults {
        var config = config
        config.trials = min(config.trials, target.maxTrials)
        let keys = plan.convergenceMetrics
        var (store, elapsed) = try simulate(plan, config, blocks: 0 ..< config.blocks, progress: progress, cancellation: cancellation)
        var stages = [config.trials]
        while true {
            let checked = keys.map { key -> (key: String, convergence: Convergence?) in
                let m = store.metricIndex[key]!
                return (key, store.withValues(m) { Convergence.of($0, summary: store.summary(metric: m), blockSize: config.blockSize) })
            }
            let outcome = PrecisionOutcome(target: target, stages: stages,
                                           achieved: checked.map { .init(key: $0.key, relativeHalfWidth: $0.convergence?.mean.relativeHalfWidth ?? .infinity) })
            if outcome.met || config.trials >= target.maxTrials {
                let results = RunResults(plan: plan, config: config, store: store, wallSeconds: elapsed)
                results.precision = outcome
                return results
            }
            // The trials the least precise metric needs (a metric without an estimate yet needs more than twice as many).
            let needed = checked.map { c -> Int in
                guard let conv = c.convergence, let n = conv.trialsNeeded(for: target.relativeHalfWidth, blockSize: config.blockSize) else { return Int.max / 4 }
                return Int((Double(n) * 1.1).rounded(.up))
            }.max()!
            let next = min(target.maxTrials, max(needed, 2 * config.trials))
            let keptBlocks = config.trials / config.blockSize  // whole blocks already run
            var grown = config
            grown.trials = next
            let extended = try store.keepingWholeBlocks(grownTo: next, plan: plan, config: config)
            let (filled, seconds) = try simulate(plan, grown, blocks: keptBlocks ..< grown.blocks, progress: progress, cancellation: cancellation,
                                                 into: extended)
            store = filled
            elapsed += seconds
            config = grown
            stages.append(next)
        }
    }
}

extension ResultStore {
    /// A store of `trials` trials of the run (from trial 0) holding this store's whole blocks: their
    /// metric rows, block statistics and histogram counts. A last block that `config` (the run this
    /// store holds) cut short is left out: its values are drawn again and taken back out of the
    /// histograms, so that the grown run can run it whole.
    /// - Throws: as `Engine.run`, should the cut block fail this time (it did not the first).
    func keepingWholeBlocks(grownTo trials: Int, plan: RunPlan, config: RunConfiguration) throws(DealcastError) -> ResultStore {
        precondition(firstTrial == 0 && trials >= self.trials)
        let whole = self.trials / blockSize
        let grown = ResultStore(layout: layout, trials: trials, blockSize: blockSize)
        for (to, from) in zip(grown.columns(from: 0, count: whole * blockSize), columns(from: 0, count: whole * blockSize)) { to.copy(from: from) }
        let statistics = whole * layout.summarised * Self.statisticsPerBlock
        _ = UnsafeMutableBufferPointer(rebasing: grown.blockStatistics[0 ..< statistics])
            .update(fromContentsOf: blockStatistics[0 ..< statistics])
        for (to, from) in zip(grown.histograms, histograms) { to.add(from) }
        if whole < blocks {
            let frame = BlockFrame(layout: layout, capacity: blockSize)
            let scratch = SamplerScratch(inputs: plan.inputs.count, blockSize: blockSize)
            defer { scratch.free() }
            try Engine.runBlock(whole, plan, config, frame, scratch)
            for (c, h) in grown.histograms.enumerated() { h.remove(UnsafeBufferPointer(frame.cell(c))) }
        }
        return grown
    }
}
