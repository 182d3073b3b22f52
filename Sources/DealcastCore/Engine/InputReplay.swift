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
        guard !range.isEmpty else { return [] }
        let size = config.blockSize, total = config.trials
        let blocks = range.lowerBound / size ..< (range.upperBound + size - 1) / size
        var out = [Double](repeating: 0, count: range.count)
        let sampler = Sampler(inputs: plan.inputs, correlation: plan.correlation, config: config)
        let inputCount = plan.inputs.count
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let target = buffer
            let workers = max(1, min(threads, blocks.count))
            let body: @Sendable (Int) -> Void = { w in
                let scratch = SamplerScratch(inputs: inputCount, blockSize: size)
                let column = UnsafeMutableBufferPointer<Double>.allocate(capacity: size)
                defer { scratch.free(); column.deallocate() }
                for b in stride(from: blocks.lowerBound + w, to: blocks.upperBound, by: workers) {
                    let first = b * size, n = Swift.min(size, total - first)
                    let drawn = UnsafeMutableBufferPointer(rebasing: column[0 ..< n])
                    sampler.replay(input: j, block: b, into: drawn, scratch: scratch)
                    let from = Swift.max(first, range.lowerBound), to = Swift.min(first + n, range.upperBound)
                    for t in from ..< to { target[t - range.lowerBound] = drawn[t - first] }
                }
            }
            if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
        }
        return out
    }
}
