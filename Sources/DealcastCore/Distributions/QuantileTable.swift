internal import CGSL
import Foundation

/// A fast inverse CDF: the quantile function Q of one distribution, interpolated by quintic Hermite
/// polynomials between knots chosen so that the error, measured in probability, stays below
/// `tolerance`.
///
/// **Accuracy.** For every u in [`lower`, `upper`) the interpolant Q̂ satisfies
///
///     |F(Q̂(u)) − u| ≤ 1e-10          (`QuantileTable.tolerance`)
///
/// where F is the exact CDF (`Distribution.cdf`, GSL). Outside that range, in tails of probability
/// about 10⁻¹⁰ on each side (`tailProbability`), the table calls the exact `Distribution.quantile`.
/// The tails are larger only where doubles cannot resolve the end of the support (a beta shape below 1
/// at an end of [0, 1] with a finite neighbour: beta(3, 0.3) leaves its top 0.5% to GSL, beta(0.5, 0.5)
/// its top 4·10⁻⁵). The bound is the Hörmann–Leydold u-error: a draw mapped through Q̂ lands within
/// 10⁻¹⁰ in probability of where the exact inverse would put it, which is 4·10⁻⁷ of one Latin
/// hypercube stratum of a 4096-trial block. It is enforced at each interval's midpoint while building
/// (with half the bound) and checked on a grid of 200 000 points plus the tails for the catalogue's
/// awkward shapes in `QuantileTableTests`.
///
/// **Construction** (after Hörmann and Leydold, 2003, "Continuous random variate generation by fast
/// numerical inversion", ACM TOMACS 13(4), 347–362), from the forward CDF and the density:
///
/// 1. Starting knots: GSL's quantiles at u = 10⁻¹⁰, 1/16, 2/16, …, 15/16, 1 − 10⁻¹⁰, skipping any that
///    is not a number. Each knot is the pair (F(x), x), F evaluated at the knot, so a knot is exact even
///    where GSL's inverse is not, with the exact derivatives of Q there: Q′ = 1/f(x) and
///    Q″ = −f′(x)/f(x)³ (f the density, f′/f in closed form). Where F at the outermost knot is still
///    above 10⁻¹⁰ (or below 1 − 10⁻¹⁰), knots are added from the forward CDF, stepping x an eighth of
///    the way closer to the end of the support each time.
/// 2. On each interval [uᵢ, uᵢ₊₁] the quintic Hermite polynomial matching those values and derivatives
///    at both ends is accepted when its derivative is positive at eleven points, the interval spans at
///    most its own distance to the nearer tail (uᵢ₊₁ − uᵢ ≤ min(uᵢ, 1 − uᵢ₊₁), so that in a tail where the
///    density is singular one check stands for the whole interval), and |F(Q̂(u)) − u| ≤ tolerance / 2
///    at the midpoint. Otherwise the interval is split at x = Q̂(midpoint) into a new knot
///    (F(x), x, …) from the forward CDF.
///
/// Intervals concentrate where Q bends, in the tails and, for shapes below 1, at a singular density;
/// a PERT needs about 150 to 300 of them (two CDF and one density evaluation each). A shape that would
/// need more than `maxIntervals`, or an interval that doubles cannot split (beta(0.05, 0.05)), gets no
/// table and keeps the exact inverse.
///
/// **Lookup** is O(1) on average: a guide table of as many cells as intervals gives the first
/// candidate interval of u, and a short linear scan finds the right one (Chen and Asau, 1974; the scan
/// goes both ways, so a cell index rounded up cannot pick the wrong interval). The result is clamped
/// to the interval's knots, so Q̂ is continuous and never leaves [xᵢ, xᵢ₊₁] on interval i.
///
/// A table is a pure function of its distribution: built deterministically and read-only afterwards,
/// it is shared by every worker thread (`Distribution.bulkQuantile`), so results stay the same at any
/// thread count.
final class QuantileTable: Sendable {
    /// The bound on |F(Q̂(u)) − u| over [`lower`, `upper`).
    static let tolerance = 1e-10
    /// Probability left to the exact inverse CDF at each end (more where doubles cannot resolve the end
    /// of the support).
    static let tailProbability = 1e-10
    /// A distribution that needs more intervals than this is not tabulated (it keeps the exact inverse).
    static let maxIntervals = 20_000

