internal import CGSL

/// Imposes rank correlations on one block by the Iman–Conover method.
///
/// Iman, R. L. and Conover, W. J. (1982), "A distribution-free approach to inducing rank correlation
/// among input variables", Communications in Statistics B 11(3), 311–334. For the k correlated
/// inputs of a block of n trials:
///
/// 1. Scores: aᵢ = Φ⁻¹(i / (n + 1)), i = 1…n (van der Waerden). Column c of the n × k score matrix M
///    is the scores in an order shuffled by the stream of (run seed, block, "correlation:" + path).
/// 2. E = the Pearson correlation of M's columns, and its Cholesky factor E = Q Qᵀ (GSL). The target
///    Pearson correlation of normal scores is R = F Fᵀ, rᵢⱼ = 2 sin(π ρᵢⱼ / 6) for rank correlation ρ.
/// 3. T = M (F Q⁻¹)ᵀ, whose columns have Pearson correlation exactly R: Q⁻¹ first removes the
///    block's chance correlation (Iman and Conover's variance reduction), F then imposes R.
/// 4. Each input's draws are rearranged so their ranks follow T's column: the trial with the r-th
///    smallest T value gets the r-th smallest draw.
///
/// The draws are only rearranged, so each input keeps exactly the values it was drawn (its LHS
/// strata, its Sobol points). When n is too small for E to be positive definite (n ≤ k, only possible
/// in a short last block), step 3 uses T = M Fᵀ, which has correlation R in expectation.
enum ImanConover {
    /// Rearranges the correlated columns of an input-major block matrix (column j at j·n) in place.
    static func rearrange(_ matrix: UnsafeMutableBufferPointer<Double>, count n: Int, plan: CorrelationPlan,
                          block b: Int, config: RunConfiguration, scratch: CorrelationScratch) {
        let k = plan.columns.count
        guard n > 1, k > 1 else { return }
        scratch.reserve(rows: n, columns: k)
        let scores = scratch.scores(n)
        let m = scratch.m, t = scratch.t
        for c in 0 ..< k {
            let stream = RandomStream(kind: config.generator, seed: SeedDerivation.seed(run: config.seed, block: b, stream: "correlation:" + plan.paths[c]))
            let perm = UnsafeMutableBufferPointer(rebasing: scratch.permutation[0 ..< n])
            for i in 0 ..< n { perm[i] = Int32(i) }
            stream.shuffle(perm)
            for i in 0 ..< n { m[c * n + i] = scores[Int(perm[i])] }
        }
        let mix = plan.normalFactor.multiplied(by: decorrelation(m, rows: n, columns: k))
        for c in 0 ..< k {
            for i in 0 ..< n { t[c * n + i] = 0 }
            for d in 0 ..< k where mix[c, d] != 0 {
                let s = mix[c, d]
                for i in 0 ..< n { t[c * n + i] += s * m[d * n + i] }
            }
        }
        for c in 0 ..< k {
            let column = UnsafeMutableBufferPointer(rebasing: matrix[plan.columns[c] * n ..< (plan.columns[c] + 1) * n])
            var ranked = UnsafeMutableBufferPointer(rebasing: scratch.order[0 ..< n])
            var sorted = UnsafeMutableBufferPointer(rebasing: scratch.values[0 ..< n])
            for i in 0 ..< n {
                ranked[i] = RankKey(value: t[c * n + i], trial: Int32(i))
                sorted[i] = column[i]
            }
            ranked.sort()
            sorted.sort()
            for r in 0 ..< n { column[Int(ranked[r].trial)] = sorted[r] }
        }
    }

    /// Q⁻¹ for E = Q Qᵀ, the Pearson correlation of the score columns; the identity when E is not
    /// positive definite.
    private static func decorrelation(_ m: UnsafeMutableBufferPointer<Double>, rows n: Int, columns k: Int) -> SquareMatrix {
        var means = [Double](repeating: 0, count: k)
        for c in 0 ..< k {
            var s = 0.0
            for i in 0 ..< n { s += m[c * n + i] }
            means[c] = s / Double(n)
        }
        var cov = SquareMatrix.identity(k)
        for c in 0 ..< k {
            for d in 0 ... c {
                var s = 0.0
                for i in 0 ..< n { s += (m[c * n + i] - means[c]) * (m[d * n + i] - means[d]) }
                cov[c, d] = s
                cov[d, c] = s
            }
        }
        var e = cov
        for c in 0 ..< k { for d in 0 ..< k { e[c, d] = cov[c, d] / (cov[c, c] * cov[d, d]).squareRoot() } }
        guard let q = try? e.choleskyLower(), let inverse = try? q.lowerTriangularInverse(),
              inverse.elements.allSatisfy(\.isFinite) else { return .identity(k) }
        return inverse
    }
}

/// A trial keyed by its score, ordered by score and then by trial: a total order, so the arrangement
/// does not depend on the sort algorithm.
struct RankKey: Comparable {
    let value: Double
    let trial: Int32

    static func < (a: RankKey, b: RankKey) -> Bool { a.value != b.value ? a.value < b.value : a.trial < b.trial }
}

/// Per-worker buffers for imposing correlations, grown on demand and reused for every block.
final class CorrelationScratch {
    private(set) var m = UnsafeMutableBufferPointer<Double>.allocate(capacity: 0)
    private(set) var t = UnsafeMutableBufferPointer<Double>.allocate(capacity: 0)
    private(set) var values = UnsafeMutableBufferPointer<Double>.allocate(capacity: 0)
    private(set) var order = UnsafeMutableBufferPointer<RankKey>.allocate(capacity: 0)
    private(set) var permutation = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 0)
    private var cachedScores: (n: Int, scores: [Double]) = (0, [])

    /// Makes room for a block of `rows` trials and `columns` correlated inputs.
    func reserve(rows: Int, columns: Int) {
        if m.count < rows * columns {
            m.deallocate(); t.deallocate()
            m = .allocate(capacity: rows * columns)
            t = .allocate(capacity: rows * columns)
        }
        if values.count < rows {
            values.deallocate(); order.deallocate(); permutation.deallocate()
            values = .allocate(capacity: rows)
            order = .allocate(capacity: rows)
            permutation = .allocate(capacity: rows)
        }
    }

    /// The van der Waerden scores Φ⁻¹(i / (n + 1)), i = 1…n (GSL's `gsl_cdf_ugaussian_Pinv`).
    func scores(_ n: Int) -> [Double] {
        if cachedScores.n != n {
            cachedScores = (n, (1 ... n).map { gsl_cdf_ugaussian_Pinv(Double($0) / Double(n + 1)) })
        }
        return cachedScores.scores
    }

    deinit {
        m.deallocate(); t.deallocate(); values.deallocate(); order.deallocate(); permutation.deallocate()
    }
}
