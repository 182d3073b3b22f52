import XCTest
@testable import DealcastCore

/// Seeded statistical tests of every distribution in the catalogue against its closed forms, for both
/// sampling paths (`sample` and `sampleStratified`).
///
/// Every tolerance is a standard error, stated where it is used:
///
/// - Mean: |x̄ − μ| ≤ 4 SE with SE = √(σ²/n) (central limit theorem; a two-sided 4 SE band is exceeded
///   with probability 6.3e-5 by chance).
/// - Variance: |s² − σ²| ≤ 4 SE(s²) with SE(s²) ≈ √((μ₄ − σ⁴)/n). Derivation: to first order s² is the
///   mean of the n i.i.d. terms (Xᵢ − μ)², each of which has variance
///   E[(X − μ)⁴] − (E[(X − μ)²])² = μ₄ − σ⁴; the central limit theorem then gives the SE. μ₄ is the
///   sample's fourth central moment, σ⁴ the square of the closed-form variance.
/// - Shape, continuous: one-sample Kolmogorov–Smirnov against the closed-form `cdf`, rejecting at the
///   0.1% level when D_n > 1.949/√n (the asymptotic critical value √(−ln(0.0005)/2)).
/// - Shape, atoms (bernoulli, discrete, empirical): each atom's frequency within 4 √(p(1 − p)/n) of its
///   probability, the binomial standard error.
///
/// Latin hypercube draws are checked against the same i.i.d. bounds, which are conservative for them:
/// every quantile map here is monotone, so stratification can only shrink the variance of the sample
/// mean (McKay, Beckman & Conover 1979), and because each of the n strata of (0, 1) holds exactly one
/// uniform, the empirical CDF is within 1/n of the true one, far inside 1.949/√n.
final class DistributionTests: XCTestCase {
    // MARK: - The catalogue, one test per distribution

    func testFixedDrawsOnlyItsValueByBothPaths() {
        let d = Distribution.fixed(7.5)
        XCTAssertEqual(d.mean, 7.5)
        XCTAssertEqual(d.variance, 0)
        XCTAssertEqual(d.cdf(7.4999), 0)
        XCTAssertEqual(d.cdf(7.5), 1)
        for path in SamplingPath.allCases {
            // A single atom with p = 1: its binomial SE is 0, so every draw must be the value exactly.
            assertAtoms(draws(d, path), of: d, support: [7.5], "\(d) by \(path)")
        }
    }

    func testUniformMatchesClosedForms() {
        assertMatchesClosedForms(.uniform(min: 0.5, max: 0.9))
    }

    func testNormalMatchesClosedForms() {
        assertMatchesClosedForms(.normal(mean: 0.08, sd: 0.015))
    }

    func testLognormalByMeanAndSDMatchesClosedForms() {
        assertMatchesClosedForms(.lognormal(mean: 40e9, sd: 6e9))
    }

    func testLognormalByNinetyPercentIntervalMatchesClosedForms() {
        assertMatchesClosedForms(.lognormal(p5: 35e9, p95: 50e9))
    }

    func testTriangularMatchesClosedForms() {
        assertMatchesClosedForms(.triangular(min: 60, mode: 80, max: 120))
    }

    func testPERTMatchesClosedForms() {
        assertMatchesClosedForms(.pert(min: 60, mode: 80, max: 120))
    }

    func testBetaMatchesClosedForms() {
        assertMatchesClosedForms(.beta(alpha: 2, beta: 5))
    }

    func testGammaMatchesClosedForms() {
        assertMatchesClosedForms(.gamma(shape: 2, scale: 0.25))
    }

    func testTruncatedNormalMatchesClosedForms() {
        assertMatchesClosedForms(.truncated(base: .normal(mean: 0.08, sd: 0.05), lower: 0, upper: 0.2))
    }

    func testTruncatedLognormalMatchesClosedForms() {
        assertMatchesClosedForms(.truncated(base: .lognormal(mu: 0, sigma: 0.5), lower: 0.8, upper: .infinity))
    }

