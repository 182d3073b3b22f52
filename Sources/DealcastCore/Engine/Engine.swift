import Dispatch
import Foundation

/// How inputs are drawn.
public enum SamplingMethod: String, Sendable, CaseIterable {
    /// Independent draws with GSL's samplers.
    case random
    /// Latin hypercube: within each block, every input gets one draw in each of `count` equal-probability strata.
    case lhs
    /// Randomised quasi-Monte Carlo: GSL's Sobol sequence (`gsl_qrng_sobol`), digitally shifted per
    /// block; inputs past its 40 dimensions use `lhs`. See docs/sampling.md.
    case sobol
}

/// The settings of one run. Together with the scenario's bytes they determine every number.
public struct RunConfiguration: Sendable {
    public var trials: Int
    public var seed: UInt64
    /// Worker threads; does not change any result.
    public var threads: Int
    public var generator: GeneratorKind
    public var sampling: SamplingMethod
    /// How the scenario's rank correlations are imposed (when it has any).
    public var correlation: CorrelationMethod
    /// Trials per block. Part of the definition of the random streams: changing it changes the numbers.
    public var blockSize: Int

    public static let defaultBlockSize = 4096

    public init(trials: Int = 100_000, seed: UInt64 = 42, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                generator: GeneratorKind = .taus2, sampling: SamplingMethod = .lhs, blockSize: Int = defaultBlockSize,
                correlation: CorrelationMethod = .imanConover) {
        self.trials = trials
        self.seed = seed
        self.threads = threads
        self.generator = generator
        self.sampling = sampling
        self.correlation = correlation
        self.blockSize = blockSize
    }

    public var blocks: Int { (trials + blockSize - 1) / blockSize }
}

/// A scenario bound to an ordered list of modules: every input parsed and checked, ready to run.
public struct RunPlan: @unchecked Sendable {
    public let scenario: Scenario
    public let modules: [ModuleDescriptor]
    public let inputs: [BoundInput]
    /// Fixed structural values the modules read (terms, schedules, counts), with their provenance.
    public let fixedInputs: [BoundInput]
    /// The scenario's rank correlations over its inputs, checked (nil when it declares none).
    public let correlation: CorrelationPlan?
    let evaluators: [any ModuleEvaluator]

    /// Binds `scenario` to the modules it selects (or `selection`, if given).
    /// - Parameter repairCorrelations: replace a correlation matrix that is not positive semi-definite
    ///   by the nearest valid one (`--repair-correlations`) instead of reporting it.
    /// - Throws: `DealcastError` listing every problem found in the scenario (exit 65), or a registry error.
    public init(scenario: Scenario, registry: ModuleRegistry, selection: [String]? = nil, options: [String: String] = [:],
                repairCorrelations: Bool = false) throws(DealcastError) {
        let ordered: [any AnalysisModule]
        if selection == nil, let listed = scenario.modules {
            // The scenario's own module list: an unknown id is a scenario problem, located in the file.
            do { ordered = try registry.resolve(listed) } catch {
                throw DealcastError.invalid([scenario.issue("modules", error.message)])
            }
        } else {
            ordered = try registry.resolve(selection)
        }
        let binder = ScenarioBinder(scenario: scenario, options: options)
        var evaluators: [any ModuleEvaluator] = []
        for m in ordered {
            binder.moduleID = m.descriptor.id
            do {
                evaluators.append(try m.bind(binder))
            } catch let e as DealcastError {
                throw e
            } catch {
                binder.issue(m.descriptor.id, "\(error)")
            }
        }
        let allIDs = registry.modules.map(\.descriptor.id)
        binder.checkUnknownKeys(sections: ordered.map(\.descriptor.id))
        for key in scenario.rootKeys where !Scenario.metadataKeys.contains(key) && key != "deal" && !allIDs.contains(key) {
            let hint = Suggest.closest(to: key, in: allIDs + Scenario.metadataKeys + ["deal"]).map { "; did you mean '\($0)'?" } ?? ""
            binder.issue(key, "unknown top-level key '\(key)'\(hint)")
        }
        let flagged = Set(binder.issues.map(\.path))
        let correlation = CorrelationPlan.bind(scenario, inputs: binder.inputs, fixedInputs: binder.fixedInputs, repair: repairCorrelations,
                                               flagged: flagged) { binder.issue($0, $1) }
        if !binder.issues.isEmpty { throw DealcastError.invalid(binder.issues) }
        self.scenario = scenario
        self.modules = ordered.map(\.descriptor)
        self.inputs = binder.inputs
        self.fixedInputs = binder.fixedInputs
        self.correlation = correlation
        self.evaluators = evaluators
    }

    /// The labels of a series' periods ("2026", or "2026Q2"), as its module defines them.
    public func index(module: Int, series spec: SeriesSpec) -> [String] {
        evaluators[module].periods(of: spec.name) ?? index(for: spec.frequency)
    }

    /// Tables each module computes from the results, by module id.
    public func tables(_ results: RunResults) -> [(module: String, tables: [ModuleTable])] {
        zip(modules, evaluators).map { ($0.id, $1.tables(results)) }
    }

    /// The keys of the metrics the modules mark as headline, in module order.
    public var headlineMetrics: [String] {
        modules.flatMap { m in m.metrics.filter(\.headline).map { m.key($0.name) } }
    }

    /// The indices in `inputs` of the uncertain inputs (those written as a distribution), in order.
    public var uncertainInputIndices: [Int] {
        inputs.indices.filter { !inputs[$0].value.distribution.isFixed }
    }

