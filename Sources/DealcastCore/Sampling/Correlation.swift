import Foundation

/// How a scenario's rank correlations are imposed on the inputs' draws (`--correlation`).
public enum CorrelationMethod: String, Sendable, CaseIterable {
    /// Iman–Conover (1982): each correlated input's draws are rearranged, within each block, to follow
    /// the ranks of a correlated normal-score matrix. The values drawn are kept exactly.
    case imanConover = "iman-conover"
    /// Gaussian copula: each correlated input's uniforms are mapped to normals, mixed by the Cholesky
    /// factor of the correlation matrix, and mapped back. The marginals hold in distribution.
    case copula
}

/// A scenario's rank correlations, bound to the run's inputs and checked: ready to impose.
///
/// Built by `RunPlan` from the scenario's `correlations:` list (docs/scenario-format.md) after the
/// modules have bound their inputs. Pairs the scenario does not write are uncorrelated (0).
public struct CorrelationPlan: Sendable {
    /// One pair of correlated inputs.
    public struct Pair: Sendable, Equatable {
        /// Field paths, in binding order.
        public let first: String, second: String
        /// The rank correlation as written, or nil for a pair the scenario does not write (taken as 0).
        public let written: Double?
        /// The rank correlation imposed: the written one, or the repaired matrix's entry.
        public let used: Double
        /// Index of the scenario's `correlations:` item that writes the pair.
        public let item: Int?
    }

    /// Field paths of the correlated inputs (those named in some pair), in binding order.
    public let paths: [String]
    /// Their indices in `RunPlan.inputs`.
    let columns: [Int]
    /// The rank-correlation matrix as written (unwritten pairs 0).
    let target: SquareMatrix
    /// The rank-correlation matrix imposed: `target`, or (6/π) arcsin(R′ / 2) when the normal scores'
    /// correlation matrix had to be repaired into R′ (see `init`).
    let used: SquareMatrix
    /// True when `--repair-correlations` was given.
    public let repairRequested: Bool
    /// Smallest eigenvalue of the written matrix (negative: not a valid correlation matrix).
    public let smallestEigenvalue: Double
    /// Frobenius distance between the written and the imposed matrix, √(Σᵢⱼ (usedᵢⱼ − writtenᵢⱼ)²)
    /// over all k² elements; 0 when the written matrix is imposed as it is.
    public let repairDistance: Double
    /// A factor F with F Fᵀ = R, the Pearson correlation of normal scores that carries the imposed
    /// rank correlations.
    let normalFactor: SquareMatrix

    /// True when the matrix imposed differs from the one written.
    public var repaired: Bool { repairDistance > 0 }

    /// True when the written matrix is not positive semi-definite.
    public var writtenIsInvalid: Bool { smallestEigenvalue < -Definiteness.tolerance }

    /// Every pair of correlated inputs (k(k − 1)/2 of them), in binding order.
    public var pairs: [Pair] {
        var out: [Pair] = []
        for i in 0 ..< paths.count {
            for j in i + 1 ..< paths.count {
                let item = items[i * paths.count + j]
                out.append(Pair(first: paths[i], second: paths[j], written: item == nil ? nil : target[i, j], used: used[i, j], item: item))
            }
        }
        return out
    }

    /// The `correlations:` item writing (i, j), row-major over the k × k matrix, both triangles.
    let items: [Int?]