    /// The distribution tabulated; its exact `quantile` serves the tails.
    let distribution: Distribution
    /// The probability range the table covers, [lower, upper).
    let lower: Double
    let upper: Double
    /// Knot probabilities u₀ < u₁ < … < u_k (k intervals; u₀ = `lower`, u_k = `upper`).
    private let knotU: [Double]
    /// Knot values x₀ < x₁ < … < x_k.
    private let knotX: [Double]
    /// Interval i's polynomial in t = (u − uᵢ)/(uᵢ₊₁ − uᵢ), xᵢ + t(c₁ + t(c₂ + t(c₃ + t(c₄ + t c₅)))),
    /// stored as (c₁, …, c₅, 1/(uᵢ₊₁ − uᵢ)) at 6i.
    private let coefficients: [Double]
    /// guide[g]: the interval holding lower + g/G·(upper − lower), G = guide.count.
    private let guide: [Int32]
    private let guideScale: Double

    /// The number of Hermite intervals.
    var intervals: Int { knotU.count - 1 }

    /// Builds the table of `distribution`, or returns nil when it is not one of the tabulated forms
    /// (PERT, beta, gamma, truncated forms of them) or cannot be built within `maxIntervals` (the caller
    /// then keeps the exact inverse).
    /// - Complexity: 17 exact inverse CDF evaluations, then per interval two CDF and one density
    ///   evaluation.
    init?(_ distribution: Distribution) {
        _ = GSL.errorHandlerDisabled
        let d = distribution
        func knot(_ x: Double) -> Knot? {
            guard x.isFinite, let slope = Self.logDensitySlope(d, x) else { return nil }
            let f = d.density(x)
            guard f.isFinite, f > 0, slope.isFinite else { return nil }
            let q1 = 1 / f
            let k = Knot(u: d.cdf(x), x: x, q1: q1, q2: -slope * q1 * q1)
            return k.q2.isFinite ? k : nil
        }
        // Starting knots: GSL's quantiles at 10⁻¹⁰, 1/16, …, 15/16, 1 − 10⁻¹⁰, skipping any it gets
        // wrong (nan, out of order); each knot's u is then F(x), exact whatever the inverse's error.
        var initial: [Knot] = []
        for p in [Self.tailProbability] + (1 ..< 16).map({ Double($0) / 16 }) + [1 - Self.tailProbability] {
            guard let k = knot(d.quantile(p)) else { continue }
            if let previous = initial.last, !(k.u > previous.u && k.x > previous.x) { continue }
            initial.append(k)
        }
        guard initial.count >= 2, let support = Self.support(d) else { return nil }
        // Tails from the forward CDF: step towards the end of the support until F passes 10⁻¹⁰ (or 1 −
        // 10⁻¹⁰), staying 10⁻⁹ (relative) inside a finite end so intervals there can still be split.
        func inside(_ x: Double, _ end: Double) -> Bool { abs(x - end) >= 1e-9 * Swift.max(abs(end), abs(x)) }
        for _ in 0 ..< 400 where initial[0].u > Self.tailProbability {
            let x = support.lower + (initial[0].x - support.lower) / 8
            guard x > support.lower, inside(x, support.lower), let k = knot(x), k.u < initial[0].u else { break }
            initial.insert(k, at: 0)
        }
        for _ in 0 ..< 400 where initial[initial.count - 1].u < 1 - Self.tailProbability {
            let last = initial[initial.count - 1].x
            let x = support.upper.isInfinite ? Swift.max(2 * last, last + 1) : support.upper - (support.upper - last) / 8
            guard x < support.upper, inside(x, support.upper), let k = knot(x), k.u > initial[initial.count - 1].u else { break }
            initial.append(k)
        }

        // Depth-first refinement, left to right: the last accepted knot is the left end, `pending` is a
        // stack of knots still to reach (nearest on top).
        var accepted = [initial[0]]
        var pending = Array(initial.dropFirst().reversed())
        while let right = pending.last {
            let left = accepted[accepted.count - 1]
            let quintic = Quintic(left, right)
            let middle = quintic.value(0.5)
            // Intervals in a tail span at most a factor 2 of the distance to it, so that one check at the
            // midpoint stands for the whole interval even where the density is singular.
            if quintic.isIncreasing && right.u - left.u <= Swift.min(left.u, 1 - right.u)
                && middle > left.x && middle < right.x
                && abs(d.cdf(middle) - (left.u + (right.u - left.u) / 2)) <= Self.tolerance / 2 {
                accepted.append(right)
                pending.removeLast()
                continue
            }
            let x = middle > left.x && middle < right.x ? middle : left.x + (right.x - left.x) / 2
            guard x > left.x, x < right.x, let split = knot(x), split.u > left.u, split.u < right.u,
                  accepted.count + pending.count <= Self.maxIntervals else { return nil }
            pending.append(split)
        }

        let k = accepted.count - 1
        var coefficients = [Double](repeating: 0, count: 6 * k)
        for i in 0 ..< k {
            let q = Quintic(accepted[i], accepted[i + 1])
            for (j, c) in [q.c1, q.c2, q.c3, q.c4, q.c5, 1 / (accepted[i + 1].u - accepted[i].u)].enumerated() {
                coefficients[6 * i + j] = c
            }
        }
        let knotU = accepted.map(\.u)
        let lower = knotU[0], upper = knotU[k]
        let scale = Double(k) / (upper - lower)
        var guide = [Int32](repeating: 0, count: k)
        var i = 0
        for g in 0 ..< k {
            let u = lower + Double(g) / scale
            while i + 1 < k && knotU[i + 1] <= u { i += 1 }
            guide[g] = Int32(i)
        }
        self.distribution = distribution
        self.lower = lower
        self.upper = upper
        self.knotU = knotU
        self.knotX = accepted.map(\.x)
        self.coefficients = coefficients
        self.guide = guide
        self.guideScale = scale
    }