    func testBernoulliMatchesClosedForms() {
        let d = Distribution.bernoulli(p: 0.3)
        XCTAssertEqual(d.cdf(-0.5), 0)
        XCTAssertEqual(d.cdf(0), 0.7, accuracy: 1e-15)
        XCTAssertEqual(d.cdf(1), 1)
        assertMatchesClosedForms(d, atoms: [0, 1])
    }

    func testDiscreteMatchesClosedForms() {
        let d = Distribution.discrete(values: [0, 1, 2], probabilities: [0.2, 0.5, 0.3])
        // The cdf's jumps are the declared probabilities, so the atom test below checks those too.
        XCTAssertEqual(d.cdf(0) - d.cdf(-1), 0.2, accuracy: 1e-15)
        XCTAssertEqual(d.cdf(1) - d.cdf(0), 0.5, accuracy: 1e-15)
        XCTAssertEqual(d.cdf(2) - d.cdf(1), 0.3, accuracy: 1e-15)
        assertMatchesClosedForms(d, atoms: [0, 1, 2])
    }

    func testEmpiricalMatchesClosedForms() {
        // 2.2 is observed twice, so it carries twice the probability of the others.
        let d = Distribution.empirical(sorted: [1.2, 2.2, 2.2, 3.4, 5.0])
        XCTAssertEqual(d.mean, 14.0 / 5, accuracy: 1e-15)
        XCTAssertEqual(d.cdf(2.2) - d.cdf(1.2), 0.4, accuracy: 1e-15)
        assertMatchesClosedForms(d, atoms: [1.2, 2.2, 3.4, 5.0])
    }

    // MARK: - Closed forms against independent formulas

    func testLognormalByMeanAndSDHasExactlyThatMeanAndSD() {
        let d = Distribution.lognormal(mean: 40e9, sd: 6e9)
        XCTAssertEqual(d.mean, 40e9, accuracy: 40e9 * 1e-14)
        XCTAssertEqual(d.variance.squareRoot(), 6e9, accuracy: 6e9 * 1e-12)
    }

    func testLognormalNinetyPercentIntervalHasThoseFifthAndNinetyFifthPercentiles() {
        let d = Distribution.lognormal(p5: 35e9, p95: 50e9)
        XCTAssertEqual(d.quantile(0.05), 35e9, accuracy: 35e9 * 1e-9)
        XCTAssertEqual(d.quantile(0.95), 50e9, accuracy: 50e9 * 1e-9)
        XCTAssertEqual(d.cdf(35e9), 0.05, accuracy: 1e-12)
        XCTAssertEqual(d.cdf(50e9), 0.95, accuracy: 1e-12)
    }

    /// The truncated forms' moments are integrated numerically; check them against the textbook closed
    /// forms (Johnson, Kotz & Balakrishnan): with α = (a − μ)/σ, β = (b − μ)/σ, Z = Φ(β) − Φ(α),
    /// E = μ + σ (φ(α) − φ(β))/Z and Var = σ² [1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²].
    /// The midpoint rule on 200 000 points is accurate to far better than 1e-6 relative here.
    func testTruncatedNormalMomentsMatchTheTextbookClosedForm() {
        let mu = 0.08, sigma = 0.05, a = 0.0, b = 0.2
        let al = (a - mu) / sigma, be = (b - mu) / sigma
        let z = phiCDF(be) - phiCDF(al)
        let r = (phi(al) - phi(be)) / z
        let mean = mu + sigma * r
        let variance = sigma * sigma * (1 + (al * phi(al) - be * phi(be)) / z - r * r)
        let d = Distribution.truncated(base: .normal(mean: mu, sd: sigma), lower: a, upper: b)
        XCTAssertEqual(d.mean, mean, accuracy: abs(mean) * 1e-6)
        XCTAssertEqual(d.variance, variance, accuracy: variance * 1e-6)
    }

