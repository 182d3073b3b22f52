import Dispatch
import Foundation

extension Engine {
    /// Runs every module of `plan`, in order, over `n` trials whose input matrix is given: the
    /// evaluation half of a block of a run, shared by the run itself and by the analyses that choose
    /// their own inputs (one-at-a-time swings, Sobol indices; docs/sensitivity.md).
    ///
    /// Module `id`'s stream is seeded from (`config.seed`, `streamBlock`, `"module:" + id`), exactly as
    /// in block `streamBlock` of a run, so two evaluations with the same `streamBlock` see the same
    /// module draws (common random numbers).
    /// - Parameters:
    ///   - firstTrial: the index in the run of the first of the `n` trials (for messages and `BlockContext`).
    ///   - inputs: the input matrix, input-major (input j's `n` values at j·n), one column per
    ///     `plan.inputs` entry, fixed inputs included.
    ///   - frame: where the outputs go, in double precision; its `count` becomes `n`.
    ///   - only: the indices (in `plan.modules`, ascending) of the modules to run, when not all: the
    ///     others' outputs must already be in `frame`, as the modules they read expect them.
    /// - Throws: `DealcastError` (`.internalError`) when a module throws, or writes a non-finite value
    ///   to a metric that does not declare what undefined means, or to a series.
    /// - Complexity: the modules' cost for `n` trials.
    static func evaluate(_ plan: RunPlan, _ config: RunConfiguration, streamBlock b: Int, firstTrial first: Int, count n: Int,
                         inputs: UnsafeMutableBufferPointer<Double>, frame: BlockFrame, only: [Int]? = nil) throws(DealcastError) {
        frame.count = n
        for index in only ?? Array(plan.modules.indices) {
            let m = plan.modules[index], evaluator = plan.evaluators[index]
            let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: b, stream: "module:" + m.id))
            let ctx = BlockContext(count: n, blockIndex: b, firstTrial: first, stream: stream, moduleID: m.id, inputs: inputs, frame: frame)
            frame.clearOutputs(of: m)
            do {
                try evaluator.evaluate(ctx)
            } catch let e as DealcastError {
                throw e
            } catch {
                throw DealcastError(.internalError, "module '\(m.id)' failed in trials \(first + 1)–\(first + n): \(error)")
            }
            for spec in m.metrics where spec.undefinedMeaning == nil {
                let col = ctx.output(spec.name)
                if let i = BlockFrame.firstNonFinite(UnsafeBufferPointer(col)) {
                    throw DealcastError(.internalError, "module '\(m.id)' produced a non-finite value (\(col[i])) for metric '\(m.key(spec.name))' in trial \(first + i + 1); the run stopped and wrote nothing")
                }
            }
            for spec in m.series {
                for p in 0 ..< ctx.periods(spec.name) {
                    let col = ctx.output(spec.name, period: p)
                    if let i = BlockFrame.firstNonFinite(UnsafeBufferPointer(col)) {
                        throw DealcastError(.internalError, "module '\(m.id)' produced a non-finite value for series '\(m.key(spec.name))' period \(p + 1) in trial \(first + i + 1); the run stopped and wrote nothing")
                    }
                }
            }
        }
    }
}

/// Evaluates a plan's modules on input matrices that the caller writes instead of the sampler:
/// `units` matrices of `rows` trials each, in parallel on `config.threads` workers.
///
/// Unit u is evaluated by one worker, which asks `fill` for its input matrix and the block whose
/// module streams to use, runs the modules (`Engine.evaluate`) and hands the outputs to `collect`.
/// With a `baseline` unit, each worker first evaluates the baseline in full and every unit then runs
/// only the modules whose outputs may differ from the baseline's (`modules`), the others keeping the
/// baseline's outputs: the one-at-a-time swings use this to re-run only the modules an input reaches.
/// `collect` must write only what belongs to unit u; then the outcome is the same at any thread
/// count, because nothing in a unit depends on which worker ran it or when. Worker w takes units
/// w, w + T, w + 2T, … (T workers), as the engine takes blocks.
struct FixedInputEvaluation {
    let plan: RunPlan
    let config: RunConfiguration
    /// Trials per unit, at most `config.blockSize`.
    let rows: Int

