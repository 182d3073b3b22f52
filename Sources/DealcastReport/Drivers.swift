import DealcastCore

/// What moves a metric, in the metric's own units: for each of its strongest inputs, the metric's
/// mean over the trials where the input was drawn in its lowest tenth, and in its highest tenth.
///
/// This is the "change in output mean" tornado of @RISK, next to Crystal Ball's rank correlations
/// (`RunResults.sensitivity`): it reads in dollars, and it shows a driver whose effect is not
/// monotonic as a short bar rather than hiding it.
public struct Driver: Sendable, Equatable {
    /// The input's field path.
    public let input: String
    /// Spearman rank correlation of the input with the metric.
    public let spearman: Double
    /// Mean of the metric over the trials whose draw of the input is at or below the input
    /// distribution's 10th percentile.
    public let meanIfLow: Double
    /// Mean of the metric over the trials whose draw is at or above the 90th percentile.
    public let meanIfHigh: Double

    /// How far the metric's mean moves between the input's low and high tenths.
    public var swing: Double { abs(meanIfHigh - meanIfLow) }

    /// The drivers of `key` among its `top` strongest inputs by |ρ|, largest swing first.
    ///
    /// The tenths are cut at the input distribution's own 10th and 90th percentiles (its inverse CDF),
    /// so no sort is needed; the means are taken in the rank-correlation pass, while each input's draws
    /// are at hand (`Sensitivity.Entry.meanIfLow`, `meanIfHigh`). Trials where the metric is undefined
    /// are left out. Over the trials the rank correlations use (`RunResults.sensitivityTrials`).
    public static func of(_ results: RunResults, metric key: String, top: Int = 10) -> [Driver] {
        guard let sensitivity = results.sensitivity(key) else { return [] }
        let out = sensitivity.entries.prefix(top).compactMap { entry -> Driver? in
            guard let low = entry.meanIfLow, let high = entry.meanIfHigh else { return nil }
            return Driver(input: entry.input, spearman: entry.spearman, meanIfLow: low, meanIfHigh: high)
        }
        return out.sorted { $0.swing != $1.swing ? $0.swing > $1.swing : $0.input < $1.input }
    }
}
