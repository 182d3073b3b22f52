/// What a run keeps of its trials (docs/engine.md, "What a run keeps"):
///
/// - every trial of every metric, in columns: the `exact` ones (`RunPlan.exactMetrics`, those analysed
///   trial by trial) in double precision, the others in single precision (7 significant digits), with
///   each block's count, sum, sum of squared deviations, minimum and maximum in double precision, so that
///   their mean, standard deviation and range are exact;
/// - of every series period (a cell), no trial values but what its summary needs: the same block
///   statistics but the squared deviations, and a histogram of the values in bins of relative width 2⁻¹⁴ (`ValueHistogram`), from
///   which the percentile bands are read.
///
/// The inputs' draws are not kept either: they are replayed from their streams when an analysis needs
/// them (`RunResults.inputValues`), as a series' trial values are (`RunResults.values(series:period:)`).
///
/// Each block writes only its own rows and block statistics, and histogram counts add exactly, so
/// blocks can run on any thread in any order and the store ends up the same. A shard's store holds
/// only its own blocks, trials [firstTrial, firstTrial + trials); rows are addressed by the trial's
/// index in the whole run either way.
final class ResultStore: @unchecked Sendable {
    /// A metric column.
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

        func deallocate() {
            switch self {
            case .double(let b): b.deallocate()
            case .single(let b): b.deallocate()
            }
        }
    }

    /// A summarised column's statistics over one block, in the order `blockStatistics` stores them:
    /// count of defined values, their sum, the sum of their squared deviations from the block's mean,
    /// minimum, maximum.
    static let statisticsPerBlock = 5

    let layout: OutputLayout
    /// Trials held.
    let trials: Int
    /// Index in the run of the first trial held: a block boundary (0 unless the store holds one shard's trials).
    let firstTrial: Int
    let blockSize: Int
    /// Metric m's column, for the trials held.
    let metrics: [Column]
    /// Summarised column s's statistics (`statisticsPerBlock`) over held block b at
    /// (b · `layout.summarised` + s) · `statisticsPerBlock`: single-precision metrics, then cells.
    let blockStatistics: UnsafeMutableBufferPointer<Double>
    /// Cell c's histogram over every trial held.
    let histograms: [ValueHistogram]

    init(layout: OutputLayout, firstTrial: Int = 0, trials: Int, blockSize: Int) {
        precondition(firstTrial % blockSize == 0, "a store starts at a block boundary")
        self.layout = layout
        self.firstTrial = firstTrial
        self.trials = trials
        self.blockSize = blockSize
        // Not filled: every row is written before it is read (by `commit`, by a grown run's copy, or by
        // a merge's load of every block), and filling gigabytes up front cost the run a serial second
        // at 10⁷ trials. The memory is then touched by the workers that write it.
        metrics = layout.exact.map { exact in
            exact ? .double(.allocate(capacity: max(1, trials))) : .single(.allocate(capacity: max(1, trials)))
        }
        let blocks = (trials + blockSize - 1) / blockSize
        blockStatistics = .allocate(capacity: max(1, blocks * layout.summarised * Self.statisticsPerBlock))
        blockStatistics.initialize(repeating: .nan)
        histograms = (0 ..< layout.cells).map { _ in ValueHistogram() }
    }

    /// The store of `plan`'s outputs for its trials [firstTrial, firstTrial + trials).
    convenience init(plan: RunPlan, firstTrial: Int = 0, trials: Int, blockSize: Int) {
        self.init(layout: OutputLayout(plan: plan), firstTrial: firstTrial, trials: trials, blockSize: blockSize)
    }

    deinit {
        metrics.forEach { $0.deallocate() }
        blockStatistics.deallocate()
    }

    var metricKeys: [String] { layout.metricKeys }
    var metricIndex: [String: Int] { layout.metricIndex }
    /// Index in the run of the first block held.
    var firstBlock: Int { firstTrial / blockSize }
    /// Blocks held.
    var blocks: Int { (trials + blockSize - 1) / blockSize }

    // MARK: Writing

    /// Keeps what the run keeps of the block in `frame`, whose first trial is `first`: its metrics'
    /// rows, its summarised columns' block statistics, and its cells' values queued in `batches` (the
    /// worker's own, added to the store's histograms by `absorb` once the blocks are done).
    func commit(_ frame: BlockFrame, firstTrial first: Int, histograms batches: HistogramBatches) {
        let n = frame.count, row = first - firstTrial
        let block = row / blockSize
        for (m, column) in metrics.enumerated() {
            let values = frame.metric(m)
            switch column {
            case .double(let to):
                _ = UnsafeMutableBufferPointer(rebasing: to[row ..< row + n]).update(fromContentsOf: values)
            case .single(let to):
                for i in 0 ..< n { to[row + i] = Float(values[i]) }
                summarise(UnsafeBufferPointer(values), slot: layout.slot[m]!, block: block)
            }
        }
        for c in 0 ..< layout.cells {
            let values = UnsafeBufferPointer(frame.cell(c))
            summarise(values, slot: layout.slot(cell: c), block: block, deviations: false)
            batches.add(values, cell: c)
        }
    }

    /// Writes the block statistics of `values` (NaNs skipped) for column `slot` of held block `block`:
    /// two passes in trial order, so the numbers depend on nothing but the values. Without
    /// `deviations` (a series cell, whose standard deviation nothing reports) the squared deviations
    /// are not computed and stored as NaN.
    private func summarise(_ values: UnsafeBufferPointer<Double>, slot: Int, block: Int, deviations: Bool = true) {
        var n = 0, sum = 0.0, low = Double.infinity, high = -Double.infinity
        for v in values where !v.isNaN {
            n += 1
            sum += v
            if v < low { low = v }
            if v > high { high = v }
        }
        let mean = n > 0 ? sum / Double(n) : 0
        var squares = deviations ? 0.0 : .nan
        if deviations { for v in values where !v.isNaN { squares += (v - mean) * (v - mean) } }
        let at = (block * layout.summarised + slot) * Self.statisticsPerBlock
        blockStatistics[at] = Double(n)
        blockStatistics[at + 1] = sum
        blockStatistics[at + 2] = squares
        blockStatistics[at + 3] = low
        blockStatistics[at + 4] = high
    }

    /// Column `slot`'s count, mean, standard deviation (divisor n − 1), minimum and maximum over the
    /// blocks held, combined in block order: the mean from the blocks' sums, the squared deviations as
    /// Σ (Mᵦ + nᵦ (mᵦ − m)²), the exact decomposition of the total's.
    private func combined(slot: Int) -> (n: Int, mean: Double, sd: Double, min: Double, max: Double) {
        var n = 0.0, sum = 0.0, low = Double.infinity, high = -Double.infinity
        for b in 0 ..< blocks {
            let at = (b * layout.summarised + slot) * Self.statisticsPerBlock
            n += blockStatistics[at]
            sum += blockStatistics[at + 1]
            low = min(low, blockStatistics[at + 3])
            high = max(high, blockStatistics[at + 4])
        }
        guard n > 0 else { return (0, .nan, .nan, .nan, .nan) }
        let mean = sum / n
        // A constant column is that constant, whatever rounding the sums picked up.
        if low == high { return (Int(n), low, 0, low, high) }
        var squares = 0.0
        for b in 0 ..< blocks {
            let at = (b * layout.summarised + slot) * Self.statisticsPerBlock
            let count = blockStatistics[at]
            guard count > 0 else { continue }
            let d = blockStatistics[at + 1] / count - mean
            squares += blockStatistics[at + 2] + count * d * d
        }
        return (Int(n), mean, n > 1 ? (squares / (n - 1)).squareRoot() : 0, low, high)
    }

    /// Adds workers' histograms to the store's.
    func absorb(_ workers: [HistogramBatches]) {
        for w in workers {
            w.flush()
            for (c, h) in w.histograms.enumerated() { histograms[c].add(h) }
        }
    }

    // MARK: Reading

    /// Metric m's values of run trials `range` (all trials held when nil), in double precision.
    func values(_ m: Int, trials range: Range<Int>? = nil) -> [Double] {
        let local = range.map { ($0.lowerBound - firstTrial) ..< ($0.upperBound - firstTrial) } ?? 0 ..< trials
        switch metrics[m] {
        case .double(let b): return Array(b[local])
        case .single(let b): return b[local].map(Double.init)
        }
    }

    /// Calls `body` with metric m's values of every trial held, in double precision: the column itself
    /// when it is kept in double precision, a widened copy otherwise.
    func withValues<R>(_ m: Int, _ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        switch metrics[m] {
        case .double(let b): return try body(UnsafeBufferPointer(b))
        case .single(let b): return try b.map(Double.init).withUnsafeBufferPointer(body)
        }
    }

    /// Metric m's summary over the trials held. For a single-precision metric the percentiles are
    /// those of the stored values; its count, mean, standard deviation and range come from the block
    /// statistics, in double precision.
    func summary(metric m: Int) -> Summary {
        switch metrics[m] {
        case .double(let b):
            return Summary.of(UnsafeBufferPointer(b))
        case .single(let b):
            let c = combined(slot: layout.slot[m]!)
            var q = [Double](repeating: c.n > 0 ? c.min : .nan, count: Summary.percentiles.count)
            if c.n > 0 && c.min != c.max {
                var defined = [Double]()
                defined.reserveCapacity(c.n)
                for v in b where !v.isNaN { defined.append(Double(v)) }
                q = defined.withUnsafeMutableBufferPointer { OrderStatistics.quantiles(Summary.percentiles.map(\.1), of: $0) }
            }
            return Summary(n: c.n, undefined: trials - c.n, mean: c.mean, sd: c.sd, stderr: c.n > 0 ? c.sd / Double(c.n).squareRoot() : .nan,
                           min: c.min, max: c.max, p5: q[0], p25: q[1], p50: q[2], p75: q[3], p95: q[4])
        }
    }

    /// Cell c's mean, range and percentiles over the trials held: the mean from the blocks' sums, added in
    /// block order; the percentiles from its histogram, within 2⁻¹⁴ of the exact ones
    /// (`ValueHistogram.percentiles`).
    func summary(cell c: Int) -> Summary {
        let s = combined(slot: layout.slot(cell: c))
        let q = histograms[c].percentiles(Summary.percentiles.map(\.1), minimum: s.min, maximum: s.max)
        // No standard deviation: a series reports none, and its cells' blocks do not keep what it needs.
        return Summary(n: s.n, undefined: 0, mean: s.mean, sd: .nan, stderr: .nan,
                       min: s.min, max: s.max, p5: q[0], p25: q[1], p50: q[2], p75: q[3], p95: q[4])
    }
}
