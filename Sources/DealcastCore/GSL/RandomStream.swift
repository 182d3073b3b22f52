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

    /// A draw from a Dirichlet distribution with parameters `alpha`, written into `into` (as many
    /// values): the same draw as `dirichlet(_:into:)`, from buffers the caller keeps for a whole
    /// block, so that a module drawing one per trial does not pass arrays across modules each time.
    public func dirichlet(_ alpha: UnsafeBufferPointer<Double>, into: UnsafeMutableBufferPointer<Double>) {
        precondition(alpha.count == into.count)
        gsl_ran_dirichlet(rng, alpha.count, alpha.baseAddress, into.baseAddress)
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
    /// off here, `GSL.errorHandlerDisabled`). The loop below computes those same quotients from the
    /// same `unsigned long` values (by an exact reciprocal where `ShuffleReciprocals` has one, by
    /// division otherwise), calling the generator's own `get` through its type, so
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
        // Steps whose m has an exact reciprocal (`ShuffleReciprocals`) take the quotient from one
        // multiplication; the others divide as GSL does. m ≤ 4096 < range in the table, so GSL's
        // m > range case only arises on the dividing path.
        let reciprocal = ShuffleReciprocals.table
        let tabled = range == ShuffleReciprocals.range ? UInt(reciprocal.count - 1) : 0
        var i = buffer.count - 1
        while i > 0 {
            let m = UInt(i + 1)
            var j: UInt = 0
            if m <= tabled {
                let c = reciprocal[i + 1]
                repeat { j = UInt(c.multipliedFullWidth(by: UInt64(get(state) &- offset)).high) } while j >= m
            } else if m <= range {
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

/// Exact reciprocals that let `RandomStream.shuffle` take GSL's quotients without dividing.
///
/// Each step of the shuffle divides twice: scale = range / m, then (get − offset) / scale. Both are
/// 64-bit integer divisions, tens of cycles each, and there are two per stratum of every Latin
/// hypercube column. For the generators whose outputs span exactly 32 bits (range = 2^32 − 1: taus2,
/// the default, and mt19937, gfsr4, ranlxd2) the table holds, for each m, c_m = ⌈2^64 / scale_m⌉.
/// Then for every x < 2^32, ⌊x / scale_m⌋ = ⌊c_m · x / 2^64⌋, the high word of one 64 × 64-bit
/// product: with c_m = 2^64 / scale_m + e, 0 ≤ e < 1, the product over 2^64 is x / scale_m plus less
/// than 2^−32, and x / scale_m sits at least 1 / scale_m > 2^−32 below the next integer (Lemire,
/// Kaser and Kurz, "Faster remainder by direct computation", 2019). So the quotients, the rejections,
/// the permutation and the generator's state are GSL's (`RandomStreamTests` compares them for every
/// generator kind). Built once per process, for m up to a block's 4096 strata; larger m divide.
enum ShuffleReciprocals {
    /// The generator range the table is for.
    static let range: UInt = 0xFFFF_FFFF
    /// c_m at index m, for m = 2 ... 4096 (indices 0 and 1 unused).
    static let table: [UInt64] = (0 ... 4096).map { m in
        guard m >= 2 else { return 0 }
        let scale = UInt64(range) / UInt64(m)
        // ⌈2^64 / scale⌉ = ⌊(2^64 − 1) / scale⌋ + 1 for scale ≥ 2 (exact when scale divides 2^64 too).
        return UInt64.max / scale + 1
    }
}