    /// Lognormal(μ, σ) truncated to [a, ∞): with Z = Φ((μ − ln a)/σ),
    /// E[Xᵏ | X ≥ a] = exp(kμ + k²σ²/2) Φ((μ + kσ² − ln a)/σ) / Z.
    ///
    /// The numeric moments use the midpoint rule on n = 200 000 cells of ∫₀¹ Q(u)ᵏ du. With an unbounded
    /// upper tail its error is dominated by the last cell [1 − 1/n, 1]: the rule's estimate of that
    /// cell lies between half and all of the cell's integral, so it is off by at most the integral,
    /// the partial moment T_k = E[Xᵏ; X > q] with q = Q(1 − 1/n), which has the same closed form with
    /// ln q in place of ln a. The tolerances are T₁ for the mean and T₂ + 2 E[X] T₁ for the variance.
    func testTruncatedLognormalMomentsMatchTheClosedForm() {
        let mu = 0.0, sigma = 0.5, a = 0.8
        let d = Distribution.truncated(base: .lognormal(mu: mu, sigma: sigma), lower: a, upper: .infinity)
        let z = phiCDF((mu - log(a)) / sigma)
        func partial(_ k: Double, above x: Double) -> Double {
            exp(k * mu + k * k * sigma * sigma / 2) * phiCDF((mu + k * sigma * sigma - log(x)) / sigma) / z
        }
        let mean = partial(1, above: a), variance = partial(2, above: a) - mean * mean
        let q = d.quantile(1 - 1.0 / 200_000)
        let t1 = partial(1, above: q), t2 = partial(2, above: q)
        XCTAssertEqual(d.mean, mean, accuracy: t1)
        XCTAssertEqual(d.variance, variance, accuracy: t2 + 2 * mean * t1)
    }

    func testPERTMomentsAreThoseOfItsBeta() {
        // PERT(60, 80, 120): shapes 1 + 4·20/60 = 7/3 and 1 + 4·40/60 = 11/3, so α + β = 6.
        let d = Distribution.pert(min: 60, mode: 80, max: 120)
        let beta = Distribution.beta(alpha: 7.0 / 3, beta: 11.0 / 3)
        XCTAssertEqual(d.mean, 60 + 60 * beta.mean, accuracy: 1e-12)
        XCTAssertEqual(d.variance, 3600 * beta.variance, accuracy: 1e-10)
        XCTAssertEqual(d.cdf(90), beta.cdf(0.5), accuracy: 1e-14)
    }

    // MARK: - Inverse CDF

    /// `quantile(cdf(x)) ≈ x` on a grid spanning the 0.1%–99.9% range of every continuous distribution.
    /// The tolerance is numerical, not statistical: GSL's inverse CDFs are refined to near machine
    /// precision, and 1e-8 of a standard deviation is far below any resolution a simulation has.
    func testQuantileInvertsCDFForEveryContinuousDistribution() {
        for d in Self.continuous {
            let sd = d.variance.squareRoot()
            let lo = d.quantile(0.001), hi = d.quantile(0.999)
            for i in 0...100 {
                let x = lo + (hi - lo) * Double(i) / 100
                XCTAssertEqual(d.quantile(d.cdf(x)), x, accuracy: 1e-8 * sd, "\(d) at x = \(x)")
            }
        }
    }

    func testQuantileOfAtomsIsTheSmallestValueWhoseCDFReachesU() {
        let d = Distribution.discrete(values: [0, 1, 2], probabilities: [0.2, 0.5, 0.3])
        XCTAssertEqual(d.quantile(0.19), 0)
        XCTAssertEqual(d.quantile(0.21), 1)
        XCTAssertEqual(d.quantile(0.69), 1)
        XCTAssertEqual(d.quantile(0.71), 2)
        let b = Distribution.bernoulli(p: 0.3)
        XCTAssertEqual(b.quantile(0.69), 0)
        XCTAssertEqual(b.quantile(0.71), 1)
        let e = Distribution.empirical(sorted: [1.2, 2.2, 2.2, 3.4, 5.0])
        XCTAssertEqual(e.quantile(0.1), 1.2)
        XCTAssertEqual(e.quantile(0.5), 2.2)
        XCTAssertEqual(e.quantile(0.99), 5.0)
    }

