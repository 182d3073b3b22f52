/// The outputs a plan's modules produce, and where each lives: metrics by index, series as cells (one
/// per period of each series, series after series).
struct OutputLayout: Sendable {
    struct Series: Sendable {
        let key: String
        let periods: Int
        /// The cell of its first period; period p is cell `firstCell + p`.
        let firstCell: Int
    }

    let metricKeys: [String]
    let metricIndex: [String: Int]
    /// Whether the store keeps metric m in double precision (otherwise single): `RunPlan.exactMetrics`.
    let exact: [Bool]
    let series: [Series]
    let seriesIndex: [String: Int]
    /// Cells in all: periods summed over the series.
    let cells: Int
    /// The columns the store summarises block by block (`ResultStore.blockStatistics`): the metrics kept
    /// in single precision, in order, then the cells. Metric m's slot, nil for an exact metric.
    let slot: [Int?]
    /// Columns summarised block by block: single-precision metrics and cells.
    let summarised: Int

    /// Cell c's slot among the columns summarised block by block.
    func slot(cell c: Int) -> Int { summarised - cells + c }

    init(metricKeys: [String], exactMetrics: Set<String>, series: [(key: String, periods: Int)]) {
        self.metricKeys = metricKeys
        metricIndex = Dictionary(uniqueKeysWithValues: metricKeys.enumerated().map { ($1, $0) })
        exact = metricKeys.map(exactMetrics.contains)
        var laid: [Series] = [], cells = 0
        for s in series {
            laid.append(Series(key: s.key, periods: s.periods, firstCell: cells))
            cells += s.periods
        }
        self.series = laid
        seriesIndex = Dictionary(uniqueKeysWithValues: laid.enumerated().map { ($1.key, $0) })
        self.cells = cells
        var slots: [Int?] = [], next = 0
        for e in exact {
            slots.append(e ? nil : next)
            if !e { next += 1 }
        }
        slot = slots
        summarised = next + cells
    }

    /// Every metric and series of `plan`'s modules, in module order, then declaration order.
    init(plan: RunPlan) {
        var metricKeys: [String] = [], series: [(String, Int)] = []
        for (i, m) in plan.modules.enumerated() {
            metricKeys += m.metrics.map { m.key($0.name) }
            series += m.series.map { (m.key($0.name), plan.index(module: i, series: $0).count) }
        }
        self.init(metricKeys: metricKeys, exactMetrics: Set(plan.exactMetrics), series: series)
    }
}

extension RunPlan {
    /// The metrics the store keeps in double precision: those analysed trial by trial after the run
    /// (rank correlations, convergence, `--precision`), which are the headline metrics, or every metric
    /// when no module marks one. The others are kept in single precision (docs/engine.md, "What a run
    /// keeps").
    public var exactMetrics: [String] { convergenceMetrics }
}

/// Every output of one block of trials in double precision, as the modules write and read them: a
/// worker's scratch, reused from block to block. `ResultStore.commit` then keeps what the run keeps.
final class BlockFrame {
    let layout: OutputLayout
    /// Most trials a block holds.
    let capacity: Int
    /// Trials in the current block.
    var count = 0
    /// Metric m's values at m · capacity.
    private let metricValues: UnsafeMutableBufferPointer<Double>
    /// Cell c's values at c · capacity.
    private let cellValues: UnsafeMutableBufferPointer<Double>

    init(layout: OutputLayout, capacity: Int) {
        self.layout = layout
        self.capacity = capacity
        metricValues = .allocate(capacity: max(1, layout.metricKeys.count * capacity))
        metricValues.initialize(repeating: .nan)
        cellValues = .allocate(capacity: max(1, layout.cells * capacity))
        cellValues.initialize(repeating: .nan)
    }

    deinit {
        metricValues.deallocate()
        cellValues.deallocate()
    }

    /// Metric m's values in the current block.
    func metric(_ m: Int) -> UnsafeMutableBufferPointer<Double> {
        UnsafeMutableBufferPointer(rebasing: metricValues[m * capacity ..< m * capacity + count])
    }

    /// Cell c's values (one period of one series) in the current block.
    func cell(_ c: Int) -> UnsafeMutableBufferPointer<Double> {
        UnsafeMutableBufferPointer(rebasing: cellValues[c * capacity ..< c * capacity + count])
    }

    /// Sets every output of `module` to NaN, so that a value the module fails to write
    /// is caught as non-finite instead of leaking from the previous block.
    func clearOutputs(of module: ModuleDescriptor) {
        for spec in module.metrics { metric(layout.metricIndex[module.key(spec.name)]!).update(repeating: .nan) }
        for spec in module.series {
            let s = layout.series[layout.seriesIndex[module.key(spec.name)]!]
            for p in 0 ..< s.periods { cell(s.firstCell + p).update(repeating: .nan) }
        }
    }

    /// Copies the outputs of modules `indices` of `plan` from `source`, a frame of the same layout
    /// holding as many trials.
    func copyOutputs(of indices: [Int], in plan: RunPlan, from source: BlockFrame) {
        precondition(source.count == count)
        for i in indices {
            let m = plan.modules[i]
            for spec in m.metrics {
                let c = layout.metricIndex[m.key(spec.name)]!
                _ = metric(c).update(fromContentsOf: source.metric(c))
            }
            for spec in m.series {
                let s = layout.series[layout.seriesIndex[m.key(spec.name)]!]
                for p in 0 ..< s.periods { _ = cell(s.firstCell + p).update(fromContentsOf: source.cell(s.firstCell + p)) }
            }
        }
    }
}

extension BlockFrame {
    /// The index of the first value of `values` that is not finite (NaN or ±∞), or nil if all are.
    ///
    /// `Engine.evaluate` checks every output of every block with this, after `clearOutputs` has set
    /// them to NaN, so that a trial a module fails to write is caught. x − x is +0 for every finite x
    /// and NaN for NaN and ±∞, so a sum of x − x over a stretch of values is 0 exactly when all of
    /// them are finite. The scan adds those differences eight at a time into two four-lane vector
    /// sums (vector subtractions and additions, no branch per value) over chunks of 256 values, and
    /// searches value by value only a chunk whose sum is not 0. `firstIndex(where: { !$0.isFinite })`
    /// took a compare and a branch per value.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Double>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base), count = values.count
        var start = 0
        while start < count {
            let end = Swift.min(count, start + 256)
            var i = start
            var a = SIMD4<Double>(), b = SIMD4<Double>()
            while i + 8 <= end {
                let x = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
                let y = raw.loadUnaligned(fromByteOffset: (i + 4) * 8, as: SIMD4<Double>.self)
                a += x - x
                b += y - y
                i += 8
            }
            var rest = 0.0
            while i < end {
                rest += base[i] - base[i]
                i += 1
            }
            if ((a + b).sum() + rest) != 0 {
                for k in start ..< end where !base[k].isFinite { return k }
            }
            start = end
        }
        return nil
    }
}
