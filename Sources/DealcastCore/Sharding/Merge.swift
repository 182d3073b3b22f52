import Foundation

/// A run rebuilt from its shards' partial results: the results a single run with the same scenario,
/// seed and settings gives, bit for bit, and what the report needs to say how it was made.
public struct MergedRun: Sendable {
    public let results: RunResults
    /// Number of partial results merged.
    public let shards: Int
    /// Run options the modules read, as the shards ran them.
    public let options: [String: String]
    /// The plugins the shards loaded, as they named them.
    public let plugins: [PartialMetadata.Plugin]
}

/// Merges partial results (docs/scaling.md).
///
/// Every partial is checked before anything is merged: its signature, format version and checksums;
/// that all partials belong to one run (same scenario, datasets, seed, trials, sampling, generator,
/// modules, plugins, options and dealcast version); and that together they hold every block of the
/// run exactly once. The scenario embedded in the partials is then bound again, as the shards bound
/// it; their metric columns and series block statistics are placed in block order into one store and
/// their series histograms added (integer counts: the order does not matter), and the store is
/// summarised by the same code as a single run.
public enum PartialMerge {
    /// Merges the partial result files at `paths` (in any order).
    ///
    /// - Parameters:
    ///   - registry: the modules of this host, including `plugins`' modules.
    ///   - plugins: the plugins loaded for the merge; they must be the files the shards loaded.
    ///   - dealcastVersion: the version of this dealcast, which must be the one that wrote the partials.
    ///   - available: the memory this process may use, in bytes.
    /// - Throws: `DealcastError`: exit 66 for a file that cannot be read; 65, naming the files and the
    ///   problem, for a file that is not a partial or is damaged, partials of different runs, and
    ///   missing or overlapping shards; 64 when the plugins given differ from the shards', or when the
    ///   merged run would not fit in memory.
    public static func merge(_ paths: [String], registry: ModuleRegistry, plugins: [PluginModule], dealcastVersion: String,
                             available: Double = MemoryEstimate.availableBytes()) throws(DealcastError) -> MergedRun {
        guard !paths.isEmpty else { throw DealcastError(.usage, "give the partial result files to merge") }
        var partials: [PartialFile] = [], failures: [DealcastError] = []
        for path in paths {
            do { partials.append(try PartialFile.load(URL(fileURLWithPath: path), displayPath: path)) } catch { failures.append(error) }
        }
        if let first = failures.first {
            throw failures.count == 1 ? first : DealcastError(first.code, "\(failures.count) of the \(paths.count) partial results cannot be used:\n" + failures.map { "  " + $0.message }.joined(separator: "\n"))
        }
        let reference = partials[0]
        try checkSameRun(partials, dealcastVersion: dealcastVersion)
        try checkCoverage(partials)
        try checkPlugins(reference.metadata.plugins, loaded: plugins)

        let meta = reference.metadata, settings = meta.settings
        let scenario = try ScenarioLoader.parse(data: reference.scenarioBytes, displayPath: meta.scenario.path,
                                                baseDirectory: reference.url.deletingLastPathComponent())
        scenario.datasets.supply(reference.datasets)
        let plan = try RunPlan(scenario: scenario, registry: registry, selection: settings.moduleSelection, options: settings.options,
                               repairCorrelations: settings.repairCorrelations)
        let bound = plan.modules.map { PartialMetadata.Module(id: $0.id, version: $0.version) }
        guard bound == meta.modules else {
            throw DealcastError(.invalidData, "\(reference.displayPath): the shards ran the modules \(describe(meta.modules)), but binding their scenario here gives \(describe(bound)); merge with the dealcast and plugins that ran the shards")
        }
        guard let seed = UInt64(settings.seed), let rng = GeneratorKind(rawValue: settings.rng),
              let sampling = SamplingMethod(rawValue: settings.sampling), let correlation = CorrelationMethod(rawValue: settings.correlation) else {
            throw DealcastError(.invalidData, "\(reference.displayPath): this dealcast does not know the run's settings (seed \(settings.seed), --rng \(settings.rng), --sampling \(settings.sampling), correlation \(settings.correlation))")
        }
        let config = RunConfiguration(trials: settings.trials, seed: seed, threads: partials.map(\.metadata.threads).max()!,
                                      generator: rng, sampling: sampling, blockSize: settings.blockSize, correlation: correlation)
        try checkMemory(plan, trials: settings.trials, threads: ProcessInfo.processInfo.activeProcessorCount, shards: partials.count, available: available)
        let store = ResultStore(plan: plan, trials: settings.trials, blockSize: settings.blockSize)
        guard store.columnLayout(plan) == meta.columns else {
            throw DealcastError(.invalidData, "\(reference.displayPath): the partial's columns are not the ones this dealcast keeps for its scenario; merge with the dealcast that ran the shards")
        }
        for p in partials.sorted(by: { $0.metadata.shard.firstBlock < $1.metadata.shard.firstBlock }) {
            try p.load(into: store)
        }
        let wall = partials.reduce(0) { $0 + $1.metadata.wallSeconds }
        return MergedRun(results: RunResults(plan: plan, config: config, store: store, wallSeconds: wall),
                         shards: partials.count, options: settings.options, plugins: meta.plugins)
    }

