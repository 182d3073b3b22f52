/// One block of trials as a module sees it: input columns, earlier modules' metrics, its own outputs
/// and its random stream. Valid only during `ModuleEvaluator.evaluate`.
public final class BlockContext {
    /// Trials in this block.
    public let count: Int
    /// Index of the block in the run.
    public let blockIndex: Int
    /// Index of the block's first trial in the run.
    public let firstTrial: Int
    /// The module's random stream for this block, seeded from (run seed, block, module id).
    public let stream: RandomStream

    let moduleID: String
    let inputs: UnsafeMutableBufferPointer<Double>  // input-major: column j at j * count
    let store: ResultStore
    /// The module's series outputs for this block in double precision, period-major per series, until
    /// `storeSeries()` rounds them into the store (which keeps series in single precision).
    private let seriesOutputs: UnsafeMutableBufferPointer<Double>
    /// Where each of the module's series (by store index) starts in `seriesOutputs`.
    private let seriesOffsets: [Int: Int]
    /// Earlier modules' series periods read during this block, widened to double.
    private var widened: [UnsafeMutableBufferPointer<Double>] = []

    init(count: Int, blockIndex: Int, firstTrial: Int, stream: RandomStream, moduleID: String,
         inputs: UnsafeMutableBufferPointer<Double>, store: ResultStore) {
        self.count = count
        self.blockIndex = blockIndex
        self.firstTrial = firstTrial
        self.stream = stream
        self.moduleID = moduleID
        self.inputs = inputs
        self.store = store
        var offsets: [Int: Int] = [:], total = 0
        for (s, column) in store.series.enumerated() where column.key.hasPrefix(moduleID + ".") {
            offsets[s] = total
            total += column.periods * count
        }
        seriesOffsets = offsets
        seriesOutputs = .allocate(capacity: max(1, total))
        seriesOutputs.initialize(repeating: .nan)
    }

    deinit {
        seriesOutputs.deallocate()
        widened.forEach { $0.deallocate() }
    }

    /// Rounds the module's series outputs of this block into the store (single precision).
    func storeSeries() {
        for (s, offset) in seriesOffsets {
            for p in 0 ..< store.series[s].periods {
                let from = seriesOutputs.baseAddress! + offset + p * count
                let to = store.seriesSlice(s, period: p, from: firstTrial, count: count)
                for i in 0 ..< count { to[i] = Float(from[i]) }
            }
        }
    }

    /// The sampled values of an input, one per trial.
    public func input(_ h: InputHandle) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(rebasing: inputs[h.index * count ..< (h.index + 1) * count])
    }

    /// An earlier module's metric (declared in `reads`), one value per trial.
    public func metric(_ key: String) -> UnsafeBufferPointer<Double> {
        guard let m = store.metricIndex[key] else { preconditionFailure("\(moduleID) reads undeclared metric \(key)") }
        return UnsafeBufferPointer(store.metricSlice(m, from: firstTrial, count: count))
    }

    /// This module's output column for `metric`, to be filled for every trial.
    public func output(_ metric: String) -> UnsafeMutableBufferPointer<Double> {
        guard let m = store.metricIndex["\(moduleID).\(metric)"] else { preconditionFailure("\(moduleID) writes undeclared metric \(metric)") }
        return store.metricSlice(m, from: firstTrial, count: count)
    }

    /// Number of periods of this module's series `name`.
    public func periods(_ name: String) -> Int {
        store.series[store.seriesIndex["\(moduleID).\(name)"]!].periods
    }

    /// This module's output column for `series` in `period` (0-based), to be filled for every trial.
    /// Series are kept in single precision after the block (7 significant digits; docs/engine.md).
    public func output(_ series: String, period: Int) -> UnsafeMutableBufferPointer<Double> {
        guard let s = store.seriesIndex["\(moduleID).\(series)"], let offset = seriesOffsets[s] else {
            preconditionFailure("\(moduleID) writes undeclared series \(series)")
        }
        return UnsafeMutableBufferPointer(rebasing: seriesOutputs[offset + period * count ..< offset + (period + 1) * count])
    }

    /// An earlier module's series value column for `period`.
    public func series(_ key: String, period: Int) -> UnsafeBufferPointer<Double> {
        guard let s = store.seriesIndex[key] else { preconditionFailure("\(moduleID) reads undeclared series \(key)") }
        let stored = store.seriesSlice(s, period: period, from: firstTrial, count: count)
        let column = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        for i in 0 ..< count { column[i] = Double(stored[i]) }
        widened.append(column)
        return UnsafeBufferPointer(column)
    }
}

