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
    /// What `--precision` did, when the run was asked for one (`Engine.run(_:_:precision:)`).
    public internal(set) var precision: PrecisionOutcome?
    /// One-at-a-time swings and, on request, Sobol indices (`oneAtATime`, `sobolIndices`; docs/sensitivity.md).
    let analyses = SensitivityAnalyses()
    let store: ResultStore

    init(plan: RunPlan, config: RunConfiguration, store: ResultStore, wallSeconds: Double) {
        self.plan = plan
        self.config = config
        self.store = store
        self.wallSeconds = wallSeconds
        // Every metric's summary, columns in parallel on `config.threads` workers (each summary is
        // computed on its own, so the numbers do not depend on the threads); series cells are
        // summarised from their block statistics and histograms.
        let columns = store.metrics.count
        let summaries = UnsafeMutableBufferPointer<Summary>.allocate(capacity: max(1, columns))
        defer { summaries.deallocate() }
        nonisolated(unsafe) let out = summaries
        let workers = max(1, min(config.threads, columns))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for c in stride(from: w, to: columns, by: workers) { (out.baseAddress! + c).initialize(to: store.summary(metric: c)) }
        }
        var metrics: [Metric] = [], series: [Series] = []
        for (i, m) in plan.modules.enumerated() {
            for spec in m.metrics {
                let key = m.key(spec.name)
                metrics.append(Metric(key: key, module: m.id, spec: spec, summary: summaries[store.metricIndex[key]!]))
            }
            for spec in m.series {
                let key = m.key(spec.name)
                let s = store.layout.series[store.layout.seriesIndex[key]!]
                var summary = SeriesSummary()
                for p in 0 ..< s.periods { summary.append(store.summary(cell: s.firstCell + p)) }
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
    ///
    /// The first call computes, in one pass over the inputs, the metric asked for and every headline
    /// metric (the ones the report asks for), so that no input is ranked twice and no input's ranks are
    /// kept (`Sensitivity.compute(metrics:inputs:)`); later calls for those metrics are free.
    ///
    /// Over the first `sensitivityTrials` trials (all of them up to 262 144).
    public func sensitivity(_ key: String) -> Sensitivity? {
        if let cached = sensitivityCache[key] { return cached }
        guard store.metricIndex[key] != nil else { return nil }
        var keys = [key]
        for m in metrics where m.spec.headline && m.key != key && sensitivityCache[m.key] == nil { keys.append(m.key) }
        let uncertain = plan.uncertainInputIndices
        let n = sensitivityTrials
        let columns = keys.map { key in
            let copy = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, n))
            _ = copy.initialize(fromContentsOf: store.values(store.metricIndex[key]!, trials: 0 ..< n))
            return copy
        }
        defer { columns.forEach { $0.deallocate() } }
        let cuts = uncertain.map { j in
            let d = plan.inputs[j].value.distribution
            return (low: d.quantile(Self.driverTenth), high: d.quantile(1 - Self.driverTenth))
        }
        let computed = Sensitivity.compute(metrics: columns.map { UnsafeBufferPointer(rebasing: $0[0 ..< n]) },
                                           inputs: uncertain.map { plan.inputs[$0].path }, cuts: cuts) { i in
            self.replay(input: uncertain[i], trials: 0 ..< n, threads: 1)
        }
        for (k, s) in zip(keys, computed) { sensitivityCache[k] = s }
        return computed[0]
    }

    private var sensitivityCache: [String: Sensitivity] = [:]

    /// Where the drivers' tornado cuts each input: at its distribution's 10th and 90th percentiles
    /// (`Sensitivity.Entry.meanIfLow`, `meanIfHigh`).
    public static let driverTenth = 0.1

    /// Most trials the rank correlations and the tornado's drivers are computed on: 64 blocks. Under
    /// independence the standard error of a Spearman ρ over n trials is about 1/√(n − 1), 0.002 here,
    /// below the three decimals the report shows; ranking every input over 10⁷ trials instead cost
    /// most of a run's time after the engine (docs/engine.md, "Statistics").
    public static let sensitivityTrialLimit = 262_144

    /// The trials the rank correlations and drivers are computed on: the run's first
    /// min(trials, `sensitivityTrialLimit`), whole blocks, the same at any thread or shard count.
    public var sensitivityTrials: Int { min(config.trials, Self.sensitivityTrialLimit) }

    /// Standard errors and 95% confidence intervals of a metric's mean, p5 and p95, by batch means over
    /// the run's blocks (`Convergence`). Nil for an unknown metric or a run too small to batch.
    public func convergence(_ key: String) -> Convergence? {
        if let cached = convergenceCache[key] { return cached }
        guard let m = store.metricIndex[key], let summary = metric(key)?.summary else { return nil }
        let c = store.withValues(m) { Convergence.of($0, summary: summary, blockSize: config.blockSize) }
        convergenceCache[key] = .some(c)
        return c
    }

    private var convergenceCache: [String: Convergence?] = [:]

    /// Every trial's draw of an uncertain input, in trial order (nil for fixed or unknown inputs),
    /// replayed from the run's streams (`replay(input:trials:threads:)`): the engine does not keep them.
    public func inputValues(_ path: String) -> [Double]? {
        guard let j = uncertainInputIndex(path) else { return nil }
        return replay(input: j, trials: 0 ..< config.trials, threads: config.threads)
    }

    /// The index in `plan.inputs` of the uncertain input at `path`, nil for a fixed or unknown one.
    func uncertainInputIndex(_ path: String) -> Int? {
        plan.inputs.firstIndex { $0.path == path && !$0.value.distribution.isFixed }
    }

    public func series(_ key: String) -> Series? { series.first { $0.key == key } }

    /// Every trial's value of a metric, in trial order.
    /// Metrics outside `RunPlan.exactMetrics` are kept, and so returned, at single precision.
    public func values(_ key: String) -> [Double]? {
        store.metricIndex[key].map { store.values($0) }
    }

    /// Whether the run keeps metric `key`'s trials in double precision (`RunPlan.exactMetrics`); the
    /// others' values are single-precision numbers (nil for an unknown key).
    public func keepsInDoublePrecision(_ key: String) -> Bool? {
        store.metricIndex[key].map { store.layout.exact[$0] }
    }
}
