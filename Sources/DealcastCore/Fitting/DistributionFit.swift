import Foundation

/// One family fitted to the data by maximum likelihood, with its scores.
public struct DistributionFit: Sendable {
    public let family: FitFamily
    /// The fitted distribution, in the data's canonical unit.
    public let distribution: Distribution
    /// The maximised log-likelihood ln L̂ (of the data in canonical units).
    public let logLikelihood: Double
    /// 2k − 2 ln L̂ (Akaike 1974).
    public let aic: Double
    /// k ln n − 2 ln L̂ (Schwarz 1978).
    public let bic: Double
    /// exp(−ΔAIC/2), normalised over the families fitted: the relative support for this family.
    public let akaikeWeight: Double
    public let ks: KolmogorovSmirnov
    /// How the maximum was found.
    public let method: String
    /// False when the optimiser ran out of iterations before converging.
    public let converged: Bool
    /// The `value:` text for a scenario file, in the data's unit; parsing it gives back `distribution`.
    public let snippet: String

    /// The fitted parameters by name, in canonical units (a lognormal gives both its log-scale
    /// parameters and the mean and sd that its snippet uses).
    public var parameters: [(name: String, value: Double)] {
        switch distribution {
        case .normal(let m, let s): return [("mean", m), ("sd", s)]
        case .lognormal(let mu, let sigma):
            return [("mu", mu), ("sigma", sigma), ("mean", distribution.mean), ("sd", distribution.variance.squareRoot())]
        case .gamma(let k, let t): return family == .exponential ? [("scale", t)] : [("shape", k), ("scale", t)]
        case .beta(let a, let b): return [("alpha", a), ("beta", b)]
        case .uniform(let a, let b): return [("min", a), ("max", b)]
        case .triangular(let a, let c, let b), .pert(let a, let c, let b): return [("min", a), ("mode", c), ("max", b)]
        case .fixed, .bernoulli, .discrete, .truncated, .empirical: return []
        }
    }
}

/// The result of fitting every family that applies to a column of data.
public struct FitReport: Sendable {
    /// Observations, and their mean, sd (divisor n − 1), minimum and maximum, in canonical units.
    public let n: Int
    public let mean: Double, sd: Double, min: Double, max: Double
    public let unit: DataUnit
    /// The families fitted, best (lowest) AIC first.
    public let fits: [DistributionFit]
    /// Families not fitted, with the reason (e.g. "needs positive values; the minimum is −3.2").
    public let skipped: [(family: FitFamily, reason: String)]

    /// The family with the lowest BIC.
    public var bestByBIC: DistributionFit? { fits.min { $0.bic < $1.bic } }
}

/// Fits the catalogue's distributions to data by maximum likelihood and ranks them (docs/fit.md).
public enum DistributionFitter {
    /// Fewest observations accepted.
    public static let minimumCount = 5

    /// Fits every family whose support holds the data; ranks them by AIC.
    ///
    /// - Parameters:
    ///   - values: the column's numbers, in `unit` (multiplied by `unit.factor` to canonical units).
    ///   - unit: what one number in the column is worth.
    ///   - source: how to name the data in errors, e.g. "data.csv, column 'capex'".
    ///   - families: the families to try (default: all).
    /// - Throws: `DealcastError` (exit 65) when there are fewer than `minimumCount` values or all are equal.
    /// - Complexity: O(n log n) for the sort plus O(n) per optimiser step for the searched families.
    public static func fit(_ values: [Double], unit: DataUnit = .plain, source: String,
                           families: [FitFamily] = FitFamily.allCases) throws(DealcastError) -> FitReport {
        guard values.count >= minimumCount else {
            throw DealcastError(.invalidData, "\(source): \(values.count) value(s); fitting needs at least \(minimumCount)")
        }
        let x = values.map { $0 * unit.factor }.sorted()
        guard x[0] < x[x.count - 1] else {
            throw DealcastError(.invalidData, "\(source): every value is \(values[0]); there is no spread to fit a distribution to")
        }
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let sd = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        var estimates: [(FitFamily, Estimate)] = [], skipped: [(FitFamily, String)] = []
        for family in FitFamily.allCases where families.contains(family) {
            if let reason = unsupported(family, x, unit) { skipped.append((family, reason)); continue }
            guard let e = estimate(family, x), e.logLikelihood.isFinite else {
                skipped.append((family, "the likelihood has no finite maximum on these data"))
                continue
            }
            estimates.append((family, e))
        }
        let scored = estimates.map { family, e -> (FitFamily, Estimate, Double, Double) in
            let k = Double(family.parameterCount)
            return (family, e, 2 * k - 2 * e.logLikelihood, k * log(n) - 2 * e.logLikelihood)
        }.sorted { $0.2 < $1.2 }
        let bestAIC = scored.first?.2 ?? 0
        let total = scored.reduce(0) { $0 + exp(-($1.2 - bestAIC) / 2) }
        let fits = scored.map { family, e, aic, bic in
            DistributionFit(family: family, distribution: e.distribution, logLikelihood: e.logLikelihood, aic: aic, bic: bic,
                            akaikeWeight: exp(-(aic - bestAIC) / 2) / total, ks: KolmogorovSmirnov.test(sorted: x, cdf: e.distribution.cdf),
                            method: e.method, converged: e.converged,
                            snippet: ScenarioSnippet.value(e.distribution, unit: unit, spread: sd) ?? "")
        }
        return FitReport(n: x.count, mean: mean, sd: sd, min: x[0], max: x[x.count - 1], unit: unit, fits: fits, skipped: skipped)
    }

    /// Why `family` does not apply to the data, or nil if it does.
    static func unsupported(_ family: FitFamily, _ x: [Double], _ unit: DataUnit) -> String? {
        let lo = x[0], hi = x[x.count - 1]
        let shown = { (v: Double) in unit.written(v, digits: 4) }
        switch family {
        case .normal, .uniform, .triangular, .pert: return nil
        case .lognormal, .gamma:
            return lo > 0 ? nil : "needs positive values; the minimum is \(shown(lo))"
        case .exponential:
            return lo >= 0 ? nil : "needs values ≥ 0; the minimum is \(shown(lo))"
        case .beta:
            guard unit.dimension == .ratio else { return "describes fractions between 0 and 1; the data are in \(unit.dimension.rawValue)" }
            guard lo >= 0, hi <= 1 else { return "describes fractions between 0 and 1; the data range from \(shown(lo)) to \(shown(hi))" }
            guard lo > 0, hi < 1 else { return "the beta density is 0 or infinite at exactly 0 or 1, and the data contain \(lo == 0 ? shown(0) : shown(1))" }
            return nil
        }
    }

    static func estimate(_ family: FitFamily, _ x: [Double]) -> Estimate? {
        switch family {
        case .normal: return MaximumLikelihood.normal(x)
        case .lognormal: return MaximumLikelihood.lognormal(x)
        case .gamma: return MaximumLikelihood.gamma(x)
        case .exponential: return MaximumLikelihood.exponential(x)
        case .beta: return MaximumLikelihood.beta(x)
        case .uniform: return MaximumLikelihood.uniform(x)
        case .triangular: return MaximumLikelihood.triangular(x)
        case .pert: return MaximumLikelihood.pert(x)
        }
    }
}