/// Every trial's value of every metric and series of a run, in columns. The inputs' draws are not kept:
/// they are replayed from their streams when an analysis needs them (`RunResults.inputValues`).
///
/// Each block writes only its own rows, so blocks can run on any thread in any order and the store
/// ends up the same. A shard's store holds only its own trials, [firstTrial, firstTrial + trials);
/// slices are addressed by the trial's index in the whole run either way.
final class ResultStore: @unchecked Sendable {
    struct SeriesColumn {
        let key: String
        let periods: Int
        /// Single precision: series are most of a run's columns, and their statistics (percentile bands,
        /// means) need no more than the 7 significant digits a Float keeps. Period-major: period p at p * trials.
        let storage: UnsafeMutableBufferPointer<Float>
    }

    /// Trials held.
    let trials: Int
    /// Index in the run of the first trial held (0 unless the store holds one shard's trials).
    let firstTrial: Int
    let metricKeys: [String]
    let metricIndex: [String: Int]
    let metrics: [UnsafeMutableBufferPointer<Double>]
    let series: [SeriesColumn]
    let seriesIndex: [String: Int]

    init(trials: Int, firstTrial: Int = 0, metricKeys: [String], series: [(String, Int)]) {
        self.firstTrial = firstTrial
        self.trials = trials
        self.metricKeys = metricKeys
        var mi: [String: Int] = [:]
        for (i, k) in metricKeys.enumerated() { mi[k] = i }
        metricIndex = mi
        metrics = metricKeys.map { _ in
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: trials)
            b.initialize(repeating: .nan)
            return b
        }
        var si: [String: Int] = [:]
        self.series = series.enumerated().map { i, s in
            si[s.0] = i
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: trials * s.1)
            b.initialize(repeating: .nan)
            return SeriesColumn(key: s.0, periods: s.1, storage: b)
        }
        seriesIndex = si
    }

    deinit {
        metrics.forEach { $0.deallocate() }
        series.forEach { $0.storage.deallocate() }
    }

    /// The columns a run of `plan` keeps, for its trials [firstTrial, firstTrial + trials): every
    /// metric and series of the plan's modules.
    convenience init(plan: RunPlan, firstTrial: Int = 0, trials: Int) {
        var metricKeys: [String] = [], seriesKeys: [(String, Int)] = []
        for (i, m) in plan.modules.enumerated() {
            metricKeys += m.metrics.map { m.key($0.name) }
            seriesKeys += m.series.map { (m.key($0.name), plan.index(module: i, series: $0).count) }
        }
        self.init(trials: trials, firstTrial: firstTrial, metricKeys: metricKeys, series: seriesKeys)
    }

    /// Metric `m`'s values of run trials [from, from + count).
    func metricSlice(_ m: Int, from: Int, count: Int) -> UnsafeMutableBufferPointer<Double> {
        let base = from - firstTrial
        return UnsafeMutableBufferPointer(rebasing: metrics[m][base ..< base + count])
    }

    /// Series `s`'s values in `period` of run trials [from, from + count).
    func seriesSlice(_ s: Int, period: Int, from: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        let base = period * trials + from - firstTrial
        return UnsafeMutableBufferPointer(rebasing: series[s].storage[base ..< base + count])
    }

    /// All trials of a metric, read-only.
    func values(_ m: Int) -> UnsafeBufferPointer<Double> { UnsafeBufferPointer(metrics[m]) }

    /// All trials of one period of a series, widened to double.
    func values(series s: Int, period: Int) -> [Double] {
        seriesSlice(s, period: period, from: firstTrial, count: trials).map(Double.init)
    }

    /// A stored column: metrics in double precision, series periods in single precision.
    enum Column {
        case double(UnsafeMutableBufferPointer<Double>)
        case single(UnsafeMutableBufferPointer<Float>)

        /// Copies `other`'s values (of the same kind and length) into this column.
        func copy(from other: Column) {
            switch (self, other) {
            case (.double(let to), .double(let from)): _ = to.update(fromContentsOf: from)
            case (.single(let to), .single(let from)): _ = to.update(fromContentsOf: from)
            default: preconditionFailure("columns of different kinds")
            }
        }
    }
}
