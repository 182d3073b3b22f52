/// Observed values of a series, such as a segment's reported quarterly revenue: the history that a
/// forecast continues, drawn beside it in the report's fan chart.
public struct SeriesActuals: Sendable, Equatable {
    /// Period labels, in time order, in the series' own form ("2025Q4", "2025").
    public let index: [String]
    /// One observed value per period, in the series' unit.
    public let values: [Double]
    /// Where the values come from (a data file or a citation).
    public let source: String

    public init(index: [String], values: [Double], source: String) {
        precondition(index.count == values.count, "SeriesActuals: \(index.count) labels for \(values.count) values")
        self.index = index
        self.values = values
        self.source = source
    }
}

extension RunPlan {
    /// The observed values of series `key` (`<module>.<series>`), if its module publishes any.
    public func actuals(of key: String) -> SeriesActuals? {
        for (m, evaluator) in zip(modules, evaluators) {
            for spec in m.series where m.key(spec.name) == key { return evaluator.actuals(of: spec.name) }
        }
        return nil
    }
}
