import Foundation

/// What one shard of a run computed: every trial of its blocks, in columns, ready to be written as a
/// partial result (`write(to:displayPath:origin:)`) and merged (`PartialMerge`).
public final class ShardResult: @unchecked Sendable {
    public let plan: RunPlan
    public let config: RunConfiguration
    public let shard: ShardSpec
    /// The blocks this shard ran.
    public let blocks: Range<Int>
    /// Seconds spent drawing and evaluating the shard's trials.
    public let wallSeconds: Double
    let store: ResultStore

    init(plan: RunPlan, config: RunConfiguration, shard: ShardSpec, blocks: Range<Int>, store: ResultStore, wallSeconds: Double) {
        self.plan = plan
        self.config = config
        self.shard = shard
        self.blocks = blocks
        self.store = store
        self.wallSeconds = wallSeconds
    }

    /// The run's trials this shard holds.
    public var trials: Range<Int> { store.firstTrial ..< store.firstTrial + store.trials }

    /// What the partial records besides the numbers, as the command line knows it.
    public struct Origin: Sendable {
        /// Version of the `dealcast` executable.
        public var dealcastVersion: String
        /// The scenario file's bytes, exactly as loaded (their SHA-256 must be the scenario's).
        public var scenarioBytes: Data
        /// `--modules` as given, nil when not given.
        public var moduleSelection: [String]?
        /// Run options the modules read, such as `history-cutoff`.
        public var options: [String: String]
        /// The plugins the run loaded.
        public var plugins: [PluginModule]

        public init(dealcastVersion: String, scenarioBytes: Data, moduleSelection: [String]?, options: [String: String], plugins: [PluginModule]) {
            self.dealcastVersion = dealcastVersion
            self.scenarioBytes = scenarioBytes
            self.moduleSelection = moduleSelection
            self.options = options
            self.plugins = plugins
        }
    }

    /// Writes the shard's partial result, atomically (docs/scaling.md, "The partial file").
    /// - Throws: `DealcastError`: exit 73 when the file cannot be written; exit 65 when the scenario's
    ///   bytes are not the ones that were run (the file changed during the run).
    public func write(to url: URL, displayPath: String, origin p: Origin) throws(DealcastError) {
        let scenario = plan.scenario
        guard SHA256.hex(p.scenarioBytes) == scenario.sha256 else {
            throw DealcastError(.invalidData, "\(scenario.displayPath): the file changed while shard \(shard) ran (its SHA-256 is no longer \(scenario.sha256)); run the shard again")
        }
        let datasets = scenario.datasets.files
        let metadata = PartialMetadata(
            dealcastVersion: p.dealcastVersion,
            scenario: .init(id: scenario.id, path: scenario.displayPath, sha256: scenario.sha256, bytes: p.scenarioBytes.count),
            datasets: datasets.map { .init(name: $0.name, sha256: SHA256.hex($0.bytes), bytes: $0.bytes.count) },
            settings: .init(trials: config.trials, seed: String(config.seed), sampling: config.sampling.rawValue, rng: config.generator.rawValue,
                            correlation: config.correlation.rawValue, repairCorrelations: plan.correlation?.repairRequested ?? false,
                            blockSize: config.blockSize, moduleSelection: p.moduleSelection, options: p.options),
            modules: plan.modules.map { .init(id: $0.id, version: $0.version) },
            plugins: p.plugins.map { .init(id: $0.descriptor.id, version: $0.descriptor.version, path: $0.path, sha256: $0.sha256, abiVersion: $0.abiVersion) },
            shard: .init(index: shard.index, count: shard.count, firstBlock: blocks.lowerBound, endBlock: blocks.upperBound,
                         firstTrial: store.firstTrial, trials: store.trials),
            columns: store.columnLayout(plan),
            histogramBins: store.histograms.map(\.occupiedBins),
            threads: config.threads,
            wallSeconds: wallSeconds)
        try PartialFile.save(to: url, displayPath: displayPath, metadata: metadata, scenarioBytes: p.scenarioBytes,
                              datasets: datasets, store: store)
    }
}

extension Engine {
    /// Runs only `shard`'s blocks of `plan`: the same numbers a full run draws for those blocks.
    /// - Parameter cancellation: when raised (e.g. on SIGINT), no further block starts and the run throws.
    /// - Throws: `DealcastError`: exit 64 when the run has fewer blocks than shards; otherwise as `run`.
    public static func runShard(_ plan: RunPlan, _ config: RunConfiguration, shard: ShardSpec, progress: Progress? = nil,
                                cancellation: CancellationFlag? = nil) throws(DealcastError) -> ShardResult {
        guard config.trials > 0 else { throw DealcastError(.usage, "--trials must be at least 1") }
        try shard.check(blocks: config.blocks, trials: config.trials, blockSize: config.blockSize)
        let blocks = shard.blocks(of: config.blocks)
        let (store, elapsed) = try simulate(plan, config, blocks: blocks, progress: progress, cancellation: cancellation)
        return ShardResult(plan: plan, config: config, shard: shard, blocks: blocks, store: store, wallSeconds: elapsed)
    }
}

extension ResultStore {
    /// The metric columns for run trials [from, from + count), in the partial file's order.
    func columns(from: Int, count: Int) -> [Column] {
        let base = from - firstTrial
        return metrics.map { column in
            switch column {
            case .double(let b): return .double(UnsafeMutableBufferPointer(rebasing: b[base ..< base + count]))
            case .single(let b): return .single(UnsafeMutableBufferPointer(rebasing: b[base ..< base + count]))
            }
        }
    }

    /// Block statistics of the blocks held, as `blockStatistics` lays them out.
    func statistics(ofBlocks range: Range<Int>) -> UnsafeMutableBufferPointer<Double> {
        let width = layout.summarised * Self.statisticsPerBlock, first = range.lowerBound - firstBlock
        return UnsafeMutableBufferPointer(rebasing: blockStatistics[first * width ..< (first + range.count) * width])
    }

    /// The names and kinds of what a partial holds, as its metadata records them.
    func columnLayout(_ plan: RunPlan) -> PartialMetadata.Columns {
        PartialMetadata.Columns(metrics: metricKeys, singlePrecision: zip(metricKeys, layout.exact).filter { !$0.1 }.map(\.0),
                                series: layout.series.map { .init(key: $0.key, periods: $0.periods) })
    }
}