    /// The support of the tabulated forms, nil for the others.
    private static func support(_ d: Distribution) -> (lower: Double, upper: Double)? {
        switch d {
        case .beta: return (0, 1)
        case .pert(let a, _, let b): return (a, b)
        case .gamma: return (0, .infinity)
        case .truncated(let base, let lower, let upper):
            guard let s = support(base) else { return nil }
            return (Swift.max(lower, s.lower), Swift.min(upper, s.upper))
        default: return nil
        }
    }

    /// f′(x)/f(x), the slope of the log density, for the tabulated forms; nil for the others.
    private static func logDensitySlope(_ d: Distribution, _ x: Double) -> Double? {
        func beta(_ y: Double, _ a: Double, _ b: Double) -> Double {
            (a == 1 ? 0 : (a - 1) / y) - (b == 1 ? 0 : (b - 1) / (1 - y))
        }
        switch d {
        case .beta(let a, let b): return beta(x, a, b)
        case .pert(let a, let m, let b):
            let (al, be) = Distribution.pertShape(a, m, b)
            return beta((x - a) / (b - a), al, be) / (b - a)
        case .gamma(let k, let t): return (k == 1 ? 0 : (k - 1) / x) - 1 / t
        case .truncated(let base, _, _): return logDensitySlope(base, x)
        default: return nil
        }
    }

    /// Q̂(u) for u in (0, 1): the interpolated quantile, or the exact one outside [`lower`, `upper`).
    /// - Complexity: O(1) on average inside the table.
    func quantile(_ u: Double) -> Double {
        withTables { evaluate(u, $0, $1, $2, $3) }
    }

