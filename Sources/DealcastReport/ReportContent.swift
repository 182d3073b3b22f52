import DealcastCore

/// What the report derives from a run beyond each metric's statistics, computed once and shared by
/// report.md, report.html and results.json so that all three show the same numbers.
public struct ReportContent: Sendable {
    public let summary: ExecutiveSummary
    /// The drivers of each headline continuous metric that varies, by metric key.
    public let drivers: [String: [Driver]]
    /// The charts; empty when made without them.
    public let charts: [Chart]

    /// - Parameter charts: draw the charts (needed for report.md and report.html, not for results.json).
    public init(_ results: RunResults, charts: Bool = true) {
        summary = ExecutiveSummary(results)
        var drivers: [String: [Driver]] = [:]
        for m in results.metrics where Self.hasDrivers(m) {
            drivers[m.key] = Driver.of(results, metric: m.key)
        }
        self.drivers = drivers
        self.charts = charts ? ChartSet.make(results, drivers: drivers) : []
    }

    /// The metrics whose drivers the report analyses: headline, continuous, not constant.
    static func hasDrivers(_ m: RunResults.Metric) -> Bool {
        m.spec.headline && m.spec.kind == .continuous && m.summary.sd > 0
    }
}
