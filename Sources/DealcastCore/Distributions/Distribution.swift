internal import CGSL
import Foundation

/// An uncertain input: one of the catalogue's distributions, over a value with a dimension.
///
/// Parameters are stored in the dimension's canonical unit. Every distribution can be sampled
/// directly with a GSL sampler (`sample`) and by inverse CDF (`quantile`), which stratified sampling
/// needs; `cdf`, `mean` and `variance` are closed forms, used by the tests and the report.
public indirect enum Distribution: Sendable, Hashable {
    case fixed(Double)
    case uniform(min: Double, max: Double)
    case normal(mean: Double, sd: Double)
    /// Lognormal with the parameters of the underlying normal.
    case lognormal(mu: Double, sigma: Double)
    case triangular(min: Double, mode: Double, max: Double)
    /// PERT: a beta on [min, max] with shape 1 + 4(mode − min)/(max − min), 1 + 4(max − mode)/(max − min).
    case pert(min: Double, mode: Double, max: Double)
    /// Beta on [0, 1].
    case beta(alpha: Double, beta: Double)
    case gamma(shape: Double, scale: Double)
    case bernoulli(p: Double)
    /// Finite values with probabilities (normalised, summing to 1).
    case discrete(values: [Double], probabilities: [Double])
    /// `base` restricted to [lower, upper] (either may be infinite), sampled by inverse CDF.
    case truncated(base: Distribution, lower: Double, upper: Double)
    /// The empirical distribution of observed values (sorted ascending), each equally likely.
    case empirical(sorted: [Double])

    /// z such that Φ(z) = 0.95, for lognormals written as a 90% interval.
    public static let z95 = 1.6448536269514722

    /// A lognormal with the given mean and standard deviation (of the variable, not of its log).
    public static func lognormal(mean: Double, sd: Double) -> Distribution {
        let s2 = log1p((sd * sd) / (mean * mean))
        return .lognormal(mu: log(mean) - s2 / 2, sigma: s2.squareRoot())
    }

    /// A lognormal whose 5th and 95th percentiles are `p5` and `p95` (Squiggle's "a to b").
    public static func lognormal(p5: Double, p95: Double) -> Distribution {
        let mu = (log(p5) + log(p95)) / 2
        return .lognormal(mu: mu, sigma: (log(p95) - log(p5)) / (2 * z95))
    }

    /// True for a distribution whose every draw is the same number.
    public var isFixed: Bool {
        if case .fixed = self { return true }
        return false
    }

    /// PERT's beta shape parameters.
    static func pertShape(_ a: Double, _ m: Double, _ b: Double) -> (Double, Double) {
        let r = b - a
        return (1 + 4 * (m - a) / r, 1 + 4 * (b - m) / r)
    }

    // MARK: Moments

    /// The mean, in closed form.
    public var mean: Double {
        switch self {
        case .fixed(let v): return v
        case .uniform(let a, let b): return (a + b) / 2
        case .normal(let m, _): return m
        case .lognormal(let mu, let s): return exp(mu + s * s / 2)
        case .triangular(let a, let c, let b): return (a + b + c) / 3
        case .pert(let a, let m, let b): return (a + 4 * m + b) / 6
        case .beta(let a, let b): return a / (a + b)
        case .gamma(let k, let t): return k * t
        case .bernoulli(let p): return p
        case .discrete(let v, let p): return zip(v, p).reduce(0) { $0 + $1.0 * $1.1 }
        case .empirical(let xs): return xs.reduce(0, +) / Double(xs.count)
        case .truncated:
            return numericMoment(1)
        }
    }

    /// The variance, in closed form (numerically integrated for truncated forms).
    public var variance: Double {
        switch self {
        case .fixed: return 0
        case .uniform(let a, let b): return (b - a) * (b - a) / 12
        case .normal(_, let s): return s * s
        case .lognormal(let mu, let s): return (exp(s * s) - 1) * exp(2 * mu + s * s)
        case .triangular(let a, let c, let b): return (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        case .pert(let a, _, let b):
            let (al, be) = Self.pertShape(a, pertMode, b)
            return (b - a) * (b - a) * al * be / ((al + be) * (al + be) * (al + be + 1))
        case .beta(let a, let b): return a * b / ((a + b) * (a + b) * (a + b + 1))
        case .gamma(let k, let t): return k * t * t
        case .bernoulli(let p): return p * (1 - p)
        case .discrete(let v, let p):
            let m = mean
            return zip(v, p).reduce(0) { $0 + $1.1 * ($1.0 - m) * ($1.0 - m) }
        case .empirical(let xs):
            let m = mean
            return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)
        case .truncated:
            let m = numericMoment(1)
            return numericMoment(2) - m * m
        }
    }

    private var pertMode: Double {
        if case .pert(_, let m, _) = self { return m }
        return .nan
    }

    /// E[X^k] by the quantile function: ∫₀¹ Q(u)^k du, midpoint rule on 200 000 points.
    /// Used only for truncated forms, where no closed form is worth carrying.
    private func numericMoment(_ k: Int) -> Double {
        let n = 200_000
        var s = 0.0
        for i in 0..<n {
            let q = quantile((Double(i) + 0.5) / Double(n))
            s += k == 1 ? q : q * q
        }
        return s / Double(n)
    }

    // MARK: CDF and quantile

    /// P(X ≤ x).
    public func cdf(_ x: Double) -> Double {
        _ = GSL.errorHandlerDisabled
        switch self {
        case .fixed(let v): return x >= v ? 1 : 0
        case .uniform(let a, let b): return x <= a ? 0 : (x >= b ? 1 : gsl_cdf_flat_P(x, a, b))
        case .normal(let m, let s): return gsl_cdf_gaussian_P(x - m, s)
        case .lognormal(let mu, let s): return x <= 0 ? 0 : gsl_cdf_lognormal_P(x, mu, s)
        case .triangular(let a, let c, let b):
            if x <= a { return 0 }
            if x >= b { return 1 }
            if x <= c { return (x - a) * (x - a) / ((b - a) * (c - a)) }
            return 1 - (b - x) * (b - x) / ((b - a) * (b - c))
        case .pert(let a, let m, let b):
            if x <= a { return 0 }
            if x >= b { return 1 }
            let (al, be) = Self.pertShape(a, m, b)
            return gsl_cdf_beta_P((x - a) / (b - a), al, be)
        case .beta(let a, let b): return x <= 0 ? 0 : (x >= 1 ? 1 : gsl_cdf_beta_P(x, a, b))
        case .gamma(let k, let t): return x <= 0 ? 0 : gsl_cdf_gamma_P(x, k, t)
        case .bernoulli(let p): return x < 0 ? 0 : (x < 1 ? 1 - p : 1)
        case .discrete(let v, let p):
            var c = 0.0
            for (vi, pi) in zip(v, p) where vi <= x { c += pi }
            return min(c, 1)
        case .empirical(let xs):
            var lo = 0, hi = xs.count
            while lo < hi { let mid = (lo + hi) / 2; if xs[mid] <= x { lo = mid + 1 } else { hi = mid } }
            return Double(lo) / Double(xs.count)
        case .truncated(let base, let lower, let upper):
            if x <= lower { return 0 }
            if x >= upper { return 1 }
            let fl = lower.isFinite ? base.cdf(lower) : 0
            let fu = upper.isFinite ? base.cdf(upper) : 1
            return (base.cdf(x) - fl) / (fu - fl)
        }
    }

    /// The probability density at x, for the continuous forms (GSL's `gsl_ran_*_pdf`); nan for fixed,
    /// bernoulli, discrete and empirical, which have none. Used to build `QuantileTable`s.
    func density(_ x: Double) -> Double {
        _ = GSL.errorHandlerDisabled
        switch self {
        case .fixed, .bernoulli, .discrete, .empirical: return .nan
        case .uniform(let a, let b): return gsl_ran_flat_pdf(x, a, b)
        case .normal(let m, let s): return gsl_ran_gaussian_pdf(x - m, s)
        case .lognormal(let mu, let s): return x <= 0 ? 0 : gsl_ran_lognormal_pdf(x, mu, s)
        case .triangular(let a, let c, let b):
            if x < a || x > b { return 0 }
            return x < c ? 2 * (x - a) / ((b - a) * (c - a)) : (x > c ? 2 * (b - x) / ((b - a) * (b - c)) : 2 / (b - a))
        case .pert(let a, let m, let b):
            if x < a || x > b { return 0 }
            let (al, be) = Self.pertShape(a, m, b)
            return gsl_ran_beta_pdf((x - a) / (b - a), al, be) / (b - a)
        case .beta(let a, let b): return x < 0 || x > 1 ? 0 : gsl_ran_beta_pdf(x, a, b)
        case .gamma(let k, let t): return x < 0 ? 0 : gsl_ran_gamma_pdf(x, k, t)
        case .truncated(let base, let lower, let upper):
            if x < lower || x > upper { return 0 }
            let fl = lower.isFinite ? base.cdf(lower) : 0
            let fu = upper.isFinite ? base.cdf(upper) : 1
            return base.density(x) / (fu - fl)
        }
    }

    /// The inverse CDF: the smallest x with P(X ≤ x) ≥ u, for u in (0, 1).
    public func quantile(_ u: Double) -> Double {
        _ = GSL.errorHandlerDisabled
        switch self {
        case .fixed(let v): return v
        case .uniform(let a, let b): return gsl_cdf_flat_Pinv(u, a, b)
        case .normal(let m, let s): return m + gsl_cdf_gaussian_Pinv(u, s)
        case .lognormal(let mu, let s): return gsl_cdf_lognormal_Pinv(u, mu, s)
        case .triangular(let a, let c, let b):
            let fc = (c - a) / (b - a)
            return u < fc ? a + ((b - a) * (c - a) * u).squareRoot() : b - ((b - a) * (b - c) * (1 - u)).squareRoot()
        case .pert(let a, let m, let b):
            let (al, be) = Self.pertShape(a, m, b)
            return a + (b - a) * gsl_cdf_beta_Pinv(u, al, be)
        case .beta(let a, let b): return gsl_cdf_beta_Pinv(u, a, b)
        case .gamma(let k, let t): return gsl_cdf_gamma_Pinv(u, k, t)
        case .bernoulli(let p): return u < 1 - p ? 0 : 1
        case .discrete(let v, let p):
            var c = 0.0
            for (vi, pi) in zip(v, p) {
                c += pi
                if u < c { return vi }
            }
            return v[v.count - 1]
        case .empirical(let xs):
            return xs[min(xs.count - 1, Int(u * Double(xs.count)))]
        case .truncated(let base, let lower, let upper):
            let fl = lower.isFinite ? base.cdf(lower) : 0
            let fu = upper.isFinite ? base.cdf(upper) : 1
            return Swift.min(upper, Swift.max(lower, base.quantile(fl + u * (fu - fl))))
        }
    }

    // MARK: Sampling

    /// Fills `out` with independent draws, using GSL's samplers where GSL has one.
    ///
    /// Triangular, discrete, empirical and truncated forms are drawn by inverse CDF of a GSL
    /// uniform, which needs no rejection loop and so draws a fixed count of numbers per trial.
    public func sample(_ stream: RandomStream, into out: UnsafeMutableBufferPointer<Double>) {
        let r = stream.pointer
        switch self {
        case .fixed(let v): for i in out.indices { out[i] = v }
        case .uniform(let a, let b): for i in out.indices { out[i] = gsl_ran_flat(r, a, b) }
        case .normal(let m, let s): for i in out.indices { out[i] = m + gsl_ran_gaussian_ziggurat(r, s) }
        case .lognormal(let mu, let s): for i in out.indices { out[i] = exp(mu + gsl_ran_gaussian_ziggurat(r, s)) }
        case .pert(let a, let m, let b):
            let (al, be) = Self.pertShape(a, m, b)
            for i in out.indices { out[i] = a + (b - a) * gsl_ran_beta(r, al, be) }
        case .beta(let a, let b): for i in out.indices { out[i] = gsl_ran_beta(r, a, b) }
        case .gamma(let k, let t): for i in out.indices { out[i] = gsl_ran_gamma(r, k, t) }
        case .bernoulli(let p): for i in out.indices { out[i] = gsl_rng_uniform(r) < p ? 1 : 0 }
        case .triangular, .discrete, .empirical, .truncated:
            for i in out.indices { out[i] = quantile(gsl_rng_uniform_pos(r)) }
        }
    }

    /// Fills `out` with a Latin hypercube sample: one draw in each of `out.count` equal-probability
    /// strata, in random order, mapped through the inverse CDF.
    ///
    /// The uniforms are `stratifiedUniforms`; the map is `bulkQuantile`, which for PERT, beta, gamma and
    /// their truncated forms is a `QuantileTable` with |F(x) − u| ≤ 10⁻¹⁰ for each draw x of uniform u
    /// (so each draw lies in its stratum up to that bound), and the exact `quantile` otherwise.
    /// - Parameter scratch: at least `out.count` integers, overwritten.
    /// - Complexity: O(n), n = `out.count`.
    public func sampleStratified(_ stream: RandomStream, into out: UnsafeMutableBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Int32>) {
        if case .fixed(let v) = self {
            for i in out.indices { out[i] = v }
            return
        }
        Self.stratifiedUniforms(stream, into: out, scratch: scratch)
        bulkQuantile.map(out)
    }

    /// Fills `out` with one uniform in each of `out.count` equal strata of (0, 1), in random order:
    /// uᵢ = (πᵢ + vᵢ) / n with π a permutation of 0…n−1 shuffled as `gsl_ran_shuffle` shuffles it (`RandomStream.shuffle`) and vᵢ ~ U(0, 1],
    /// kept below 1 (at most 1 − 2⁻⁵³).
    /// - Parameter scratch: at least `out.count` integers, overwritten.
    /// - Complexity: O(n), n = `out.count`.
    static func stratifiedUniforms(_ stream: RandomStream, into out: UnsafeMutableBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Int32>) {
        let n = out.count
        let strata = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< n])
        for i in 0 ..< n { strata[i] = Int32(i) }
        stream.shuffle(strata)
        let width = 1.0 / Double(n)
        // The n uniforms are drawn first, in trial order, then combined with their strata: the same
        // draws in the same order as drawing each inside the loop, without a call per draw.
        stream.fillUniform(out)
        for i in 0 ..< n { out[i] = Swift.min((Double(strata[i]) + out[i]) * width, 1 - 0x1p-53) }
    }
}
