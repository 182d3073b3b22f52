internal import CGSL
import Foundation

/// The inverse CDF that Latin hypercube and Sobol sampling map their uniforms through, in bulk.
///
/// GSL's inverse CDFs of the beta (so PERT) and gamma distributions solve F(x) = u iteratively, at a
/// about 16 000 instructions a call: with LHS they cost fifteen times the rest of a run. Those distributions,
/// and truncated forms of them, are mapped through a `QuantileTable` instead (|F(Q̂(u)) − u| ≤ 10⁻¹⁰,
/// exact GSL beyond the 10⁻¹⁰ tails). Every other form keeps its exact inverse (closed forms, or GSL's
/// rational approximations of the normal quantile), with a truncated form's bounds F(lower) and
/// F(upper) computed once instead of at every draw; those give the same bits as `Distribution.quantile`.
enum BulkQuantile: Sendable {
    /// `Distribution.quantile`, unchanged.
    case exact(Distribution)
    /// A truncated form with exact inverse: base.quantile(fl + u·width) clamped to [lower, upper].
    case truncated(base: Distribution, lower: Double, upper: Double, fl: Double, width: Double)
    /// The interpolated inverse.
    case table(QuantileTable)

    /// The bulk inverse of `distribution`. Builds a table when the form needs one (prefer
    /// `Distribution.bulkQuantile`, which builds each table once per process).
    init(_ distribution: Distribution) {
        if Self.needsTable(distribution), let table = QuantileTable(distribution) {
            self = .table(table)
        } else if case .truncated(let base, let lower, let upper) = distribution {
            let fl = lower.isFinite ? base.cdf(lower) : 0
            let fu = upper.isFinite ? base.cdf(upper) : 1
            self = .truncated(base: base, lower: lower, upper: upper, fl: fl, width: fu - fl)
        } else {
            self = .exact(distribution)
        }
    }

    /// True for the forms whose exact inverse CDF is an iterative GSL solver: PERT, beta, gamma, and
    /// truncated forms of them.
    static func needsTable(_ distribution: Distribution) -> Bool {
        switch distribution {
        case .pert, .beta, .gamma: return true
        case .truncated(let base, _, _): return needsTable(base)
        default: return false
        }
    }

    /// Replaces every probability u ∈ (0, 1) in `values` by the quantile at u, in place.
    /// - Complexity: O(n) (O(n·k) for a discrete form of k values).
    func map(_ values: UnsafeMutableBufferPointer<Double>) {
        switch self {
        case .table(let table):
            table.quantiles(values)
        case .truncated(let base, let lower, let upper, let fl, let width):
            for i in values.indices { values[i] = Swift.min(upper, Swift.max(lower, base.quantile(fl + values[i] * width))) }
        case .exact(let d):
            Self.mapExact(d, values)
        }
    }

    /// `d.quantile` of every value, in place. The continuous closed forms get their own loops, with
    /// the distribution's case matched once per column instead of once per value (an indirect enum's
    /// payload is boxed) and the form's per-distribution constants computed once; each loop evaluates
    /// exactly the expression `Distribution.quantile` evaluates, in the same order, so the bits are
    /// the same.
    private static func mapExact(_ d: Distribution, _ values: UnsafeMutableBufferPointer<Double>) {
        _ = GSL.errorHandlerDisabled
        switch d {
        case .uniform(let a, let b):
            for i in values.indices { values[i] = gsl_cdf_flat_Pinv(values[i], a, b) }
        case .normal(let m, let s):
            for i in values.indices { values[i] = m + gsl_cdf_gaussian_Pinv(values[i], s) }
        case .lognormal(let mu, let s):
            for i in values.indices { values[i] = gsl_cdf_lognormal_Pinv(values[i], mu, s) }
        case .triangular(let a, let c, let b):
            // (b − a)(c − a) and (b − a)(b − c) are the left factors of the products in `quantile`.
            let fc = (c - a) / (b - a), low = (b - a) * (c - a), high = (b - a) * (b - c)
            for i in values.indices {
                let u = values[i]
                values[i] = u < fc ? a + (low * u).squareRoot() : b - (high * (1 - u)).squareRoot()
            }
        default:
            for i in values.indices { values[i] = d.quantile(values[i]) }
        }
    }
}

/// The process's bulk inverses of the tabulated forms, built once per distribution value and then
/// shared read-only by every worker thread.
///
/// A table is a pure function of its distribution, so which thread builds it, and when, cannot change a
/// number. Building happens under the lock, so concurrent first users wait for one build instead of
/// repeating it. The cache holds at most `capacity` distributions (a long-lived process comparing many
/// variants starts afresh past that).
final class BulkQuantileCache: @unchecked Sendable {
    /// The cache every sampler uses.
    static let shared = BulkQuantileCache()
    /// Distributions kept before the cache is emptied.
    static let capacity = 4096

    private let lock = NSLock()
    private var entries: [Distribution: BulkQuantile] = [:]

    /// The bulk inverse of `distribution`, built on first request.
    /// - Complexity: O(1) after the first request (a hash of the distribution); the first builds the table.
    func bulkQuantile(for distribution: Distribution) -> BulkQuantile {
        lock.lock(); defer { lock.unlock() }
        if let found = entries[distribution] { return found }
        if entries.count >= Self.capacity { entries.removeAll() }
        let made = BulkQuantile(distribution)
        entries[distribution] = made
        return made
    }
}

extension Distribution {
    /// The inverse CDF used to map many uniforms at once (Latin hypercube and Sobol sampling): a cached
    /// `QuantileTable` for PERT, beta, gamma and their truncated forms (|F(Q̂(u)) − u| ≤ 10⁻¹⁰), the
    /// exact `quantile` otherwise.
    var bulkQuantile: BulkQuantile {
        BulkQuantile.needsTable(self) ? BulkQuantileCache.shared.bulkQuantile(for: self) : BulkQuantile(self)
    }
}
