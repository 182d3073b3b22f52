import Dispatch

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

    /// Spearman rank correlations and contributions to variance of a metric against every uncertain
    /// input, strongest first.
    public func sensitivity(_ key: String) -> Sensitivity? {
        if let cached = sensitivityCache[key] { return cached }
        guard let m = store.metricIndex[key] else { return nil }
        let columns = store.inputColumns.keys.sorted()
        let s = Sensitivity.compute(metric: store.values(m), inputRanks: inputRanks) { UnsafeBufferPointer(self.store.inputColumns[columns[$0]]!) }
        sensitivityCache[key] = s
        return s
    }

    private var sensitivityCache: [String: Sensitivity] = [:]

    /// Ranks of every uncertain input's draws, computed on first use, inputs in parallel.
    private lazy var inputRanks: [(String, [Double])] = {
        let columns = store.inputColumns.keys.sorted()
        let out = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: columns.count)
        out.initialize(repeating: [])
        defer { out.deinitialize(); out.deallocate() }
        let store = self.store
        nonisolated(unsafe) let target = out
        DispatchQueue.concurrentPerform(iterations: columns.count) { i in
            target[i] = Sensitivity.ranks(UnsafeBufferPointer(store.inputColumns[columns[i]]!))
        }
        return columns.enumerated().map { (plan.inputs[$1].path, out[$0]) }
    }()

    /// Every trial's draw of an uncertain input, in trial order (nil for fixed or unknown inputs).
    public func inputValues(_ path: String) -> [Double]? {
        guard let j = plan.inputs.firstIndex(where: { $0.path == path }), let c = store.inputColumns[j] else { return nil }
        return Array(c)
    }

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
