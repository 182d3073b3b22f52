/// What a run's sampling achieved, for the report and results.json.
extension RunResults {
    /// Which inputs were drawn how (Sobol coordinates, Latin hypercube fallback).
    public var samplingDesign: SamplingDesign { SamplingDesign(inputs: plan.inputs, method: config.sampling) }

    /// Every pair of correlated inputs with its achieved rank correlation: Spearman's ρ (ties given
    /// their average rank) over all trials of the run, in trial order. Empty without correlations.
    /// - Complexity: O(k·n log n + k²·n) for k correlated inputs and n trials.
    public func achievedRankCorrelations() -> [(pair: CorrelationPlan.Pair, achieved: Double)] {
        guard let c = plan.correlation else { return [] }
        let ranks = c.columns.map { j in replay(input: j, trials: 0 ..< config.trials, threads: config.threads).withUnsafeBufferPointer { Sensitivity.ranks($0) } }
        let index = Dictionary(uniqueKeysWithValues: c.paths.enumerated().map { ($1, $0) })
        return c.pairs.map { ($0, Sensitivity.pearson(ranks[index[$0.first]!], ranks[index[$0.second]!])) }
    }

    /// The standard error of a metric's mean estimated from the run's blocks as independent replicates.
    ///
    /// Every block is an independent replicate of the sampling design: its own Latin hypercube, its own
    /// randomly shifted Sobol net, its own correlation. With mᵦ the mean of block b over its nᵦ defined
    /// trials, N = Σ nᵦ, m = Σ nᵦ mᵦ / N (the run's mean) and B blocks with a defined trial,
    ///
    ///     SE² = B / (B − 1) · Σᵦ (nᵦ / N)² (mᵦ − m)²,
    ///
    /// which is s²/B, s² the sample variance of the block means, when blocks are of equal size. Unlike
    /// sd/√n it accounts for the variance reduction of `lhs` and `sobol`. `convergence(_:)` gives the same
    /// figure for runs of ten blocks or more, with intervals and percentiles.
    /// - Returns: nil for an unknown metric, or with fewer than two blocks holding a defined value.
    public func blockStandardError(_ key: String) -> Double? {
        guard let m = store.metricIndex[key] else { return nil }
        let values = store.values(m)
        var blocks: [(weight: Int, value: Double)] = []
        var first = 0
        while first < values.count {
            let end = min(first + config.blockSize, values.count)
            var n = 0, s = 0.0
            for i in first ..< end where !values[i].isNaN { n += 1; s += values[i] }
            if n > 0 { blocks.append((n, s / Double(n))) }
            first = end
        }
        return Convergence.batchStandardError(blocks)
    }
}