    /// Checks `target` and prepares its imposition.
    ///
    /// Both methods carry a rank correlation ρ by normal scores with Pearson correlation
    /// r = 2 sin(π ρ / 6), the Pearson correlation of a bivariate normal whose Spearman correlation is
    /// ρ (Pearson 1907). The written matrix C is imposed through R = 2 sin(π C / 6), which must be
    /// positive semi-definite. When it is not, R is replaced by its nearest correlation matrix R′
    /// (Higham), and the rank correlations imposed are (6/π) arcsin(R′ / 2). That happens when C is
    /// not positive semi-definite (allowed only under `repair`: `bind` reports it otherwise) and, by a
    /// small amount, when C is valid but singular or nearly so, since 2 sin(π ρ / 6) enlarges every
    /// |ρ| slightly. Conversely a valid R always gives a valid C (the arcsine's series has
    /// non-negative coefficients, so Schur's product theorem keeps it positive semi-definite).
    /// `repairDistance` measures the move in rank terms.
    init(paths: [String], columns: [Int], target: SquareMatrix, items: [Int?], repair: Bool) throws(GSLError) {
        self.paths = paths
        self.columns = columns
        self.target = target
        self.items = items
        repairRequested = repair
        let check = try Definiteness(target)
        smallestEigenvalue = check.smallestEigenvalue
        let k = target.order
        var r = target
        for i in 0 ..< k { for j in 0 ..< k where i != j { r[i, j] = abs(target[i, j]) == 1 ? target[i, j] : 2 * sin(Double.pi * target[i, j] / 6) } }
        if (check.isValid || repair), (try? r.choleskyLower()) == nil, try Definiteness(r).smallestEigenvalue < -Definiteness.tolerance {
            r = try NearestCorrelation.nearest(to: r)
            var imposed = r
            for i in 0 ..< k { for j in 0 ..< k where i != j { imposed[i, j] = 6 / Double.pi * asin(max(-1, min(1, r[i, j])) / 2) } }
            used = imposed
        } else {
            used = target
        }
        repairDistance = used.frobeniusDistance(to: target)
        normalFactor = try Self.factor(r)
    }

    /// F with F Fᵀ = R: the lower Cholesky factor (GSL) when R is positive definite; otherwise (a
    /// singular R, e.g. a pair at ±1) the spectral factor V √max(Λ, 0) with its rows scaled to unit
    /// length, so that F Fᵀ keeps a unit diagonal.
    static func factor(_ r: SquareMatrix) throws(GSLError) -> SquareMatrix {
        let k = r.order
        if let l = try? r.choleskyLower() { return l }
        let (values, v) = try r.symmetricEigen()
        var f = v
        for i in 0 ..< k {
            var norm = 0.0
            for c in 0 ..< k { f[i, c] = v[i, c] * max(values[c], 0).squareRoot(); norm += f[i, c] * f[i, c] }
            let s = norm > 0 ? 1 / norm.squareRoot() : 0
            for c in 0 ..< k { f[i, c] *= s }
        }
        return f
    }
}

/// Whether a symmetric unit-diagonal matrix is a valid correlation matrix (positive semi-definite),
/// and if not, which entries make it fail.
struct Definiteness {
    /// Eigenvalues at or above −tolerance count as zero: rounding in a valid matrix (e.g. a pair at
    /// exactly ±1) can leave them a few ulps negative.
    static let tolerance = 1e-9

    let smallestEigenvalue: Double
    /// Unit eigenvector of the smallest eigenvalue.
    let direction: [Double]

    var isValid: Bool { smallestEigenvalue >= -Self.tolerance }

    init(_ m: SquareMatrix) throws(GSLError) {
        let (values, vectors) = try m.symmetricEigen()
        smallestEigenvalue = values[0]
        direction = (0 ..< m.order).map { vectors[$0, 0] }
    }

    /// The off-diagonal entries that drive the smallest eigenvalue below zero.
    ///
    /// With v the unit eigenvector of the smallest eigenvalue λ and a unit diagonal,
    /// λ = vᵀ C v = 1 + Σᵢ<ⱼ 2 vᵢ vⱼ cᵢⱼ. The entries with a negative term 2 vᵢ vⱼ cᵢⱼ pull λ down.
    /// They are returned most negative first, as many as it takes to account for 95% of the sum of
    /// the negative terms.
    /// - Returns: (i, j, term) with i < j.
    func conflictingEntries(of m: SquareMatrix) -> [(i: Int, j: Int, term: Double)] {
        var terms: [(i: Int, j: Int, term: Double)] = []
        for i in 0 ..< m.order {
            for j in i + 1 ..< m.order {
                let t = 2 * direction[i] * direction[j] * m[i, j]
                if t < 0 { terms.append((i, j, t)) }
            }
        }
        terms.sort { $0.term != $1.term ? $0.term < $1.term : ($0.i, $0.j) < ($1.i, $1.j) }
        let total = terms.reduce(0) { $0 + $1.term }
        var out: [(i: Int, j: Int, term: Double)] = [], sum = 0.0
        for t in terms {
            out.append(t)
            sum += t.term
            if sum <= 0.95 * total { break }
        }
        return out
    }
}
