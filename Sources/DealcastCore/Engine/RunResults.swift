/// The outcome of a run: every metric's trials and their statistics, with what produced them.
public final class RunResults: @unchecked Sendable {
    public struct Metric: Sendable {
        /// `<module>.<metric>`
        public let key: String
        public let module: String
        public let spec: MetricSpec
        public let summary: Summary
    }

    public struct Series: Sendable {
        public let key: String
        public let module: String
        public let spec: SeriesSpec
        /// Period labels.
        public let index: [String]
        public let summary: SeriesSummary
    }

    public let plan: RunPlan
    public let config: RunConfiguration
    public let wallSeconds: Double
    /// In module order, then declaration order.
    public let metrics: [Metric]
    public let series: [Series]
    /// Tables each module computed from the results, by module id, in module order.
    public private(set) var tables: [(module: String, tables: [ModuleTable])] = []
    let store: ResultStore

    init(plan: RunPlan, config: RunConfiguration, store: ResultStore, wallSeconds: Double) {
        self.plan = plan
        self.config = config
        self.store = store
        self.wallSeconds = wallSeconds
        var metrics: [Metric] = [], series: [Series] = []
        for (i, m) in plan.modules.enumerated() {
            for spec in m.metrics {
                let key = m.key(spec.name)
                metrics.append(Metric(key: key, module: m.id, spec: spec, summary: Summary.of(store.values(store.metricIndex[key]!))))
            }
            for spec in m.series {
                let key = m.key(spec.name)
                let s = store.seriesIndex[key]!
                var summary = SeriesSummary()
                for p in 0 ..< store.series[s].periods { summary.append(Summary.of(store.values(series: s, period: p))) }
                series.append(Series(key: key, module: m.id, spec: spec, index: plan.index(module: i, series: spec), summary: summary))
            }
        }
        self.metrics = metrics
        self.series = series
        self.tables = plan.tables(self)
    }

    public func metric(_ key: String) -> Metric? { metrics.first { $0.key == key } }

    public func series(_ key: String) -> Series? { series.first { $0.key == key } }

    /// Every trial's value of a metric, in trial order.
    public func values(_ key: String) -> [Double]? {
        store.metricIndex[key].map { Array(store.values($0)) }
    }

    /// Every trial's value of one period of a series, in trial order.
    public func values(series key: String, period: Int) -> [Double]? {
        store.seriesIndex[key].map { Array(store.values(series: $0, period: period)) }
    }
}
