import Foundation

/// One shard of a run: shard `index` of `count`, a contiguous range of the run's blocks.
///
/// Shards are numbered from 0, as Kubernetes' `JOB_COMPLETION_INDEX` is: `--shard 0/8` is the first
/// of eight, `--shard 7/8` the last. Shard I of N runs blocks [⌊I·B/N⌋, ⌊(I+1)·B/N⌋) of the run's B
/// blocks, so the N shards tile the blocks exactly and differ in size by at most one block.
/// A block's numbers depend only on (seed, block, stream name), never on the shard that ran it
/// (docs/engine.md), which is what lets `dealcast merge` rebuild the single run bit for bit.
public struct ShardSpec: Sendable, Hashable, CustomStringConvertible {
    /// 0-based index of the shard.
    public let index: Int
    /// Number of shards the run is cut into.
    public let count: Int

    /// A shard, checked: `0 ≤ index < count`.
    /// - Throws: `DealcastError` (`.usage`, exit 64) saying what was expected.
    public init(index: Int, count: Int) throws(DealcastError) {
        guard count >= 1 else { throw DealcastError(.usage, "--shard \(index)/\(count): the number of shards must be at least 1") }
        guard index >= 0, index < count else {
            throw DealcastError(.usage, "--shard \(index)/\(count): shards are numbered from 0, so I must be between 0 and \(count - 1)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `I/N`, e.g. `3/8`.
    /// - Throws: `DealcastError` (`.usage`, exit 64) naming the text and the expected form.
    public init(parsing text: String) throws(DealcastError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw DealcastError(.usage, "--shard expects I/N, shard I (from 0) of N, such as 0/8; got '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The blocks this shard runs, out of `blocks` in the run.
    ///
    /// - Precondition: `count <= blocks` (see `check(blocks:trials:)`).
    public func blocks(of blocks: Int) -> Range<Int> {
        index * blocks / count ..< (index + 1) * blocks / count
    }

    /// Checks that the run has at least one block per shard.
    /// - Throws: `DealcastError` (`.usage`, exit 64) naming the shard count, the blocks and the trials.
    public func check(blocks: Int, trials: Int, blockSize: Int) throws(DealcastError) {
        guard count <= blocks else {
            throw DealcastError(.usage, "--shard \(self): \(count) shards, but \(trials) trials make only \(blocks) block\(blocks == 1 ? "" : "s") of \(blockSize); use at most \(blocks) shards, or at least \((count - 1) * blockSize + 1) trials")
        }
    }
}
