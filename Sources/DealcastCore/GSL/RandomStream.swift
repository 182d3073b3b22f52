internal import CGSL

/// The random number generators that Dealcast can use, all from GSL.
///
/// The default is `taus2`: L'Ecuyer's maximally equidistributed combined Tausworthe generator
/// (period 2^88). It is among GSL's fastest (about 1.7 ns per uniform against 6.8 ns for mt19937 on
/// this project's machines), passes the standard batteries used for simulation work, and is seeded in
/// a few instructions, which matters because every block of every input gets a freshly seeded
/// generator. See docs/engine.md.
public enum GeneratorKind: String, CaseIterable, Sendable, Codable {
    case taus2
    case mt19937
    case gfsr4
    case ranlxd2
    case ranlxs0
    case mrg

    /// The name GSL gives the generator, as printed in reports.
    public var gslName: String { rawValue }

    var gslType: UnsafePointer<gsl_rng_type> {
        switch self {
        case .taus2: return cgsl_rng_taus2()
        case .mt19937: return cgsl_rng_mt19937()
        case .gfsr4: return cgsl_rng_gfsr4()
        case .ranlxd2: return cgsl_rng_ranlxd2()
        case .ranlxs0: return cgsl_rng_ranlxs0()
        case .mrg: return cgsl_rng_mrg()
        }
    }
}

/// A seeded GSL generator owned by one block of work.
///
/// A stream is not `Sendable`: the engine creates one inside the task that uses it and drops it at the
/// end of the block. Modules draw from the stream handed to them and from nothing else; that is what
/// makes a run reproducible at any thread count.
public final class RandomStream {
    private let rng: UnsafeMutablePointer<gsl_rng>

    /// Creates a generator of the given kind, seeded with `seed`.
    public init(kind: GeneratorKind, seed: UInt64) {
        _ = GSL.errorHandlerDisabled
        guard let rng = gsl_rng_alloc(kind.gslType) else {
            fatalError("out of memory allocating a GSL generator")
        }
        self.rng = rng
        // GSL treats seed 0 as "use the default seed"; fold the 64-bit seed so that 0 never reaches it.
        let folded = UInt(truncatingIfNeeded: seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed)
        gsl_rng_set(rng, folded)
    }

    deinit { gsl_rng_free(rng) }

    /// A uniform draw on [0, 1).
    public func uniform() -> Double { gsl_rng_uniform(rng) }

    /// A uniform draw on (0, 1), never exactly 0 (safe for logarithms and inverse CDFs).
    public func uniformPositive() -> Double { gsl_rng_uniform_pos(rng) }

    /// A standard normal draw (GSL's ziggurat sampler).
    public func standardNormal() -> Double { gsl_ran_gaussian_ziggurat(rng, 1.0) }