    /// The labels of the horizon's periods ("2026", or "2026Q2").
    public func index(for frequency: SeriesSpec.Frequency) -> [String] {
        switch frequency {
        case .annual: return scenario.years.map(String.init)
        case .quarterly: return scenario.quarters.map(\.description)
        }
    }
}

extension Scenario {
    var rootKeys: [String] {
        guard case .mapping(let pairs) = root.kind else { return [] }
        return pairs.map(\.key)
    }
}

/// Runs a plan: cuts the trials into blocks, samples and evaluates them in parallel, summarises.
public enum Engine {
    /// Called from worker threads with (blocks done, blocks in all).
    public typealias Progress = @Sendable (Int, Int) -> Void

    /// Runs every trial of `plan`.
    ///
    /// Block b's inputs are drawn from generators seeded by (seed, b, input path) and each module's
    /// stream by (seed, b, module id), so the results are the same for any `threads`.
    /// - Parameter cancellation: when raised (e.g. on SIGINT), no further block starts and the run throws.
    /// - Throws: `DealcastError` (`.internalError`) when a module throws or produces a non-finite value,
    ///   naming the module, the metric and the trial; the first such failure in block order is reported.
    ///   `.interrupted` (exit 130) when `cancellation` was raised during the run.
    public static func run(_ plan: RunPlan, _ config: RunConfiguration, progress: Progress? = nil,
                           cancellation: CancellationFlag? = nil) throws(DealcastError) -> RunResults {
        let (store, elapsed) = try simulate(plan, config, blocks: 0 ..< config.blocks, progress: progress, cancellation: cancellation)
        return RunResults(plan: plan, config: config, store: store, wallSeconds: elapsed)
    }

    /// Draws and evaluates `blocks` of the run (all of them, or one shard's), in parallel.
    /// - Returns: a store holding those blocks' trials, and the seconds it took.
    /// - Parameter existing: a store to fill instead of a new one (it must hold the blocks' trials).
    static func simulate(_ plan: RunPlan, _ config: RunConfiguration, blocks: Range<Int>, progress: Progress?,
                         cancellation: CancellationFlag? = nil, into existing: ResultStore? = nil) throws(DealcastError) -> (ResultStore, Double) {
        guard config.trials > 0 else { throw DealcastError(.usage, "--trials must be at least 1") }
        let started = DispatchTime.now()
        let firstTrial = blocks.lowerBound * config.blockSize
        let store = existing ?? ResultStore(plan: plan, firstTrial: firstTrial, trials: min(blocks.upperBound * config.blockSize, config.trials) - firstTrial,
                                            blockSize: config.blockSize)
        let failures = FirstFailure()
        let done = Counter()
        let count = blocks.count
        let threads = max(1, min(config.threads, count))
        // Each worker counts its blocks' series values in its own histograms, added to the store's at the end.
        let counts = WorkerHistograms((0 ..< threads).map { _ in HistogramBatches(cells: store.layout.cells, blockSize: config.blockSize) })
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            let scratch = SamplerScratch(inputs: plan.inputs.count, blockSize: config.blockSize)
            defer { scratch.free() }
            let frame = BlockFrame(layout: store.layout, capacity: config.blockSize)
            for b in stride(from: blocks.lowerBound + worker, to: blocks.upperBound, by: threads) {
                if failures.stopBefore(b) || cancellation?.isCancelled == true { return }
                do throws(DealcastError) {
                    try runBlock(b, plan, config, frame, scratch)
                } catch {
                    failures.record(b, error)
                    return
                }
                store.commit(frame, firstTrial: b * config.blockSize, histograms: counts.workers[worker])
                let n = done.increment()
                progress?(n, count)
            }
        }
        if cancellation?.isCancelled == true {
            throw DealcastError.interruptedRun
        }
        if let e = failures.first { throw e }
        store.absorb(counts.workers)
        return (store, Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
    }

    /// Draws block b's inputs and evaluates every module on them, into `frame`.
    static func runBlock(_ b: Int, _ plan: RunPlan, _ config: RunConfiguration, _ frame: BlockFrame, _ scratch: SamplerScratch) throws(DealcastError) {
        let first = b * config.blockSize
        let n = min(config.blockSize, config.trials - first)
        let inputs = UnsafeMutableBufferPointer(rebasing: scratch.inputs[0 ..< plan.inputs.count * n])
        Sampler(inputs: plan.inputs, correlation: plan.correlation, config: config).fill(block: b, count: n, into: inputs, scratch: scratch)
        try evaluate(plan, config, streamBlock: b, firstTrial: first, count: n, inputs: inputs, frame: frame)
    }
}

/// The workers' histograms during a run: worker w touches only `workers[w]`.
private final class WorkerHistograms: @unchecked Sendable {
    let workers: [HistogramBatches]
    init(_ workers: [HistogramBatches]) { self.workers = workers }
}

extension DealcastError {
    /// The engine's answer to a raised `CancellationFlag`, before or after the trials (exit 130).
    static var interruptedRun: DealcastError {
        DealcastError(.interrupted, "the run was interrupted before it finished; it produced no results")
    }
}

/// The failure of the lowest-numbered block (or unit of work), so that the error reported does not
/// depend on thread timing; work numbered after it need not start.
final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: (index: Int, error: DealcastError)?

    func record(_ index: Int, _ error: DealcastError) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil || index < failure!.index { failure = (index, error) }
    }

    func stopBefore(_ index: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return failure.map { $0.index < index } ?? false
    }

    var first: DealcastError? {
        lock.lock(); defer { lock.unlock() }
        return failure?.error
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0

    func increment() -> Int {
        lock.lock(); defer { lock.unlock() }
        n += 1
        return n
    }
}
