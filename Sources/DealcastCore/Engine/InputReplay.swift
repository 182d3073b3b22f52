import Dispatch

extension RunResults {
    /// Input j's draws for run trials `range`, in trial order, drawn again from the run's streams.
    ///
    /// The engine does not keep the inputs' draws (at 59 uncertain inputs they would be a third of a
    /// run's memory): every block's draws are a function of (seed, block, input path) alone, so they can
    /// be replayed exactly, block by block, whenever an analysis needs them — the sensitivity ranks,
    /// the drivers, achieved correlations, the per-trial samples export, a comparison's check of common
    /// random numbers. An input outside the scenario's correlations costs its own draws only; a
    /// correlated one costs the whole block (`Sampler.replay`). The values are bit for bit those the
    /// modules read during the run (`InputReplayTests`).
    /// - Parameter threads: workers over the blocks (1 when the caller is already parallel).
    /// - Complexity: the input's share of the sampling cost for `range.count` trials.
    func replay(input j: Int, trials range: Range<Int>, threads: Int) -> [Double] {
        let sampler = Sampler(inputs: plan.inputs, correlation: plan.correlation, config: config)
        return replayed(trials: range, threads: threads, evaluates: false) { b, column, scratch, _ in
            sampler.replay(input: j, block: b, into: column, scratch: scratch)
        }
    }

    /// Every trial's value of one period of a series, in trial order, in double precision: the run
    /// keeps only the series' block statistics and histograms (docs/engine.md, "What a run keeps"), so
    /// the values are computed again, every block drawn and evaluated as the run did — the cost of the
    /// run itself. Nil for an unknown series or period.
    public func values(series key: String, period: Int) -> [Double]? {
        guard let s = store.layout.seriesIndex[key], (0 ..< store.layout.series[s].periods).contains(period) else { return nil }
        let cell = store.layout.series[s].firstCell + period
        let plan = self.plan, config = self.config
        return replayed(trials: 0 ..< config.trials, threads: config.threads, evaluates: true) { b, column, scratch, frame in
            let frame = frame!
            do throws(DealcastError) {
                try Engine.runBlock(b, plan, config, frame, scratch)
            } catch {
                // The run evaluated this block without error, and modules are deterministic.
                preconditionFailure("block \(b) failed when evaluated again: \(error.message)")
            }
            _ = column.update(fromContentsOf: frame.cell(cell))
        }
    }

    /// A column of run trials `range`, produced block by block by `produce`, which writes block b's
    /// values (all of its trials) into the column it is given, with a sampler scratch and, when it
    /// `evaluates` the modules, an output frame of its worker's (nil otherwise: a frame is megabytes).
    private func replayed(trials range: Range<Int>, threads: Int, evaluates: Bool,
                          _ produce: @escaping @Sendable (_ block: Int, _ column: UnsafeMutableBufferPointer<Double>, SamplerScratch, BlockFrame?) -> Void) -> [Double] {
        guard !range.isEmpty else { return [] }
        let size = config.blockSize, total = config.trials
        let blocks = range.lowerBound / size ..< (range.upperBound + size - 1) / size
        var out = [Double](repeating: 0, count: range.count)
        let inputCount = plan.inputs.count, layout = store.layout
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let target = buffer
            let workers = max(1, min(threads, blocks.count))
            let body: @Sendable (Int) -> Void = { w in
                let scratch = SamplerScratch(inputs: inputCount, blockSize: size)
                let frame = evaluates ? BlockFrame(layout: layout, capacity: size) : nil
                let column = UnsafeMutableBufferPointer<Double>.allocate(capacity: size)
                defer { scratch.free(); column.deallocate() }
                for b in stride(from: blocks.lowerBound + w, to: blocks.upperBound, by: workers) {
                    let first = b * size, n = Swift.min(size, total - first)
                    let produced = UnsafeMutableBufferPointer(rebasing: column[0 ..< n])
                    produce(b, produced, scratch, frame)
                    let from = Swift.max(first, range.lowerBound), to = Swift.min(first + n, range.upperBound)
                    for t in from ..< to { target[t - range.lowerBound] = produced[t - first] }
                }
            }
            if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
        }
        return out
    }
}