    /// Refuses partials that do not all belong to one run of this dealcast, naming every field that differs.
    static func checkSameRun(_ partials: [PartialFile], dealcastVersion: String) throws(DealcastError) {
        let reference = partials[0]
        if reference.metadata.dealcastVersion != dealcastVersion {
            throw DealcastError(.invalidData, "\(reference.displayPath): written by dealcast \(reference.metadata.dealcastVersion), but this is dealcast \(dealcastVersion); numbers are only identical within one version, so merge with dealcast \(reference.metadata.dealcastVersion)")
        }
        let fields = reference.metadata.runIdentity
        for p in partials.dropFirst() {
            let differences = zip(fields, p.metadata.runIdentity).filter { $0.value != $1.value }
            guard differences.isEmpty else {
                let lines = differences.map { a, b in "  \(a.field): \(a.value) in \(reference.displayPath), \(b.value) in \(p.displayPath)" }
                throw DealcastError(.invalidData, "\(p.displayPath) and \(reference.displayPath) are not shards of the same run; every shard must use the same scenario and settings, and these differ:\n" + lines.joined(separator: "\n"))
            }
        }
    }

    /// Refuses partials that leave blocks out or hold a block twice, naming the shards concerned.
    static func checkCoverage(_ partials: [PartialFile]) throws(DealcastError) {
        let settings = partials[0].metadata.settings
        let total = (settings.trials + settings.blockSize - 1) / settings.blockSize
        let sorted = partials.sorted { ($0.metadata.shard.firstBlock, $0.metadata.shard.endBlock) < ($1.metadata.shard.firstBlock, $1.metadata.shard.endBlock) }
        var problems: [String] = [], gaps: [Range<Int>] = []
        var covered = 0
        var last: PartialFile?
        for p in sorted {
            let s = p.metadata.shard
            if s.firstBlock > covered { gaps.append(covered ..< s.firstBlock) }
            if let last, s.firstBlock < covered {
                let l = last.metadata.shard
                if l.index == s.index && l.count == s.count {
                    problems.append("shard \(s.index)/\(s.count) is given twice: \(last.displayPath) and \(p.displayPath)")
                } else {
                    problems.append("\(last.displayPath) (shard \(l.index)/\(l.count)) and \(p.displayPath) (shard \(s.index)/\(s.count)) overlap in \(blocks(s.firstBlock ..< min(covered, s.endBlock)))")
                }
            }
            if s.endBlock > covered { covered = s.endBlock; last = p }
        }
        if covered < total { gaps.append(covered ..< total) }
        if !gaps.isEmpty {
            let counts = Set(partials.map(\.metadata.shard.count))
            if counts.count == 1, let n = counts.first {
                let missing = Set(0 ..< n).subtracting(partials.map(\.metadata.shard.index)).sorted()
                problems.append("missing shard\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(n) (shards are numbered from 0): run \(missing.map { "--shard \($0)/\(n)" }.joined(separator: ", ")) and merge again")
            } else {
                let ranges = gaps.map { g in "\(blocks(g)) (trials \(g.lowerBound * settings.blockSize + 1)–\(min(g.upperBound * settings.blockSize, settings.trials)))" }
                problems.append("no partial holds " + ranges.joined(separator: ", "))
            }
        }
        guard problems.isEmpty else {
            throw DealcastError(.invalidData, problems.count == 1 ? "cannot merge: " + problems[0] : "cannot merge:\n" + problems.map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    /// Refuses a merge whose plugins are not the files the shards loaded (same ids, same bytes).
    static func checkPlugins(_ expected: [PartialMetadata.Plugin], loaded: [PluginModule]) throws(DealcastError) {
        var problems: [String] = []
        for e in expected {
            guard let l = loaded.first(where: { $0.descriptor.id == e.id }) else {
                problems.append("the shards ran plugin \(e.id) \(e.version) (from \(e.path)); give it to merge with --plugin")
                continue
            }
            if l.sha256 != e.sha256 {
                problems.append("plugin \(e.id): \(l.path) has SHA-256 \(l.sha256), but the shards ran \(e.path) with SHA-256 \(e.sha256); give merge the same file")
            }
        }
        for l in loaded where !expected.contains(where: { $0.id == l.descriptor.id }) {
            problems.append("plugin \(l.descriptor.id) (\(l.path)) was not loaded by the shards; leave it out of the merge")
        }
        guard problems.isEmpty else {
            throw DealcastError(.usage, problems.count == 1 ? problems[0] : "the plugins differ from the shards':\n" + problems.map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    private static func blocks(_ r: Range<Int>) -> String {
        r.count == 1 ? "block \(r.lowerBound)" : "blocks \(r.lowerBound)–\(r.upperBound - 1)"
    }

    private static func describe(_ modules: [PartialMetadata.Module]) -> String {
        modules.map { "\($0.id) \($0.version)" }.joined(separator: ", ")
    }
}
