/// The nearest correlation matrix in the Frobenius norm, by Higham's alternating projections.
///
/// Higham, N. J. (2002), "Computing the nearest correlation matrix — a problem from finance",
/// IMA Journal of Numerical Analysis 22, 329–343, algorithm 3.3 with unit weights. It alternates
/// two projections, with Dykstra's correction ΔS on the one onto a cone:
///
///     Y₀ = A, ΔS₀ = 0
///     Rₖ = Yₖ − ΔSₖ
///     Xₖ = P_S(Rₖ)         the positive semi-definite part: V max(Λ, 0) Vᵀ  (GSL's gsl_eigen_symmv)
///     ΔSₖ₊₁ = Xₖ − Rₖ
///     Yₖ₊₁ = P_U(Xₖ)       Xₖ with its diagonal set to 1
///
/// and stops when Xₖ and Yₖ₊₁ agree and Y has stopped moving, both to `tolerance` relative to ‖Y‖.
/// The limit is the unique unit-diagonal positive semi-definite matrix closest to A.
enum NearestCorrelation {
    /// Default relative tolerance on ‖Y − X‖ and ‖Yₖ₊₁ − Yₖ‖.
    static let tolerance = 1e-12
    /// Iterations allowed; convergence is linear, and a few hundred is typical for a handful of inputs.
    static let maxIterations = 20_000

    /// The nearest correlation matrix to the symmetric, unit-diagonal matrix `a`.
    /// - Throws: `GSLError` when an eigen-decomposition fails.
    /// - Complexity: O(k³) per iteration.
    static func nearest(to a: SquareMatrix, tolerance: Double = tolerance) throws(GSLError) -> SquareMatrix {
        let k = a.order
        var y = a
        var correction = SquareMatrix(order: k, elements: [Double](repeating: 0, count: k * k))
        for _ in 0 ..< maxIterations {
            var r = y
            for e in r.elements.indices { r.elements[e] -= correction.elements[e] }
            let x = try positivePart(r)
            for e in correction.elements.indices { correction.elements[e] = x.elements[e] - r.elements[e] }
            var next = x
            for i in 0 ..< k { next[i, i] = 1 }
            let size = max(1, norm(next))
            let settled = next.frobeniusDistance(to: x) <= tolerance * size && next.frobeniusDistance(to: y) <= tolerance * size
            y = next
            if settled { break }
        }
        return symmetrised(y)
    }

    /// P_S: the nearest positive semi-definite matrix, V max(Λ, 0) Vᵀ.
    static func positivePart(_ m: SquareMatrix) throws(GSLError) -> SquareMatrix {
        let k = m.order
        let (values, v) = try symmetrised(m).symmetricEigen()
        var out = SquareMatrix(order: k, elements: [Double](repeating: 0, count: k * k))
        for c in 0 ..< k where values[c] > 0 {
            let l = values[c]
            for i in 0 ..< k {
                let vi = v[i, c] * l
                for j in 0 ..< k { out[i, j] += vi * v[j, c] }
            }
        }
        return symmetrised(out)
    }

    private static func symmetrised(_ m: SquareMatrix) -> SquareMatrix {
        var out = m
        for i in 0 ..< m.order { for j in 0 ..< i { let s = (m[i, j] + m[j, i]) / 2; out[i, j] = s; out[j, i] = s } }
        return out
    }

    private static func norm(_ m: SquareMatrix) -> Double {
        m.elements.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}
