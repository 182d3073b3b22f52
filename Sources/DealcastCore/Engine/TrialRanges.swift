extension RunResults {
    /// Some trials of a metric, in trial order, for readers that stream a run in chunks (such as the
    /// per-trial samples export) instead of copying whole columns.
    /// - Returns: nil for an unknown key. The range must lie within the run's trials.
    public func values(_ key: String, trials range: Range<Int>) -> [Double]? {
        store.metricIndex[key].map { store.values($0, trials: range) }
    }

    /// Some trials of an uncertain input's draws, in trial order (nil for fixed or unknown inputs),
    /// replayed from the run's streams (`inputValues(_:)`).
    public func inputValues(_ path: String, trials range: Range<Int>) -> [Double]? {
        guard let j = uncertainInputIndex(path) else { return nil }
        return replay(input: j, trials: range, threads: config.threads)
    }
}