    /// Fills `buffer` with uniform draws on (0, 1): `uniformPositive()` for each element in order.
    ///
    /// The loop calls the generator's `get_double` through its type, as `gsl_rng_uniform_pos` does
    /// (GSL 2.7, gsl_rng.h: draw `get_double(state)` again while it is exactly 0), without a call into
    /// the library per element; the draws are the same numbers in the same order.
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard let getDouble = rng.pointee.type.pointee.get_double else {
            for i in buffer.indices { buffer[i] = gsl_rng_uniform_pos(rng) }
            return
        }
        let state = rng.pointee.state
        for i in buffer.indices {
            var x = getDouble(state)
            while x == 0 { x = getDouble(state) }
            buffer[i] = x
        }
    }

    /// Fills `buffer` with standard normal draws (ziggurat).
    public func fillStandardNormal(_ buffer: UnsafeMutableBufferPointer<Double>) {
        for i in buffer.indices { buffer[i] = gsl_ran_gaussian_ziggurat(rng, 1.0) }
    }

    /// A Bernoulli draw: 1 with probability `p`, else 0.
    public func bernoulli(_ p: Double) -> Double { gsl_rng_uniform(rng) < p ? 1 : 0 }

    /// A draw from Gamma(shape, scale) (GSL's Marsaglia–Tsang sampler).
    public func gamma(shape: Double, scale: Double) -> Double { gsl_ran_gamma(rng, shape, scale) }

    /// A draw from Beta(a, b).
    public func beta(_ a: Double, _ b: Double) -> Double { gsl_ran_beta(rng, a, b) }

    /// A draw from Lognormal(mu, sigma).
    public func lognormal(mu: Double, sigma: Double) -> Double { gsl_ran_lognormal(rng, mu, sigma) }

    /// A draw from an exponential distribution with the given mean.
    public func exponential(mean: Double) -> Double { gsl_ran_exponential(rng, mean) }

    /// A draw from a Dirichlet distribution with parameters `alpha`, written into `into`.
    public func dirichlet(_ alpha: [Double], into: inout [Double]) {
        precondition(alpha.count == into.count)
        alpha.withUnsafeBufferPointer { a in
            into.withUnsafeMutableBufferPointer { t in
                gsl_ran_dirichlet(rng, alpha.count, a.baseAddress, t.baseAddress)
            }
        }
    }

    /// Shuffles `buffer` in place into exactly the permutation that GSL's `gsl_ran_shuffle` gives,
    /// drawing exactly the same numbers from the generator in the same order.
    ///
    /// Why not call `gsl_ran_shuffle`: it swaps elements byte by byte through a generic element size
    /// and reaches the generator through `gsl_rng_uniform_int`, which it pays for every step; with
    /// Latin hypercube sampling that is a shuffle of 4096 strata for every input of every block, about
    /// 6% of a run. This loop does the same thing on `Int32`s.
    ///
    /// What GSL does (GSL 2.7, randist/shuffle.c and the inline `gsl_rng_uniform_int` of gsl_rng.h):
    /// for i = n − 1 down to 1, j = `gsl_rng_uniform_int(r, i + 1)`, then swap elements i and j.
    /// `gsl_rng_uniform_int(r, m)` with offset = type.min and range = type.max − offset computes
    /// scale = range / m (integer division), then repeats k = (get(state) − offset) / scale until
    /// k < m, and returns k; when m > range it reports an error and returns 0 (the error handler is
    /// off here, `GSL.errorHandlerDisabled`). The loop below performs those same integer operations
    /// on the same `unsigned long` values, calling the generator's own `get` through its type, so
    /// both the permutation and the generator's state afterwards are identical to GSL's (checked
    /// against `gsl_ran_shuffle` for every generator kind in `RandomStreamTests`).
    public func shuffle(_ buffer: UnsafeMutableBufferPointer<Int32>) {
        guard buffer.count > 1, let base = buffer.baseAddress else { return }
        let type = rng.pointee.type.pointee
        guard let get = type.get else {
            gsl_ran_shuffle(rng, base, buffer.count, MemoryLayout<Int32>.stride)
            return
        }
        let state = rng.pointee.state
        let offset = type.min, range = type.max &- offset
        var i = buffer.count - 1
        while i > 0 {
            let m = UInt(i + 1)
            var j: UInt = 0
            if m <= range {
                let scale = range / m
                repeat { j = (get(state) &- offset) / scale } while j >= m
            }
            let k = Int(j)
            if k != i {
                let t = base[i]
                base[i] = base[k]
                base[k] = t
            }
            i -= 1
        }
    }

    /// GSL's own shuffle, kept to check `shuffle` against (`RandomStreamTests`).
    func gslShuffle(_ buffer: UnsafeMutableBufferPointer<Int32>) {
        guard buffer.count > 1 else { return }
        gsl_ran_shuffle(rng, buffer.baseAddress, buffer.count, MemoryLayout<Int32>.stride)
    }

    /// Escape hatch for the distribution samplers in this module.
    var pointer: UnsafeMutablePointer<gsl_rng> { rng }
}
