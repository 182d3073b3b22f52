/// One block of trials as a module sees it: input columns, earlier modules' metrics and series, its
/// own outputs and its random stream. Valid only during `ModuleEvaluator.evaluate`.
///
/// Everything here is in double precision: the block's outputs live in the worker's `BlockFrame` until
/// every module has run, and only then does the store keep what a run keeps (`ResultStore.commit`).
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
    let frame: BlockFrame

    init(count: Int, blockIndex: Int, firstTrial: Int, stream: RandomStream, moduleID: String,
         inputs: UnsafeMutableBufferPointer<Double>, frame: BlockFrame) {
        self.count = count
        self.blockIndex = blockIndex
        self.firstTrial = firstTrial
        self.stream = stream
        self.moduleID = moduleID
        self.inputs = inputs
        self.frame = frame
    }

    /// The sampled values of an input, one per trial.
    public func input(_ h: InputHandle) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(rebasing: inputs[h.index * count ..< (h.index + 1) * count])
    }

    /// An earlier module's metric (declared in `reads`), one value per trial.
    public func metric(_ key: String) -> UnsafeBufferPointer<Double> {
        guard let m = frame.layout.metricIndex[key] else { preconditionFailure("\(moduleID) reads undeclared metric \(key)") }
        return UnsafeBufferPointer(frame.metric(m))
    }

    /// This module's output column for `metric`, to be filled for every trial.
    public func output(_ metric: String) -> UnsafeMutableBufferPointer<Double> {
        guard let m = frame.layout.metricIndex["\(moduleID).\(metric)"] else { preconditionFailure("\(moduleID) writes undeclared metric \(metric)") }
        return frame.metric(m)
    }

    /// Number of periods of this module's series `name`.
    public func periods(_ name: String) -> Int {
        frame.layout.series[frame.layout.seriesIndex["\(moduleID).\(name)"]!].periods
    }

    /// This module's output column for `series` in `period` (0-based), to be filled for every trial.
    public func output(_ series: String, period: Int) -> UnsafeMutableBufferPointer<Double> {
        guard let s = frame.layout.seriesIndex["\(moduleID).\(series)"] else { preconditionFailure("\(moduleID) writes undeclared series \(series)") }
        return frame.cell(frame.layout.series[s].firstCell + period)
    }

    /// An earlier module's series value column for `period`.
    public func series(_ key: String, period: Int) -> UnsafeBufferPointer<Double> {
        guard let s = frame.layout.seriesIndex[key] else { preconditionFailure("\(moduleID) reads undeclared series \(key)") }
        return UnsafeBufferPointer(frame.cell(frame.layout.series[s].firstCell + period))
    }
}
