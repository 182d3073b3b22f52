/// Memory checks for sharded runs, made before any trial runs or any partial is read, with advice that
/// fits sharding (more shards; a bigger machine for the merge) rather than fewer `--trials`.
extension ShardSpec {
    /// Refuses a shard whose trials would not fit in `available` bytes.
    /// - Throws: `DealcastError` (`.usage`, exit 64) stating the estimate, the memory available and the
    ///   advice to cut the run into more shards.
    public func checkMemory(_ plan: RunPlan, _ config: RunConfiguration, available: Double = MemoryEstimate.availableBytes()) throws(DealcastError) {
        let blocks = self.blocks(of: config.blocks)
        let trials = min(blocks.upperBound * config.blockSize, config.trials) - blocks.lowerBound * config.blockSize
        let estimate = MemoryEstimate(plan: plan, trials: trials, threads: config.threads)
        guard estimate.totalBytes > available else { return }
        throw DealcastError(.usage, "--shard \(self): the shard holds \(trials) of the \(config.trials) trials and needs about \(MemoryEstimate.gigabytes(estimate.totalBytes)) of memory (\(estimate.bytesPerTrial) bytes per trial), more than the \(MemoryEstimate.gigabytes(available)) available; cut the run into more shards")
    }
}

extension PartialMerge {
    /// Refuses a merge whose run would not fit in `available` bytes: the merge holds every trial.
    static func checkMemory(_ plan: RunPlan, trials: Int, threads: Int, shards: Int, available: Double) throws(DealcastError) {
        let estimate = MemoryEstimate(plan: plan, trials: trials, threads: threads)
        guard estimate.totalBytes > available else { return }
        throw DealcastError(.usage, "merging the \(shards) partial result\(shards == 1 ? "" : "s") of \(trials) trials needs about \(MemoryEstimate.gigabytes(estimate.totalBytes)) of memory (\(estimate.bytesPerTrial) bytes per trial, every trial kept, as in a single run), more than the \(MemoryEstimate.gigabytes(available)) available; merge on a machine with more memory (docs/scaling.md)")
    }
}
