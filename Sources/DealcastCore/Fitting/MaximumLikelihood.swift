internal import CGSL
import Foundation

/// The families `dealcast fit` tries, in the order it tries them.
public enum FitFamily: String, Sendable, CaseIterable {
    case normal, lognormal, gamma, exponential, beta, uniform, triangular, pert

    /// Free parameters (k in AIC = 2k − 2 ln L).
    public var parameterCount: Int {
        switch self {
        case .exponential: return 1
        case .normal, .lognormal, .gamma, .beta, .uniform: return 2
        case .triangular, .pert: return 3
        }
    }
}

/// A maximum-likelihood estimate of one family on one data set.
struct Estimate {
    let distribution: Distribution
    let logLikelihood: Double
    /// How the maximum was found, for the report.
    let method: String
    /// False when the optimiser stopped on its iteration budget.
    let converged: Bool
}

/// Maximum-likelihood estimators, one per family, on data sorted ascending. Each returns nil when the
/// optimiser found nothing finite; the caller has already checked the family's support.
enum MaximumLikelihood {
    static let halfLog2Pi = 0.5 * log(2 * Double.pi)

    /// Closed form: μ̂ = mean, σ̂² = Σ(x − μ̂)²/n.
    static func normal(_ x: [Double]) -> Estimate? {
        let n = Double(x.count)
        let m = x.reduce(0, +) / n
        let ss = x.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        let s = (ss / n).squareRoot()
        guard s > 0 else { return nil }
        return Estimate(distribution: .normal(mean: m, sd: s), logLikelihood: -n * (log(s) + halfLog2Pi + 0.5),
                        method: "closed form", converged: true)
    }

    /// Closed form on the logs: μ̂ and σ̂ of log x; ln L adds the Jacobian −Σ log x.
    static func lognormal(_ x: [Double]) -> Estimate? {
        let logs = x.map { log($0) }
        guard let fit = normal(logs), case .normal(let mu, let sigma) = fit.distribution else { return nil }
        return Estimate(distribution: .lognormal(mu: mu, sigma: sigma), logLikelihood: fit.logLikelihood - logs.reduce(0, +),
                        method: "closed form", converged: true)
    }

    /// Closed form: θ̂ = mean.
    static func exponential(_ x: [Double]) -> Estimate? {
        let n = Double(x.count), m = x.reduce(0, +) / n
        guard m > 0 else { return nil }
        return Estimate(distribution: .gamma(shape: 1, scale: m), logLikelihood: -n * (log(m) + 1), method: "closed form", converged: true)
    }

    /// k̂ solves log k − ψ(k) = log(mean) − mean(log x) (GSL's Brent solver, digamma `gsl_sf_psi`);
    /// then θ̂ = mean / k̂.
    static func gamma(_ x: [Double]) -> Estimate? {
        _ = GSL.errorHandlerDisabled
        let n = Double(x.count), m = x.reduce(0, +) / n
        let meanLog = x.reduce(0) { $0 + log($1) } / n
        let s = log(m) - meanLog
        guard s > 0, s.isFinite else { return nil }
        // Minka's approximation starts the bracket; log k − ψ(k) decreases from +∞ to 0.
        let k0 = (3 - s + ((s - 3) * (s - 3) + 24 * s).squareRoot()) / (12 * s)
        var lo = k0 / 2, hi = k0 * 2
        let g = { (k: Double) in log(k) - gsl_sf_psi(k) - s }
        while g(lo) < 0 && lo > 1e-12 { lo /= 4 }
        while g(hi) > 0 && hi < 1e12 { hi *= 4 }
        guard let k = RootFinding.brent(lower: lo, upper: hi, tolerance: 1e-13 * k0, g) else { return nil }
        let theta = m / k
        let ll = (k - 1) * n * meanLog - n * m / theta - n * gsl_sf_lngamma(k) - n * k * log(theta)
        return Estimate(distribution: .gamma(shape: k, scale: theta), logLikelihood: ll, method: "profile likelihood, GSL Brent root", converged: true)
    }

    /// Nelder–Mead on (log α, log β), started from the method of moments. Data strictly inside (0, 1).
    static func beta(_ x: [Double]) -> Estimate? {
        let n = Double(x.count)
        let sLog = x.reduce(0) { $0 + log($1) }, sLog1m = x.reduce(0) { $0 + log1p(-$1) }
        let m = x.reduce(0, +) / n
        let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
        let common = v > 0 ? m * (1 - m) / v - 1 : 1
        let (a0, b0) = common > 0 ? (m * common, (1 - m) * common) : (1, 1)
        let nll = { (p: [Double]) -> Double in
            let a = exp(p[0]), b = exp(p[1])
            return -((a - 1) * sLog + (b - 1) * sLog1m - n * gsl_sf_lnbeta(a, b))
        }
        guard let r = Minimize.nelderMead(start: [log(a0), log(b0)], step: [0.2, 0.2], tolerance: 1e-7, nll) else { return nil }
        return Estimate(distribution: .beta(alpha: exp(r.point[0]), beta: exp(r.point[1])), logLikelihood: -r.value,
                        method: "GSL Nelder–Mead (nmsimplex2), \(r.iterations) iterations", converged: r.converged)
    }