    /// Replaces every probability in `values` by Q̂ of it, in place.
    /// - Complexity: O(n) on average.
    func quantiles(_ values: UnsafeMutableBufferPointer<Double>) {
        withTables { us, xs, cs, gs in
            for i in values.indices { values[i] = evaluate(values[i], us, xs, cs, gs) }
        }
    }

    private func withTables<R>(_ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Int32>) -> R) -> R {
        knotU.withUnsafeBufferPointer { us in
            knotX.withUnsafeBufferPointer { xs in
                coefficients.withUnsafeBufferPointer { cs in
                    guide.withUnsafeBufferPointer { gs in body(us, xs, cs, gs) }
                }
            }
        }
    }

    @inline(__always)
    private func evaluate(_ u: Double, _ us: UnsafeBufferPointer<Double>, _ xs: UnsafeBufferPointer<Double>,
                          _ cs: UnsafeBufferPointer<Double>, _ gs: UnsafeBufferPointer<Int32>) -> Double {
        guard u >= lower && u < upper else { return distribution.quantile(u) }
        var i = Int(gs[Swift.min(gs.count - 1, Int((u - lower) * guideScale))])
        while us[i] > u { i -= 1 }
        // The interval is the one i with uᵢ ≤ u < uᵢ₊₁. From the guide's candidate it is usually 0, 1
        // or 2 knots up, at random for random u: a branch there mispredicts about every other draw.
        // Two conditional steps (no branch: u < u_k = `upper`, so i stays below k) then the exact scan,
        // which rarely moves; whatever the path, it stops at that same unique i.
        i += us[i + 1] <= u ? 1 : 0
        i += us[i + 1] <= u ? 1 : 0
        while us[i + 1] <= u { i += 1 }
        let c = 6 * i
        let t = (u - us[i]) * cs[c + 5]
        let x = xs[i] + t * (cs[c] + t * (cs[c + 1] + t * (cs[c + 2] + t * (cs[c + 3] + t * cs[c + 4]))))
        return Swift.min(Swift.max(x, xs[i]), xs[i + 1])
    }
}

/// One knot: a probability u, the exact quantile x there, and Q′(u) = 1/f(x), Q″(u) = −f′(x)/f(x)³.
private struct Knot {
    let u: Double
    let x: Double
    let q1: Double
    let q2: Double
}

/// The quintic Hermite polynomial of an interval in t ∈ [0, 1], matching value, first and second
/// derivative at both ends: x₀ + t(c₁ + t(c₂ + t(c₃ + t(c₄ + t c₅)))).
private struct Quintic {
    let x0: Double, c1: Double, c2: Double, c3: Double, c4: Double, c5: Double

    init(_ a: Knot, _ b: Knot) {
        let h = b.u - a.u
        let m0 = h * a.q1, m1 = h * b.q1, n0 = h * h * a.q2, n1 = h * h * b.q2
        // With p(t) = x₀ + m₀t + n₀t²/2 + c₃t³ + c₄t⁴ + c₅t⁵, the conditions p(1) = x₁, p′(1) = m₁,
        // p″(1) = n₁ are c₃ + c₄ + c₅ = D, 3c₃ + 4c₄ + 5c₅ = E, 6c₃ + 12c₄ + 20c₅ = G:
        let dd = b.x - a.x - m0 - n0 / 2, e = m1 - m0 - n0, g = n1 - n0
        x0 = a.x
        c1 = m0
        c2 = n0 / 2
        c3 = 10 * dd - 4 * e + g / 2
        c4 = -15 * dd + 7 * e - g
        c5 = 6 * dd - 3 * e + g / 2
    }

    func value(_ t: Double) -> Double { x0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * c5)))) }

    /// p′ > 0 at t = 0, 0.1, …, 1: a cheap guard against an interval whose polynomial turns back.
    var isIncreasing: Bool {
        (0 ... 10).allSatisfy { k in
            let t = Double(k) / 10
            return c1 + t * (2 * c2 + t * (3 * c3 + t * (4 * c4 + t * 5 * c5))) > 0
        }
    }
}