    /// The outputs of one unit, valid only during `collect`.
    struct Outputs {
        let frame: BlockFrame

        /// Metric `key`'s value in each of the unit's trials (NaN where it is undefined).
        func metric(_ key: String) -> UnsafeBufferPointer<Double> {
            UnsafeBufferPointer(frame.metric(frame.layout.metricIndex[key]!))
        }
    }

    /// Evaluates `units` input matrices.
    /// - Parameters:
    ///   - baseline: a unit that every worker evaluates in full before its own units (nil: none).
    ///   - modules: with a baseline, the indices (in `plan.modules`, ascending) of the modules whose
    ///     outputs in unit u may differ from the baseline's; the others are not run and keep the
    ///     baseline's outputs. Ignored without a baseline: every unit runs every module.
    ///   - fill: writes unit u's input matrix (input-major, `rows` values per input, one column per
    ///     `plan.inputs` entry) and returns the block whose module streams evaluate it.
    ///   - collect: reads unit u's outputs.
    ///   - describe: says what unit u is, to prefix an error raised while evaluating it.
    /// - Throws: the error of the lowest-numbered unit that failed, prefixed with `describe(u)`;
    ///   `.interrupted` when `cancellation` is raised before every unit has started.
    /// - Complexity: `units` evaluations of `rows` trials, on up to `config.threads` cores.
    func run(units: Int, cancellation: CancellationFlag? = nil, baseline: Int? = nil, modules: @Sendable (_ unit: Int) -> [Int] = { _ in [] },
             fill: @Sendable (_ unit: Int, _ inputs: UnsafeMutableBufferPointer<Double>) -> Int,
             collect: @Sendable (_ unit: Int, _ outputs: Outputs) -> Void,
             describe: @Sendable (_ unit: Int) -> String) throws(DealcastError) {
        guard units > 0 else { return }
        precondition(rows >= 1 && rows <= config.blockSize)
        let failures = FirstFailure()
        let threads = max(1, min(config.threads, units))
        let plan = self.plan, config = self.config, rows = self.rows
        let layout = OutputLayout(plan: plan)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            let frame = BlockFrame(layout: layout, capacity: rows)
            let inputs = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, plan.inputs.count * rows))
            defer { inputs.deallocate() }
            // The baseline's outputs, which `frame` holds again after every unit.
            var kept: BlockFrame?
            if let baseline {
                let block = fill(baseline, inputs)
                do throws(DealcastError) {
                    try Engine.evaluate(plan, config, streamBlock: block, firstTrial: 0, count: rows, inputs: inputs, frame: frame)
                } catch {
                    failures.record(baseline, DealcastError(error.code, "\(describe(baseline)): \(error.message)"))
                    return
                }
                let copy = BlockFrame(layout: layout, capacity: rows)
                copy.count = rows
                copy.copyOutputs(of: Array(plan.modules.indices), in: plan, from: frame)
                kept = copy
            }
            for u in stride(from: worker, to: units, by: threads) {
                if failures.stopBefore(u) || cancellation?.isCancelled == true { return }
                let block = fill(u, inputs)
                let only = kept == nil ? nil : modules(u)
                do throws(DealcastError) {
                    try Engine.evaluate(plan, config, streamBlock: block, firstTrial: 0, count: rows, inputs: inputs, frame: frame, only: only)
                } catch {
                    failures.record(u, DealcastError(error.code, "\(describe(u)): \(error.message)"))
                    return
                }
                collect(u, Outputs(frame: frame))
                // Put back the baseline's outputs of the modules this unit ran.
                if let kept, let only { frame.copyOutputs(of: only, in: plan, from: kept) }
            }
        }
        if let e = failures.first { throw e }
        if cancellation?.isCancelled == true {
            throw DealcastError.interruptedRun
        }
    }
}
