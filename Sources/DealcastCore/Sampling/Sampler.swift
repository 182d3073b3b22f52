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
        for (j, input) in inputs.enumerated() {
            let column = UnsafeMutableBufferPointer(rebasing: matrix[j * n ..< (j + 1) * n])
            let distribution = input.value.distribution
            if case .fixed(let v) = distribution {
                column.initialize(repeating: v)
                continue
            }
            let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: b, stream: "input:" + input.path))
            if copula.contains(j) {
                uniforms(input: j, design, stream, into: column, scratch: scratch)
                continue
            }
            switch config.sampling {
            case .random:
                distribution.sample(stream, into: column)
            case .lhs:
                distribution.sampleStratified(stream, into: column, scratch: scratch.permutation)
            case .sobol:
                if let c = design.coordinate[j] {
                    scratch.sobol(dimensions: design.sobolInputs.count, count: config.blockSize).randomised(dimension: c, stream: stream, into: column)
                    for i in 0 ..< n { column[i] = distribution.quantile(column[i]) }
                } else {
                    distribution.sampleStratified(stream, into: column, scratch: scratch.permutation)
                }
            }
        }
        guard let correlation else { return }
        switch config.correlation {
        case .imanConover:
            ImanConover.rearrange(matrix, count: n, plan: correlation, block: b, config: config, scratch: scratch.correlation)
        case .copula:
            GaussianCopula.apply(matrix, count: n, plan: correlation, inputs: inputs)
        }
    }

    /// Input j's uniforms on (0, 1) under the run's sampling method, for the Gaussian copula: GSL
    /// uniforms (`random`), one per stratum in shuffled order (`lhs`, as `sampleStratified` draws
    /// them), or a randomised Sobol coordinate (`sobol`, LHS past the 40th input).
    private func uniforms(input j: Int, _ design: SamplingDesign, _ stream: RandomStream, into column: UnsafeMutableBufferPointer<Double>, scratch: SamplerScratch) {
        let n = column.count
        switch (config.sampling, design.coordinate[j]) {
        case (.random, _):
            stream.fillUniform(column)
        case (.sobol, let c?):
            scratch.sobol(dimensions: design.sobolInputs.count, count: config.blockSize).randomised(dimension: c, stream: stream, into: column)
        case (.lhs, _), (.sobol, nil):
            let strata = UnsafeMutableBufferPointer(rebasing: scratch.permutation[0 ..< n])
            for i in 0 ..< n { strata[i] = Int32(i) }
            stream.shuffle(strata)
            let width = 1.0 / Double(n)
            for i in 0 ..< n { column[i] = Swift.min((Double(strata[i]) + stream.uniformPositive()) * width, 1 - 0x1p-53) }
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
