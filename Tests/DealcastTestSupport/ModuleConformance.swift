import DealcastCore
import Foundation
import XCTest

/// The test every analysis module must pass, built-in or plugin: the rules of `AnalysisModule`'s
/// "Implementation requirements", checked by running the module on a scenario.
///
/// - The descriptor is well formed: a valid id, a version, a summary, at least one metric, unique
///   lowercase metric and series names with units and summaries.
/// - It binds on the scenario and runs.
/// - Every declared metric and series cell is written in every trial, and is finite unless the metric
///   declares what undefined means (the engine stops the run otherwise).
/// - The same numbers, bit for bit, at 1 and at 2 threads, and when run again.
/// - No undeclared reads: when every metric that neither the module nor any module it depends on
///   declares reading is changed, its numbers do not change.
///
/// Modelled on the conformance suites that ship with a protocol (swift-log's `LogHandler`
/// requirements): `check` reports each broken rule as a test failure, `problems` returns them.
public enum ModuleConformance {
    /// A full block and a short one: with two threads each block runs on its own worker.
    public static let trials = RunConfiguration.defaultBlockSize + 123

    /// Fails the calling test once per broken rule.
    public static func check(_ module: any AnalysisModule, scenario: Scenario, registry: ModuleRegistry,
                             trials: Int = trials, seed: UInt64 = 2026, file: StaticString = #filePath, line: UInt = #line) {
        for p in problems(module, scenario: scenario, registry: registry, trials: trials, seed: seed) {
            XCTFail("\(module.descriptor.id): \(p)", file: file, line: line)
        }
    }

    /// The rules `module` breaks on `scenario`, with every module of `registry` (which must hold
    /// `module`, or a module with its id, and everything it reads) run alongside it. Empty if none.
    public static func problems(_ module: any AnalysisModule, scenario: Scenario, registry: ModuleRegistry,
                                trials: Int = trials, seed: UInt64 = 2026) -> [String] {
        var problems = descriptorProblems(module.descriptor)
        let id = module.descriptor.id
        let log = Log()
        let others = registry.modules.filter { $0.descriptor.id != id }
        let closure: [any AnalysisModule]
        do throws(DealcastError) { closure = try registry.resolve([id]) } catch { return problems + ["its reads do not resolve: \(error.message)"] }
        // Metrics that the module or a module it depends on declares reading: these must stay as they are.
        let protected = Set(closure.flatMap(\.descriptor.reads))

        func run(threads: Int, perturb: Bool) -> RunResults? {
            let target: any AnalysisModule = Probe(inner: module, log: log)
            let rest: [any AnalysisModule] = others.map { m in
                guard perturb else { return m }
                let keys = Set(m.descriptor.metrics.map(\.name).filter { !protected.contains(m.descriptor.key($0)) })
                return keys.isEmpty ? m : Perturbing(inner: m, names: keys)
            }
            do throws(DealcastError) {
                let reg = try ModuleRegistry(rest + [target])
                let plan = try RunPlan(scenario: scenario, registry: reg, selection: reg.modules.map(\.descriptor.id))
                return try Engine.run(plan, RunConfiguration(trials: trials, seed: seed, threads: threads))
            } catch {
                problems.append("the run (\(threads) thread(s)\(perturb ? ", other metrics changed" : "")) failed: \(error.message)")
                return nil
            }
        }

        let first = run(threads: 1, perturb: false)
        problems += log.problems
        guard let first else { return problems }
        if let two = run(threads: 2, perturb: false), let d = difference(first, two, module.descriptor) {
            problems.append("different numbers at 1 and 2 threads: \(d)")
        }
        if let again = run(threads: 1, perturb: false), let d = difference(first, again, module.descriptor) {
            problems.append("different numbers when run again: \(d)")
        }
        if let perturbed = run(threads: 1, perturb: true), let d = difference(first, perturbed, module.descriptor) {
            problems.append("reads metrics it does not declare: its numbers changed when metrics outside its declared reads (\(module.descriptor.reads.joined(separator: ", "))) changed: \(d)")
        }
        return problems
    }

