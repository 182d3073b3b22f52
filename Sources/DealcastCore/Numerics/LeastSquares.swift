internal import CGSL

/// Ordinary least squares with GSL (`gsl_multifit_linear`).
public struct LinearFit: Sendable {
    /// Fitted coefficients β.
    public let coefficients: [Double]
    /// Covariance of β, row-major, p × p (σ̂² (XᵀX)⁻¹).
    public let covariance: [Double]
    /// Residual sum of squares.
    public let rss: Double
    /// Observations and parameters.
    public let n: Int, p: Int

    /// Residual variance estimate σ̂² = RSS / (n − p).
    public var residualVariance: Double { rss / Double(n - p) }

    /// Fits y ≈ X β, with X given row by row.
    /// - Throws: `GSLError` if GSL cannot fit (e.g. a singular design), or if n ≤ p.
    public static func fit(rows: [[Double]], y: [Double]) throws(GSLError) -> LinearFit {
        _ = GSL.errorHandlerDisabled
        let n = y.count, p = rows.first?.count ?? 0
        guard n > p, p > 0, rows.count == n else {
            throw GSLError(status: Int32(GSL_EBADLEN), operation: "least squares", reason: "needs more observations (\(n)) than parameters (\(p))")
        }
        let X = gsl_matrix_alloc(n, p)!, Y = gsl_vector_alloc(n)!, c = gsl_vector_alloc(p)!, cov = gsl_matrix_alloc(p, p)!
        let work = gsl_multifit_linear_alloc(n, p)!
        defer { gsl_matrix_free(X); gsl_vector_free(Y); gsl_vector_free(c); gsl_matrix_free(cov); gsl_multifit_linear_free(work) }
        for i in 0 ..< n {
            gsl_vector_set(Y, i, y[i])
            for j in 0 ..< p { gsl_matrix_set(X, i, j, rows[i][j]) }
        }
        var chisq = 0.0
        try GSL.check(gsl_multifit_linear(X, Y, c, cov, &chisq, work), "least squares fit")
        let beta = (0 ..< p).map { gsl_vector_get(c, $0) }
        // gsl_multifit_linear already returns σ̂² (XᵀX)⁻¹ with σ̂² = χ²/(n − p): no further scaling.
        var covariance: [Double] = []
        for i in 0 ..< p { for j in 0 ..< p { covariance.append(gsl_matrix_get(cov, i, j)) } }
        return LinearFit(coefficients: beta, covariance: covariance, rss: chisq, n: n, p: p)
    }

    /// The lower Cholesky factor L of the covariance (LLᵀ = Σ), row-major, for drawing parameter
    /// uncertainty: β + L z with z standard normal.
    public func covarianceCholesky() throws(GSLError) -> [Double] {
        let m = gsl_matrix_alloc(p, p)!
        defer { gsl_matrix_free(m) }
        for i in 0 ..< p { for j in 0 ..< p { gsl_matrix_set(m, i, j, covariance[i * p + j]) } }
        try GSL.check(gsl_linalg_cholesky_decomp1(m), "Cholesky factorisation of the parameter covariance")
        var out = [Double](repeating: 0, count: p * p)
        for i in 0 ..< p { for j in 0 ... i { out[i * p + j] = gsl_matrix_get(m, i, j) } }
        return out
    }
}
