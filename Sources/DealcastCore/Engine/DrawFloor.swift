import Dispatch

/// The draw floor of a run: how long it takes only to generate the run's input variates, with the
/// same GSL generator, the same distributions and the same threads as `Engine.run`, doing nothing else.
///
/// It is the yardstick of `make bench` (bench/README.md): a run cannot cost less than drawing its
/// random numbers, so the engine's wall time divided by this floor says how much the engine spends on
/// everything else (sampling design, module arithmetic, storing columns, summaries).
///
/// What it does, for the plan's uncertain inputs only (a fixed input costs no draw, in the engine too):
/// - cuts the trials into blocks of `config.blockSize` and gives worker w of T the blocks w, w + T,
///   w + 2T, …, with T = min(`config.threads`, blocks), exactly as `Engine.run` does;
/// - in block b, for every uncertain input, seeds a fresh `RandomStream` of `config.generator` from
///   (run seed, b, "input:" + path), as the engine does, and fills a per-worker buffer, allocated
///   once and reused, with the block's n draws of GSL's direct sampler (`Distribution.sample`);
/// - adds every draw into a checksum, so that no draw can be optimised away.
///
/// What it does not count:
/// - the sampling design: it draws independently (`--sampling random`'s samplers) whatever
///   `config.sampling` says; Latin hypercube's shuffle and inverse CDFs, Sobol's net and the
///   correlation step are engine work above the floor;
/// - the modules' own draws from `BlockContext.stream`. In the default scenario these are about 60
///   variates per trial, as many as its 59 uncertain inputs: `regulatory_risk` 15 (for each of its 3
///   jurisdictions two uniforms and a 3-outcome Dirichlet, i.e. three gamma variates),
///   `cloud_revenue_growth` 34 (a χ² and two normals for the parameters, redrawn for about 0.6% of
///   trials, then one normal shock per simulated quarter, 31 from 2026Q2 to 2033Q4),
///   `supplier_dependence` 7 (one Bernoulli per vendor and foundry), `partnership_outcome` 4
///   (two uniforms, two normals), `capex_return` none. Counted from docs/models/*.md and the
///   default scenario, not measured;
/// - seeding the modules' streams, copying the draws into the result store, and summarising.
public enum DrawFloor {
    /// What one measurement drew and how long it took.
    public struct Measurement: Sendable {
        /// Variates drawn: uncertain inputs × trials.
        public let variates: Int
        /// Wall-clock seconds of the draws, threads included (allocation of the per-worker buffers too).
        public let seconds: Double
        /// The sum of every draw, added block by block in block order: the result that keeps the draws
        /// from being optimised away. For a given plan, seed, generator and trials it is the same at
        /// any thread count.
        public let checksum: Double
    }

    /// Draws every uncertain input of `plan` for `config.trials` trials, as `Engine.run` would with
    /// `--sampling random`, and times it.
    ///
    /// - Parameters:
    ///   - plan: a bound scenario; only its `inputs` are used.
    ///   - config: trials, seed, threads, generator and block size are used; sampling and correlation
    ///     are ignored (see the type's documentation).
    /// - Returns: the number of variates drawn, the wall-clock seconds and the checksum.
    /// - Complexity: O(uncertain inputs × trials) draws, on `min(config.threads, config.blocks)` threads.
    public static func run(plan: RunPlan, config: RunConfiguration) -> Measurement {
        let uncertain = plan.uncertainInputIndices.map { plan.inputs[$0] }
        let distributions = uncertain.map(\.value.distribution)
        let streamNames = uncertain.map { "input:" + $0.path }
        let blocks = config.blocks
        let threads = max(1, min(config.threads, blocks))
        // One slot per block, written only by the worker that draws the block: no lock, and the sum
        // below adds them in block order.
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, blocks))
        sums.initialize(repeating: 0)
        defer { sums.deallocate() }
        let sumsAddress = UnsafeSendablePointer(base: sums.baseAddress!)

        let started = DispatchTime.now()
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: config.blockSize)
            defer { buffer.deallocate() }
            for b in stride(from: worker, to: blocks, by: threads) {
                let n = min(config.blockSize, config.trials - b * config.blockSize)
                let column = UnsafeMutableBufferPointer(rebasing: buffer[0 ..< n])
                var sum = 0.0
                for (distribution, name) in zip(distributions, streamNames) {
                    let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: b, stream: name))
                    distribution.sample(stream, into: column)
                    for x in column { sum += x }
                }
                sumsAddress.base[b] = sum
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return Measurement(variates: uncertain.count * config.trials, seconds: seconds, checksum: sums.reduce(0, +))
    }
}

/// A pointer handed to the workers, each of which writes only its own blocks' slots.
private struct UnsafeSendablePointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
}