    static func descriptorProblems(_ d: ModuleDescriptor) -> [String] {
        var p: [String] = []
        func identifier(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") } }
        if !identifier(d.id) { p.append("id '\(d.id)' must be lowercase letters, digits and '_'") }
        if d.version.isEmpty { p.append("version is empty") }
        if d.summary.isEmpty { p.append("summary is empty") }
        if d.metrics.isEmpty { p.append("declares no metrics") }
        let names = d.metrics.map(\.name) + d.series.map(\.name)
        for n in Set(names) where names.filter({ $0 == n }).count > 1 { p.append("'\(n)' is declared twice") }
        for m in d.metrics {
            if !identifier(m.name) { p.append("metric name '\(m.name)' must be lowercase letters, digits and '_'") }
            if m.unit.isEmpty { p.append("metric '\(m.name)' has no unit") }
            if m.summary.isEmpty { p.append("metric '\(m.name)' has no summary") }
        }
        for s in d.series {
            if !identifier(s.name) { p.append("series name '\(s.name)' must be lowercase letters, digits and '_'") }
            if s.unit.isEmpty || s.summary.isEmpty { p.append("series '\(s.name)' needs a unit and a summary") }
        }
        return p
    }

    /// The first metric or series value of module `d` that differs, bit for bit, between two runs.
    static func difference(_ a: RunResults, _ b: RunResults, _ d: ModuleDescriptor) -> String? {
        func firstDifference(_ x: [Double]?, _ y: [Double]?) -> Int? {
            guard let x, let y else { return x == nil && y == nil ? nil : 0 }
            guard x.count == y.count else { return min(x.count, y.count) }
            return x.indices.first { x[$0].bitPattern != y[$0].bitPattern }
        }
        for m in d.metrics {
            let key = d.key(m.name)
            let x = a.values(key), y = b.values(key)
            if let i = firstDifference(x, y) {
                return "\(key), trial \(i + 1): \(x.map { String($0[i]) } ?? "absent") against \(y.map { String($0[i]) } ?? "absent")"
            }
        }
        for s in d.series {
            let key = d.key(s.name)
            let periods = a.series(key)?.index.count ?? 0
            guard periods == b.series(key)?.index.count ?? 0 else { return "\(key): a different number of periods" }
            // A run keeps a series' summary, not its trials: equal summaries, bit for bit.
            if let x = a.series(key)?.summary, let y = b.series(key)?.summary, x != y {
                return "\(key): different per-period statistics"
            }
        }
        return nil
    }

    /// Problems seen from inside the runs, collected from worker threads.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []

        func add(_ problem: String) {
            lock.lock(); defer { lock.unlock() }
            if !seen.contains(problem) { seen.append(problem) }
        }

        var problems: [String] {
            lock.lock(); defer { lock.unlock() }
            return seen
        }
    }

    /// The module under test, unchanged except that every output cell is marked before `evaluate`,
    /// so that cells it leaves unwritten are found afterwards.
    struct Probe: AnalysisModule {
        let inner: any AnalysisModule
        let log: Log
        var descriptor: ModuleDescriptor { inner.descriptor }

        /// A quiet NaN with a payload no arithmetic produces.
        static let mark = Double(nan: 0x00C0_FFEE, signaling: false)

        func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator {
            Evaluator(inner: try inner.bind(binder), descriptor: descriptor, log: log)
        }

        struct Evaluator: ModuleEvaluator {
            let inner: any ModuleEvaluator
            let descriptor: ModuleDescriptor
            let log: Log

            func evaluate(_ block: BlockContext) throws {
                for m in descriptor.metrics { block.output(m.name).update(repeating: Probe.mark) }
                for s in descriptor.series {
                    for p in 0 ..< block.periods(s.name) { block.output(s.name, period: p).update(repeating: Probe.mark) }
                }
                try inner.evaluate(block)
                for m in descriptor.metrics {
                    if let i = block.output(m.name).firstIndex(where: { $0.bitPattern == Probe.mark.bitPattern }) {
                        log.add("metric '\(descriptor.key(m.name))' is not written in trial \(block.firstTrial + i + 1)")
                    }
                }
                for s in descriptor.series {
                    for p in 0 ..< block.periods(s.name) {
                        if let i = block.output(s.name, period: p).firstIndex(where: { $0.bitPattern == Probe.mark.bitPattern }) {
                            log.add("series '\(descriptor.key(s.name))' period \(p + 1) is not written in trial \(block.firstTrial + i + 1)")
                        }
                    }
                }
            }

            func periods(of series: String) -> [String]? { inner.periods(of: series) }
            func tables(_ results: RunResults) -> [ModuleTable] { inner.tables(results) }
        }
    }

    /// Another module, whose metrics `names` are changed after it evaluates (finite values stay
    /// finite; an event flips), to expose a module under test that reads them without declaring it.
    struct Perturbing: AnalysisModule {
        let inner: any AnalysisModule
        let names: Set<String>
        var descriptor: ModuleDescriptor { inner.descriptor }

        func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator {
            Evaluator(inner: try inner.bind(binder), specs: descriptor.metrics.filter { names.contains($0.name) })
        }

        struct Evaluator: ModuleEvaluator {
            let inner: any ModuleEvaluator
            let specs: [MetricSpec]

            func evaluate(_ block: BlockContext) throws {
                try inner.evaluate(block)
                for spec in specs {
                    let column = block.output(spec.name)
                    for i in column.indices where column[i].isFinite {
                        column[i] = spec.kind == .event ? 1 - column[i] : column[i] * 1.5 + 1
                    }
                }
            }

            func periods(of series: String) -> [String]? { inner.periods(of: series) }
            func tables(_ results: RunResults) -> [ModuleTable] { inner.tables(results) }
        }
    }
}
