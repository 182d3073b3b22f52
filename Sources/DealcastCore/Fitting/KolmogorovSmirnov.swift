import Foundation

/// The one-sample Kolmogorov–Smirnov statistic and its p-value.
public struct KolmogorovSmirnov: Sendable, Equatable {
    /// D = sup |F_n(x) − F(x)|: the largest gap between the empirical and the fitted CDF.
    public let d: Double
    /// P(D_n ≥ d) for data drawn from F itself, by the Kolmogorov distribution with Stephens' (1970)
    /// small-sample correction. When F's parameters were fitted to the same data this p-value is too
    /// large (Lilliefors, 1967): a small p-value is evidence against the family, a large one is not
    /// evidence for it. Rank families by D, AIC or BIC instead.
    public let pValue: Double

    /// D for `sorted` (ascending) against `cdf`.
    /// - Complexity: O(n) evaluations of `cdf`.
    public static func statistic(sorted: [Double], cdf: (Double) -> Double) -> Double {
        let n = Double(sorted.count)
        var d = 0.0
        var i = 0
        while i < sorted.count {
            // Ties: the empirical CDF jumps once, from i/n to (j+1)/n.
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[i] { j += 1 }
            let f = cdf(sorted[i])
            d = Swift.max(d, Swift.max(Double(j + 1) / n - f, f - Double(i) / n))
            i = j + 1
        }
        return d
    }

    /// The test of `sorted` (ascending) against `cdf`.
    public static func test(sorted: [Double], cdf: (Double) -> Double) -> KolmogorovSmirnov {
        let d = statistic(sorted: sorted, cdf: cdf)
        return KolmogorovSmirnov(d: d, pValue: pValue(d: d, n: sorted.count))
    }

    /// P(D_n ≥ d) ≈ Q((√n + 0.12 + 0.11/√n) d), with Q the Kolmogorov survival function.
    public static func pValue(d: Double, n: Int) -> Double {
        guard n > 0, d > 0 else { return 1 }
        let r = Double(n).squareRoot()
        return kolmogorovQ((r + 0.12 + 0.11 / r) * d)
    }

    /// The survival function of the Kolmogorov distribution, Q(λ) = P(K > λ) with
    /// K = sup |B(t)| of a Brownian bridge: Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2 j² λ²}.
    ///
    /// For small λ that alternating series converges slowly, so the equivalent form
    /// 1 − (√(2π)/λ) Σ_{j≥1} e^{−(2j−1)² π² / (8 λ²)} is used below λ = 1.18.
    public static func kolmogorovQ(_ lambda: Double) -> Double {
        guard lambda > 0 else { return 1 }
        if lambda < 1.18 {
            let k = Double.pi * Double.pi / (8 * lambda * lambda)
            var s = 0.0
            for j in 1 ... 8 {
                let m = Double(2 * j - 1)
                s += exp(-m * m * k)
            }
            return Swift.min(1, Swift.max(0, 1 - (2 * Double.pi).squareRoot() / lambda * s))
        }
        var s = 0.0, sign = 1.0
        for j in 1 ... 100 {
            let term = exp(-2 * Double(j * j) * lambda * lambda)
            s += sign * term
            if term < 1e-17 { break }
            sign = -sign
        }
        return Swift.min(1, Swift.max(0, 2 * s))
    }
}