    // MARK: - Sampling mechanics

    func testSamplingIsReproducibleFromTheSeed() {
        for d in Self.continuous {
            for path in SamplingPath.allCases {
                XCTAssertEqual(draws(d, path, n: 1000, seed: 7), draws(d, path, n: 1000, seed: 7), "\(d) by \(path)")
                XCTAssertNotEqual(draws(d, path, n: 1000, seed: 7), draws(d, path, n: 1000, seed: 8), "\(d) by \(path)")
            }
        }
    }

    func testStratifiedSamplingPutsOneDrawInEachStratum() {
        let n = 1000
        let x = draws(.uniform(min: 0, max: 1), .stratified, n: n, seed: 11).sorted()
        for (i, v) in x.enumerated() {
            XCTAssertGreaterThanOrEqual(v, Double(i) / Double(n) - 1e-12)
            XCTAssertLessThanOrEqual(v, Double(i + 1) / Double(n) + 1e-12)
        }
    }

    func testTruncatedDrawsStayWithinTheBounds() {
        let d = Distribution.truncated(base: .normal(mean: 0.08, sd: 0.05), lower: 0, upper: 0.2)
        for path in SamplingPath.allCases {
            let x = draws(d, path)
            XCTAssertGreaterThanOrEqual(x.min()!, 0, "\(path)")
            XCTAssertLessThanOrEqual(x.max()!, 0.2, "\(path)")
        }
    }

    // MARK: - Helpers

    static let sampleSize = 200_000
    static let seed: UInt64 = 20_260_101

    static let continuous: [Distribution] = [
        .uniform(min: 0.5, max: 0.9),
        .normal(mean: 0.08, sd: 0.015),
        .lognormal(mean: 40e9, sd: 6e9),
        .lognormal(p5: 35e9, p95: 50e9),
        .triangular(min: 60, mode: 80, max: 120),
        .pert(min: 60, mode: 80, max: 120),
        .beta(alpha: 2, beta: 5),
        .gamma(shape: 2, scale: 0.25),
        .truncated(base: .normal(mean: 0.08, sd: 0.05), lower: 0, upper: 0.2),
        .truncated(base: .lognormal(mu: 0, sigma: 0.5), lower: 0.8, upper: .infinity),
    ]

    enum SamplingPath: CaseIterable { case direct, stratified }

