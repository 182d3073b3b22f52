/// Draws the input matrix of one block: one column per bound input, one row per trial.
///
/// Input j's column in block b is drawn from a generator seeded by (run seed, b, "input:" + path),
/// so it depends on nothing else: not on the thread, not on the other inputs.
struct Sampler {
    let inputs: [BoundInput]
    let config: RunConfiguration

    /// Fills `matrix` (input-major: column j at j·n) for the `n` trials of block `b`.
    func fill(block b: Int, count n: Int, into matrix: UnsafeMutableBufferPointer<Double>, scratch: SamplerScratch) {
        for (j, input) in inputs.enumerated() {
            let column = UnsafeMutableBufferPointer(rebasing: matrix[j * n ..< (j + 1) * n])
            if case .fixed(let v) = input.value.distribution {
                column.initialize(repeating: v)
                continue
            }
            let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: b, stream: "input:" + input.path))
            switch config.sampling {
            case .random: input.value.distribution.sample(stream, into: column)
            case .lhs: input.value.distribution.sampleStratified(stream, into: column, scratch: scratch.permutation)
            }
        }
    }
}

/// Per-worker buffers, allocated once per worker and reused for every block.
final class SamplerScratch {
    let inputs: UnsafeMutableBufferPointer<Double>
    let permutation: UnsafeMutableBufferPointer<Int32>

    init(inputs: Int, blockSize: Int) {
        self.inputs = .allocate(capacity: max(1, inputs * blockSize))
        self.permutation = .allocate(capacity: blockSize)
    }

    func free() {
        inputs.deallocate()
        permutation.deallocate()
    }
}
