internal import CGSL

/// Imposes rank correlations on one block through a Gaussian copula (`--correlation copula`).
///
/// Each correlated input j arrives as uniforms uⱼ on (0, 1), drawn by the run's sampling method from
/// the input's own stream (independent uniforms, Latin hypercube strata or Sobol coordinates). Trial by
/// trial:
///
///     z = Φ⁻¹(u)      x = F z      u′ = Φ(x)      value = Qⱼ(u′ⱼ)
///
/// with F the factor of R (F Fᵀ = R, Cholesky by GSL), rᵢⱼ = 2 sin(π ρᵢⱼ / 6), so that (x) is normal
/// with Pearson correlation R and rank correlation ρ; Qⱼ is input j's inverse CDF. The marginals hold
/// in distribution rather than value by value, and stratification (LHS) or low discrepancy (Sobol) of
/// the uniforms carries over smoothly through the map instead of being rearranged away.
enum GaussianCopula {
    /// Replaces the uniforms in the correlated columns of an input-major block matrix (column j at
    /// j·n) by the correlated inputs' values.
    static func apply(_ matrix: UnsafeMutableBufferPointer<Double>, count n: Int, plan: CorrelationPlan, inputs: [BoundInput]) {
        _ = GSL.errorHandlerDisabled
        let k = plan.columns.count, columns = plan.columns
        let f = plan.normalFactor.elements
        let distributions = columns.map { inputs[$0].value.distribution }
        var z = [Double](repeating: 0, count: k), x = z
        for i in 0 ..< n {
            for c in 0 ..< k { z[c] = gsl_cdf_ugaussian_Pinv(matrix[columns[c] * n + i]) }
            for c in 0 ..< k {
                var s = 0.0
                for d in 0 ..< k { s += f[c * k + d] * z[d] }
                x[c] = s
            }
            for c in 0 ..< k { matrix[columns[c] * n + i] = Swift.min(Swift.max(gsl_cdf_ugaussian_P(x[c]), 0x1p-53), 1 - 0x1p-53) }
        }
        for c in 0 ..< k {
            let column = UnsafeMutableBufferPointer(rebasing: matrix[columns[c] * n ..< (columns[c] + 1) * n])
            let d = distributions[c]
            for i in 0 ..< n { column[i] = d.quantile(column[i]) }
        }
    }
}