    /// Closed form: the sample's minimum and maximum.
    static func uniform(_ x: [Double]) -> Estimate? {
        let a = x[0], b = x[x.count - 1]
        guard b > a else { return nil }
        return Estimate(distribution: .uniform(min: a, max: b), logLikelihood: -Double(x.count) * log(b - a), method: "closed form (sample range)", converged: true)
    }

    /// Bounds below the minimum and above the maximum: min − R·e^t₁ and max + R·e^t₂, R the range.
    /// t is clamped to [−25, 3] so the bounds stay finite and distinct from the data.
    static func bounds(_ x: [Double], _ t1: Double, _ t2: Double) -> (Double, Double) {
        let r = x[x.count - 1] - x[0]
        return (x[0] - r * exp(Swift.min(3, Swift.max(-25, t1))), x[x.count - 1] + r * exp(Swift.min(3, Swift.max(-25, t2))))
    }

    /// Triangular, by search: Nelder–Mead over the bounds (a, b), and for given bounds the exact best
    /// mode, which is always one of the observations (Oliver 1972), found in O(n) with running sums.
    static func triangular(_ x: [Double]) -> Estimate? {
        let n = x.count
        var logU = [Double](repeating: 0, count: n), suffix = [Double](repeating: 0, count: n + 1)
        // Profile log-likelihood over the mode for bounds (a, b); returns (ln L, mode).
        func profile(_ a: Double, _ b: Double) -> (Double, Double) {
            let len = b - a
            for i in 0 ..< n { logU[i] = log((x[i] - a) / len) }
            suffix[n] = 0
            for i in stride(from: n - 1, through: 0, by: -1) { suffix[i] = suffix[i + 1] + log((b - x[i]) / len) }
            var best = -Double.infinity, mode = x[0], prefix = 0.0
            for r in 0 ..< n {
                prefix += logU[r]
                let m = (x[r] - a) / len
                // Points up to r rise towards the mode at x[r]; the rest fall from it.
                let ll = prefix - Double(r + 1) * log(m) + suffix[r + 1] - Double(n - r - 1) * log1p(-m)
                if ll > best { best = ll; mode = x[r] }
            }
            return (best + Double(n) * log(2 / len), mode)
        }
        let nll = { (p: [Double]) -> Double in
            let (a, b) = bounds(x, p[0], p[1])
            return -profile(a, b).0
        }
        var found: Minimize.Result?
        for t in [log(0.01), log(0.1), log(0.5)] {
            guard let r = Minimize.nelderMead(start: [t, t], step: [0.5, 0.5], nll) else { continue }
            if found == nil || r.value < found!.value { found = r }
        }
        guard let r = found else { return nil }
        let (a, b) = bounds(x, r.point[0], r.point[1])
        let (ll, mode) = profile(a, b)
        return Estimate(distribution: .triangular(min: a, mode: mode, max: b), logLikelihood: ll,
                        method: "GSL Nelder–Mead (nmsimplex2) on the bounds, exact mode", converged: r.converged)
    }

    /// PERT: Nelder–Mead over (t₁, t₂, t₃) with bounds as in `bounds` and the mode at
    /// a + (b − a)/(1 + e^−t₃); several starts, the best kept.
    static func pert(_ x: [Double]) -> Estimate? {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        func parameters(_ p: [Double]) -> (Double, Double, Double) {
            let (a, b) = bounds(x, p[0], p[1])
            return (a, a + (b - a) / (1 + exp(-p[2])), b)
        }
        let nll = { (p: [Double]) -> Double in
            let (a, m, b) = parameters(p)
            let (al, be) = Distribution.pertShape(a, m, b)
            let len = b - a
            var s = 0.0
            for v in x { s += (al - 1) * log((v - a) / len) + (be - 1) * log((b - v) / len) }
            return -(s - n * (gsl_sf_lnbeta(al, be) + log(len)))
        }
        var found: Minimize.Result?
        for e in [0.02, 0.1, 0.5] {
            let (a, b) = bounds(x, log(e), log(e))
            // PERT's mean is (a + 4m + b)/6: start the mode there, kept inside the bounds.
            let m = Swift.min(b - 0.01 * (b - a), Swift.max(a + 0.01 * (b - a), (6 * mean - a - b) / 4))
            let u = (m - a) / (b - a)
            guard let r = Minimize.nelderMead(start: [log(e), log(e), log(u / (1 - u))], step: [0.5, 0.5, 0.5], nll) else { continue }
            if found == nil || r.value < found!.value { found = r }
        }
        guard let r = found else { return nil }
        let (a, m, b) = parameters(r.point)
        return Estimate(distribution: .pert(min: a, mode: m, max: b), logLikelihood: -r.value,
                        method: "GSL Nelder–Mead (nmsimplex2)", converged: r.converged)
    }
}
