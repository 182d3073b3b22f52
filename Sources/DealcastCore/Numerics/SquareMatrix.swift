internal import CGSL

/// A small dense square matrix, row-major: the k × k matrices of correlation work (k = the number of
/// correlated inputs, a handful to a few dozen).
///
/// The decompositions are GSL's: `gsl_eigen_symmv` for symmetric eigenproblems,
/// `gsl_linalg_cholesky_decomp1` for Cholesky factors and `gsl_linalg_tri_invert` for triangular
/// inverses. No GSL type leaves this file.
struct SquareMatrix: Sendable, Equatable {
    /// Rows (and columns).
    let order: Int
    /// Row-major elements: (i, j) at i·order + j.
    var elements: [Double]

    init(order: Int, elements: [Double]) {
        precondition(elements.count == order * order, "a \(order) × \(order) matrix needs \(order * order) elements")
        self.order = order
        self.elements = elements
    }

    /// The k × k identity.
    static func identity(_ k: Int) -> SquareMatrix {
        var m = SquareMatrix(order: k, elements: [Double](repeating: 0, count: k * k))
        for i in 0 ..< k { m[i, i] = 1 }
        return m
    }

    subscript(i: Int, j: Int) -> Double {
        get { elements[i * order + j] }
        set { elements[i * order + j] = newValue }
    }

    /// The matrix product self · other.
    /// - Complexity: O(k³).
    func multiplied(by other: SquareMatrix) -> SquareMatrix {
        precondition(order == other.order)
        var out = SquareMatrix(order: order, elements: [Double](repeating: 0, count: order * order))
        for i in 0 ..< order {
            for l in 0 ..< order where self[i, l] != 0 {
                let a = self[i, l]
                for j in 0 ..< order { out[i, j] += a * other[l, j] }
            }
        }
        return out
    }

    /// The transpose.
    var transposed: SquareMatrix {
        var out = self
        for i in 0 ..< order { for j in 0 ..< order { out[i, j] = self[j, i] } }
        return out
    }

    /// The Frobenius distance √(Σᵢⱼ (aᵢⱼ − bᵢⱼ)²), over every element (each off-diagonal difference counts twice).
    func frobeniusDistance(to other: SquareMatrix) -> Double {
        precondition(order == other.order)
        var s = 0.0
        for (a, b) in zip(elements, other.elements) { s += (a - b) * (a - b) }
        return s.squareRoot()
    }

    // MARK: GSL decompositions

    /// The eigen-decomposition of a symmetric matrix (only its lower triangle is read), by GSL's
    /// `gsl_eigen_symmv`.
    /// - Returns: eigenvalues in ascending order, and the matching unit eigenvectors as the columns of
    ///   `vectors` (column c belongs to `values[c]`).
    /// - Throws: `GSLError` if GSL's QR iteration fails to converge.
    func symmetricEigen() throws(GSLError) -> (values: [Double], vectors: SquareMatrix) {
        _ = GSL.errorHandlerDisabled
        let k = order
        let a = toGSL()
        let values = gsl_vector_alloc(k)!, vectors = gsl_matrix_alloc(k, k)!, work = gsl_eigen_symmv_alloc(k)!
        defer { gsl_matrix_free(a); gsl_vector_free(values); gsl_matrix_free(vectors); gsl_eigen_symmv_free(work) }
        try GSL.check(gsl_eigen_symmv(a, values, vectors, work), "symmetric eigen-decomposition")
        try GSL.check(gsl_eigen_symmv_sort(values, vectors, GSL_EIGEN_SORT_VAL_ASC), "sorting eigenvalues")
        return ((0 ..< k).map { gsl_vector_get(values, $0) }, SquareMatrix(gsl: vectors, order: k))
    }

    /// The lower-triangular Cholesky factor L with L Lᵀ = self, by GSL's `gsl_linalg_cholesky_decomp1`
    /// (only the lower triangle of self is read).
    /// - Throws: `GSLError` when the matrix is not positive definite.
    func choleskyLower() throws(GSLError) -> SquareMatrix {
        _ = GSL.errorHandlerDisabled
        let m = toGSL()
        defer { gsl_matrix_free(m) }
        try GSL.check(gsl_linalg_cholesky_decomp1(m), "Cholesky factorisation")
        return SquareMatrix(gsl: m, order: order).lowerTriangle
    }

    /// The inverse of a lower-triangular matrix with a non-zero diagonal, by GSL's `gsl_linalg_tri_invert`.
    /// - Throws: `GSLError` when a diagonal element is zero.
    func lowerTriangularInverse() throws(GSLError) -> SquareMatrix {
        _ = GSL.errorHandlerDisabled
        let m = toGSL()
        defer { gsl_matrix_free(m) }
        try GSL.check(gsl_linalg_tri_invert(CblasLower, CblasNonUnit, m), "triangular inverse")
        return SquareMatrix(gsl: m, order: order).lowerTriangle
    }

    /// The matrix with everything above the diagonal set to zero.
    var lowerTriangle: SquareMatrix {
        var out = self
        for i in 0 ..< order { for j in i + 1 ..< order { out[i, j] = 0 } }
        return out
    }

    private func toGSL() -> UnsafeMutablePointer<gsl_matrix> {
        let m = gsl_matrix_alloc(order, order)!
        for i in 0 ..< order { for j in 0 ..< order { gsl_matrix_set(m, i, j, self[i, j]) } }
        return m
    }

    private init(gsl m: UnsafeMutablePointer<gsl_matrix>, order k: Int) {
        var e = [Double](repeating: 0, count: k * k)
        for i in 0 ..< k { for j in 0 ..< k { e[i * k + j] = gsl_matrix_get(m, i, j) } }
        self.init(order: k, elements: e)
    }
}
