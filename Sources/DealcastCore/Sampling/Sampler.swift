/// Draws the input matrix of one block: one column per bound input, one row per trial.
///
/// Everything here is local to the block. Input j's column in block b is drawn from a generator
/// seeded by (run seed, b, "input:" + path); Sobol points are the same net in every block, randomised
/// from that stream; correlations are imposed within the block from streams seeded by
/// (run seed, b, "correlation:" + path). A block's numbers therefore depend on nothing else: not on the
/// thread, not on the other blocks, not on how the run is sharded. See docs/sampling.md.
struct Sampler {
    let inputs: [BoundInput]
    let correlation: CorrelationPlan?
    let config: RunConfiguration

    init(inputs: [BoundInput], correlation: CorrelationPlan? = nil, config: RunConfiguration) {
        self.inputs = inputs
        self.correlation = correlation
        self.config = config
    }

    /// Fills `matrix` (input-major: column j at j·n) for the `n` trials of block `b`.
    func fill(block b: Int, count n: Int, into matrix: UnsafeMutableBufferPointer<Double>, scratch: SamplerScratch) {
        let design = SamplingDesign(inputs: inputs, method: config.sampling)
        let copula = correlation != nil && config.correlation == .copula ? Set(correlation!.columns) : []
        for j in inputs.indices {
            draw(j, block: b, into: UnsafeMutableBufferPointer(rebasing: matrix[j * n ..< (j + 1) * n]), design: design, uniformsOnly: copula.contains(j),
                 scratch: scratch)
        }
        guard let correlation else { return }
        switch config.correlation {
        case .imanConover:
            ImanConover.rearrange(matrix, count: n, plan: correlation, block: b, config: config, scratch: scratch.correlation)
        case .copula:
            GaussianCopula.apply(matrix, count: n, plan: correlation, inputs: inputs)
        }
    }

    /// Input j's column of block b exactly as `fill` leaves it, for the analyses after a run (the engine
    /// does not keep the draws: `RunResults.inputValues`). An input outside the scenario's correlations
    /// is drawn alone, from its own stream; a correlated one needs the whole block drawn and rearranged.
    /// - Parameter column: the block's `count` trials.
    func replay(input j: Int, block b: Int, into column: UnsafeMutableBufferPointer<Double>, scratch: SamplerScratch) {
        let n = column.count
        if let correlation, correlation.columns.contains(j) {
            let matrix = UnsafeMutableBufferPointer(rebasing: scratch.inputs[0 ..< inputs.count * n])
            fill(block: b, count: n, into: matrix, scratch: scratch)
            _ = column.update(fromContentsOf: matrix[j * n ..< (j + 1) * n])
        } else {
            draw(j, block: b, into: column, design: SamplingDesign(inputs: inputs, method: config.sampling), uniformsOnly: false, scratch: scratch)
        }
    }

    /// Input j's draws in block b before any correlation is imposed: its distribution's values, or only
    /// the uniforms when a Gaussian copula will turn them into values (`uniformsOnly`).
    private func draw(_ j: Int, block b: Int, into column: UnsafeMutableBufferPointer<Double>, design: SamplingDesign, uniformsOnly: Bool,
                      scratch: SamplerScratch) {
        let input = inputs[j]
        let distribution = input.value.distribution
        if case .fixed(let v) = distribution {
            column.initialize(repeating: v)
            return
        }
        let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: b, stream: "input:" + input.path))
        if uniformsOnly {
            uniforms(input: j, design, stream, into: column, scratch: scratch)
            return
        }
        switch config.sampling {
        case .random:
            distribution.sample(stream, into: column)
        case .lhs:
            distribution.sampleStratified(stream, into: column, scratch: scratch.permutation)
        case .sobol:
            if let c = design.coordinate[j] {
                scratch.sobol(dimensions: design.sobolInputs.count, count: config.blockSize).randomised(dimension: c, stream: stream, into: column)
                distribution.bulkQuantile.map(column)
            } else {
                distribution.sampleStratified(stream, into: column, scratch: scratch.permutation)
            }
        }
    }

    /// Input j's uniforms on (0, 1) under the run's sampling method, for the Gaussian copula: GSL
    /// uniforms (`random`), one per stratum in shuffled order (`lhs`, as `sampleStratified` draws
    /// them), or a randomised Sobol coordinate (`sobol`, LHS past the 40th input).
    private func uniforms(input j: Int, _ design: SamplingDesign, _ stream: RandomStream, into column: UnsafeMutableBufferPointer<Double>, scratch: SamplerScratch) {
        switch (config.sampling, design.coordinate[j]) {
        case (.random, _):
            stream.fillUniform(column)
        case (.sobol, let c?):
            scratch.sobol(dimensions: design.sobolInputs.count, count: config.blockSize).randomised(dimension: c, stream: stream, into: column)
        case (.lhs, _), (.sobol, nil):
            Distribution.stratifiedUniforms(stream, into: column, scratch: scratch.permutation)
        }
    }
}

/// Per-worker buffers, allocated once per worker and reused for every block.
final class SamplerScratch {
    let inputs: UnsafeMutableBufferPointer<Double>
    let permutation: UnsafeMutableBufferPointer<Int32>
    /// Buffers for imposing correlations.
    let correlation = CorrelationScratch()
    private var net: SobolNet?

    init(inputs: Int, blockSize: Int) {
        self.inputs = .allocate(capacity: max(1, inputs * blockSize))
        self.permutation = .allocate(capacity: blockSize)
    }

    /// The worker's Sobol net (built on first use; the same in every worker).
    func sobol(dimensions: Int, count: Int) -> SobolNet {
        if let net, net.dimensions == dimensions, net.count == count { return net }
        let made = SobolNet(dimensions: dimensions, count: count)
        net = made
        return made
    }

    func free() {
        inputs.deallocate()
        permutation.deallocate()
    }
}