    func draws(_ d: Distribution, _ path: SamplingPath, n: Int = DistributionTests.sampleSize, seed: UInt64 = DistributionTests.seed) -> [Double] {
        let stream = RandomStream(kind: .taus2, seed: seed)
        var out = [Double](repeating: .nan, count: n)
        var scratch = [Int32](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { o in
            switch path {
            case .direct:
                d.sample(stream, into: o)
            case .stratified:
                scratch.withUnsafeMutableBufferPointer { s in d.sampleStratified(stream, into: o, scratch: s) }
            }
        }
        return out
    }

    /// Draws by both paths and checks the mean and variance, then the shape: the KS test for a
    /// continuous distribution, or the frequency of each atom in `atoms` when it has any.
    func assertMatchesClosedForms(_ d: Distribution, atoms: [Double]? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let mean = d.mean, variance = d.variance
        for path in SamplingPath.allCases {
            let x = draws(d, path)
            let label = "\(d) by \(path)"
            assertMoments(x, mean: mean, variance: variance, label, file: file, line: line)
            if let atoms {
                assertAtoms(x, of: d, support: atoms, label, file: file, line: line)
            } else {
                let dn = ksStatistic(x, d.cdf)
                let critical = 1.949 / Double(x.count).squareRoot()
                XCTAssertLessThanOrEqual(dn, critical, "\(label): KS D = \(dn) exceeds the 0.1% critical value \(critical)", file: file, line: line)
            }
        }
    }

    func assertMoments(_ x: [Double], mean mu: Double, variance sigma2: Double, _ label: String, file: StaticString, line: UInt) {
        let n = Double(x.count)
        let m = x.reduce(0, +) / n
        var m2 = 0.0, m4 = 0.0
        for v in x {
            let d2 = (v - m) * (v - m)
            m2 += d2
            m4 += d2 * d2
        }
        let s2 = m2 / (n - 1)
        m4 /= n
        let seMean = (sigma2 / n).squareRoot()
        XCTAssertLessThanOrEqual(abs(m - mu), 4 * seMean, "\(label): sample mean \(m), closed form \(mu), SE \(seMean)", file: file, line: line)
        let seVariance = ((m4 - sigma2 * sigma2) / n).squareRoot()
        XCTAssertLessThanOrEqual(abs(s2 - sigma2), 4 * seVariance, "\(label): sample variance \(s2), closed form \(sigma2), SE \(seVariance)", file: file, line: line)
    }

    /// Every draw must be one of `support`; each value's frequency must lie within 4 binomial SEs of
    /// its probability, read off the closed-form cdf as the size of its jump.
    func assertAtoms(_ x: [Double], of d: Distribution, support: [Double], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let n = Double(x.count)
        var counts = [Double: Int]()
        for v in x { counts[v, default: 0] += 1 }
        XCTAssertEqual(Set(counts.keys).subtracting(support), [], "\(label): draws off the support", file: file, line: line)
        var below = 0.0
        for v in support {
            let p = d.cdf(v) - below
            below = d.cdf(v)
            let freq = Double(counts[v] ?? 0) / n
            let se = (p * (1 - p) / n).squareRoot()
            XCTAssertLessThanOrEqual(abs(freq - p), 4 * se, "\(label): P(X = \(v)) = \(p), frequency \(freq), SE \(se)", file: file, line: line)
        }
        XCTAssertEqual(below, 1, accuracy: 1e-12, "\(label): the support carries all the probability", file: file, line: line)
    }

    /// D_n = sup |F_n − F|, evaluated at the order statistics from both sides.
    func ksStatistic(_ x: [Double], _ cdf: (Double) -> Double) -> Double {
        let s = x.sorted()
        let n = Double(s.count)
        var d = 0.0
        for (i, v) in s.enumerated() {
            let f = cdf(v)
            d = max(d, Double(i + 1) / n - f, f - Double(i) / n)
        }
        return d
    }

    func phi(_ z: Double) -> Double { exp(-z * z / 2) / (2 * Double.pi).squareRoot() }
    func phiCDF(_ z: Double) -> Double { erfc(-z / 2.0.squareRoot()) / 2 }
}

extension DistributionTests {
    /// The bulk inverse of the closed forms (`BulkQuantile.mapExact`, one loop per form) gives exactly
    /// `quantile`'s bits, tails and the triangular's mode included.
    func testBulkExactQuantilesAreQuantileBitForBit() {
        let forms: [Distribution] = [.uniform(min: 5, max: 6), .normal(mean: 0.09, sd: 0.01), .lognormal(mu: 1.2, sigma: 0.7),
                                     .triangular(min: 1, mode: 2, max: 7), .triangular(min: 0, mode: 0, max: 1),
                                     .triangular(min: 0, mode: 1, max: 1), .bernoulli(p: 0.3)]
        var us = (1 ..< 4096).map { (Double($0) + 0.37) / 4096 }
        us += [1e-300, 1e-12, 1 - 0x1p-53, 1.0 / 6, 0.5]
        for d in forms {
            let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: us.count)
            defer { values.deallocate() }
            _ = values.initialize(from: us)
            BulkQuantile(d).map(values)
            for (i, u) in us.enumerated() { XCTAssertEqual(values[i].bitPattern, d.quantile(u).bitPattern, "\(d) at \(u)") }
        }
    }
}
