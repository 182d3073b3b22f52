internal import CGSL

/// The first points of GSL's Sobol sequence (`gsl_qrng_sobol`), kept as integers so that each block
/// can randomise them exactly.
///
/// GSL's generator works with 30-bit integers: every coordinate it returns is kᵢ / 2³⁰ exactly. It
/// starts from the second point of the sequence (the first is the origin), so the net of `count`
/// points used here is the origin followed by GSL's first `count − 1` points. The first 2ᵐ points of
/// a Sobol sequence form a (t, m, s)-net in base 2: for the block size 4096 = 2¹², every coordinate
/// puts exactly one point in each interval [i/4096, (i+1)/4096), and so on for the boxes of the net.
///
/// A net is built once per worker and only read afterwards.
final class SobolNet {
    /// GSL's limit: "valid up to 40 dimensions" (`gsl_qrng_sobol`).
    static let maxDimensions = 40
    /// Bits of GSL's integers.
    static let bits = 30

    let dimensions: Int
    let count: Int
    /// Dimension-major: coordinate c of point i at c·count + i, as an integer in [0, 2³⁰).
    private let coordinates: UnsafeMutableBufferPointer<UInt32>

    /// The first `count` points in `dimensions` (1…40) dimensions.
    init(dimensions: Int, count: Int) {
        precondition((1 ... Self.maxDimensions).contains(dimensions), "Sobol dimensions must be 1…\(Self.maxDimensions), got \(dimensions)")
        _ = GSL.errorHandlerDisabled
        self.dimensions = dimensions
        self.count = count
        coordinates = .allocate(capacity: max(1, dimensions * count))
        coordinates.initialize(repeating: 0)
        guard count > 1 else { return }
        guard let q = gsl_qrng_alloc(cgsl_qrng_sobol(), UInt32(dimensions)) else { fatalError("out of memory allocating a GSL Sobol generator") }
        defer { gsl_qrng_free(q) }
        var point = [Double](repeating: 0, count: dimensions)
        for i in 1 ..< count {
            let status = point.withUnsafeMutableBufferPointer { gsl_qrng_get(q, $0.baseAddress) }
            precondition(status == GSL_SUCCESS, "gsl_qrng_get failed for \(dimensions) dimensions")
            for c in 0 ..< dimensions { coordinates[c * count + i] = UInt32(point[c] * 0x1p30) }
        }
    }

    deinit { coordinates.deallocate() }

    /// The integer coordinate `c` of point `i` (kᵢ in xᵢ = kᵢ / 2³⁰).
    func integer(point i: Int, dimension c: Int) -> UInt32 { coordinates[c * count + i] }

    /// Fills `out` with coordinate `c` of the first `out.count` points, randomised:
    ///
    ///     uᵢ = ((kᵢ ⊕ m) + vᵢ) / 2³⁰
    ///
    /// with m a random 30-bit mask (a digital shift, drawn once from `stream`) and vᵢ ~ U(0, 1) drawn per
    /// point (filling in the bits below GSL's 30). A digital shift maps a net onto a net, so the block
    /// keeps its stratification; and each uᵢ is exactly uniform on (0, 1), so the block's estimate is
    /// unbiased and blocks are independent replicates. u is kept below 1 (at most 1 − 2⁻⁵³).
    func randomised(dimension c: Int, stream: RandomStream, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count <= count && c < dimensions)
        let mask = UInt32(stream.uniform() * 0x1p30) & ((1 << Self.bits) - 1)
        let base = c * count
        for i in 0 ..< out.count {
            let u = Double(coordinates[base + i] ^ mask) * 0x1p-30 + stream.uniformPositive() * 0x1p-30
            out[i] = Swift.min(u, 1 - 0x1p-53)
        }
    }
}

/// Which inputs a `--sampling sobol` run draws from the Sobol sequence, and which fall back to Latin
/// hypercube sampling.
///
/// The uncertain inputs take Sobol coordinates in binding order (the order in which the modules read
/// them, as in results.json's `inputs`): the first gets coordinate 1, the second coordinate 2, and so
/// on. GSL's Sobol generator has 40 coordinates; inputs after the 40th are drawn by Latin hypercube
/// sampling, which stratifies each of them on its own. Under `random` and `lhs` every input uses that
/// method.
public struct SamplingDesign: Sendable, Equatable {
    public let method: SamplingMethod
    /// Inputs drawn from Sobol coordinates 1, 2, … (empty unless the method is `sobol`).
    public let sobolInputs: [String]
    /// Uncertain inputs past GSL's 40 Sobol coordinates, drawn by Latin hypercube sampling instead.
    public let latinHypercubeFallback: [String]
    /// Sobol coordinate (0-based) of each input index, nil for inputs not drawn from the sequence.
    let coordinate: [Int?]

    /// The design for `inputs` (in binding order) under `method`.
    public init(inputs: [BoundInput], method: SamplingMethod) {
        self.method = method
        var coordinate = [Int?](repeating: nil, count: inputs.count)
        var sobol: [String] = [], fallback: [String] = []
        if method == .sobol {
            for (j, input) in inputs.enumerated() where !input.value.distribution.isFixed {
                if sobol.count < SobolNet.maxDimensions {
                    coordinate[j] = sobol.count
                    sobol.append(input.path)
                } else {
                    fallback.append(input.path)
                }
            }
        }
        self.coordinate = coordinate
        sobolInputs = sobol
        latinHypercubeFallback = fallback
    }

    /// Sobol's limit on the number of inputs drawn from the sequence.
    public static let sobolDimensionLimit = SobolNet.maxDimensions
}
