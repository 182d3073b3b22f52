import DealcastCore
import Foundation
import XCTest

/// Maximum-likelihood fitting: parameters recovered from seeded samples within tolerances derived
/// from their standard errors, AIC picking the family that generated the data, the KS statistic
/// against closed forms, and the scenario snippet parsing back to the fitted distribution.
final class FittingTests: XCTestCase {
    /// `n` independent draws of `d`, seeded.
    func sample(_ d: Distribution, _ n: Int, seed: UInt64) -> [Double] {
        var out = [Double](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { d.sample(RandomStream(kind: .taus2, seed: seed), into: $0) }
        return out
    }

    func fit(_ data: [Double], _ family: FitFamily, unit: DataUnit = .plain) throws -> DistributionFit {
        let report = try DistributionFitter.fit(data, unit: unit, source: "test data", families: [family])
        return try XCTUnwrap(report.fits.first { $0.family == family }, "\(family) was not fitted: \(report.skipped)")
    }

    /// ψ'(n) for a positive integer: π²/6 − Σ_{k<n} 1/k².
    func trigamma(integer n: Int) -> Double {
        var s = Double.pi * Double.pi / 6
        for k in 1 ..< n { s -= 1 / Double(k * k) }
        return s
    }

    // MARK: Parameters recovered

    func testNormalFitRecoversMeanAndSdWithinFourStandardErrors() throws {
        let n = 5000, mu = 10.0, sigma = 2.0
        let f = try fit(sample(.normal(mean: mu, sd: sigma), n, seed: 11), .normal)
        guard case .normal(let m, let s) = f.distribution else { return XCTFail("\(f.distribution)") }
        // SE(μ̂) = σ/√n, SE(σ̂) = σ/√(2n).
        XCTAssertEqual(m, mu, accuracy: 4 * sigma / Double(n).squareRoot())
        XCTAssertEqual(s, sigma, accuracy: 4 * sigma / Double(2 * n).squareRoot())
        XCTAssertEqual(f.method, "closed form")
    }

    func testLognormalFitRecoversLogScaleParametersWithinFourStandardErrors() throws {
        let n = 5000, mu = 1.5, sigma = 0.6
        let f = try fit(sample(.lognormal(mu: mu, sigma: sigma), n, seed: 12), .lognormal)
        guard case .lognormal(let m, let s) = f.distribution else { return XCTFail("\(f.distribution)") }
        XCTAssertEqual(m, mu, accuracy: 4 * sigma / Double(n).squareRoot())
        XCTAssertEqual(s, sigma, accuracy: 4 * sigma / Double(2 * n).squareRoot())
    }

    func testGammaFitRecoversShapeAndScaleWithinFourStandardErrors() throws {
        let n = 5000, k = 2.5, theta = 3.0
        let f = try fit(sample(.gamma(shape: k, scale: theta), n, seed: 13), .gamma)
        guard case .gamma(let kh, let th) = f.distribution else { return XCTFail("\(f.distribution)") }
        // Inverse Fisher information per observation, with ψ'(5/2) = π²/2 − 4(1 + 1/9):
        // var k̂ = k / (k ψ'(k) − 1), var θ̂ = θ² ψ'(k) / (k ψ'(k) − 1).
        let psi1 = Double.pi * Double.pi / 2 - 4 * (1 + 1.0 / 9)
        let det = k * psi1 - 1
        XCTAssertEqual(kh, k, accuracy: 4 * (k / det / Double(n)).squareRoot())
        XCTAssertEqual(th, theta, accuracy: 4 * (theta * theta * psi1 / det / Double(n)).squareRoot())
    }

    func testBetaFitRecoversShapesWithinFourStandardErrors() throws {
        let n = 5000, a = 2.0, b = 5.0
        let f = try fit(sample(.beta(alpha: a, beta: b), n, seed: 14), .beta)
        guard case .beta(let ah, let bh) = f.distribution else { return XCTFail("\(f.distribution)") }
        // Fisher information per observation: [[ψ'(a) − ψ'(a+b), −ψ'(a+b)], [−ψ'(a+b), ψ'(b) − ψ'(a+b)]].
        let pa = trigamma(integer: 2), pb = trigamma(integer: 5), pab = trigamma(integer: 7)
        let i11 = pa - pab, i22 = pb - pab, i12 = -pab
        let det = i11 * i22 - i12 * i12
        XCTAssertEqual(ah, a, accuracy: 4 * (i22 / det / Double(n)).squareRoot())
        XCTAssertEqual(bh, b, accuracy: 4 * (i11 / det / Double(n)).squareRoot())
        XCTAssertTrue(f.converged)
    }

    func testUniformFitIsTheSampleRangeWithinTheExpectedGapOfTheTrueBounds() throws {
        let n = 2000
        let x = sample(.uniform(min: -3, max: 7), n, seed: 15)
        let f = try fit(x, .uniform)
        XCTAssertEqual(f.distribution, .uniform(min: x.min()!, max: x.max()!))
        // The gap between a bound and the nearest draw is about Exp(mean (b − a)/n); 8 means is a 3e-4 tail.
        guard case .uniform(let lo, let hi) = f.distribution else { return }
        XCTAssertLessThan(lo - -3, 8 * 10 / Double(n))
        XCTAssertLessThan(7 - hi, 8 * 10 / Double(n))
    }

    /// Fits `truth` to `replicates` seeded samples and checks that the mean of each estimated
    /// parameter is within 4 standard errors (the replicates' sd / √replicates) of the true value.
    func assertReplicatesRecover(_ truth: Distribution, _ family: FitFamily, n: Int, replicates: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        func params(_ d: Distribution) -> [Double] {
            switch d {
            case .triangular(let a, let c, let b), .pert(let a, let c, let b): return [a, c, b]
            default: return []
            }
        }
        var estimates: [[Double]] = []
        for r in 0 ..< replicates {
            let f = try fit(sample(truth, n, seed: 100 + UInt64(r)), family)
            XCTAssertTrue(f.converged, file: file, line: line)
            estimates.append(params(f.distribution))
        }
        for (j, t) in params(truth).enumerated() {
            let xs = estimates.map { $0[j] }
            let m = xs.reduce(0, +) / Double(replicates)
            let sd = (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(replicates - 1)).squareRoot()
            XCTAssertEqual(m, t, accuracy: 4 * sd / Double(replicates).squareRoot(), "\(family) parameter \(j): estimates \(xs)", file: file, line: line)
        }
    }

    func testPertFitByTheGSLMinimiserRecoversMinModeAndMax() throws {
        try assertReplicatesRecover(.pert(min: 10, mode: 14, max: 30), .pert, n: 1000, replicates: 10)
    }

    func testTriangularFitBySearchRecoversMinModeAndMax() throws {
        try assertReplicatesRecover(.triangular(min: 0, mode: 3, max: 10), .triangular, n: 1000, replicates: 10)
    }

    // MARK: Model selection

    func testAICPicksTheFamilyThatGeneratedClearlySeparatedData() throws {
        let cases: [(Distribution, FitFamily)] = [
            (.normal(mean: 0, sd: 1), .normal),
            (.lognormal(mu: 0, sigma: 0.8), .lognormal),
            (.gamma(shape: 2, scale: 1), .gamma),
            (.uniform(min: 0, max: 10), .uniform),
            (.triangular(min: 0, mode: 2, max: 10), .triangular),
        ]
        for (i, (truth, family)) in cases.enumerated() {
            let report = try DistributionFitter.fit(sample(truth, 3000, seed: 200 + UInt64(i)), source: "test")
            XCTAssertEqual(report.fits.first?.family, family, "\(truth): ranking \(report.fits.map { "\($0.family) \($0.aic)" })")
            // Clearly separated: the runner-up is behind by more than 10, which Burnham & Anderson call decisive.
            XCTAssertGreaterThan(report.fits[1].aic - report.fits[0].aic, 10, "\(truth): ranking \(report.fits.map { "\($0.family) \($0.aic)" })")
            XCTAssertEqual(report.fits.map(\.aic), report.fits.map(\.aic).sorted(), "fits are ranked by AIC")
            XCTAssertEqual(report.fits.reduce(0) { $0 + $1.akaikeWeight }, 1, accuracy: 1e-12)
        }
    }

    func testFamiliesOutsideTheirSupportAreSkippedWithTheReason() throws {
        let report = try DistributionFitter.fit([-2, -1, 0.5, 1, 3, 4], source: "test")
        let skipped = Dictionary(uniqueKeysWithValues: report.skipped.map { ($0.family, $0.reason) })
        XCTAssertEqual(Set(skipped.keys), [.lognormal, .gamma, .exponential, .beta])
        XCTAssertTrue(skipped[.lognormal]!.contains("positive"), skipped[.lognormal]!)
        let money = try DistributionFitter.fit([0.2, 0.3, 0.5, 0.6, 0.9], unit: DataUnit("1M USD"), source: "test")
        XCTAssertTrue(money.skipped.contains { $0.family == .beta && $0.reason.contains("USD") })
    }

    func testTooFewOrConstantValuesAreInvalidData() {
        XCTAssertThrowsError(try DistributionFitter.fit([1, 2, 3], source: "d.csv, column 'x'")) { e in
            XCTAssertEqual((e as? DealcastError)?.code, .invalidData)
            XCTAssertTrue("\(e)".contains("d.csv, column 'x'"), "\(e)")
        }
        XCTAssertThrowsError(try DistributionFitter.fit([2, 2, 2, 2, 2, 2], source: "d.csv, column 'x'")) { e in
            XCTAssertEqual((e as? DealcastError)?.code, .invalidData)
            XCTAssertTrue("\(e)".contains("no spread"), "\(e)")
        }
    }

    // MARK: Kolmogorov–Smirnov

    func testKolmogorovSurvivalFunctionMatchesTabulatedValues() {
        // Q(λ) = 2 Σ (−1)^{j−1} exp(−2 j² λ²): Q(0.5) = 0.963945, Q(1) = 0.269999, Q(1.3581) = 0.0500.
        XCTAssertEqual(KolmogorovSmirnov.kolmogorovQ(0.5), 0.9639452436648751, accuracy: 1e-9)
        XCTAssertEqual(KolmogorovSmirnov.kolmogorovQ(1.0), 0.2699996716735, accuracy: 1e-9)
        XCTAssertEqual(KolmogorovSmirnov.kolmogorovQ(1.3581), 0.05, accuracy: 1e-4)
        // The two series agree where they hand over.
        XCTAssertEqual(KolmogorovSmirnov.kolmogorovQ(1.18 - 1e-12), KolmogorovSmirnov.kolmogorovQ(1.18), accuracy: 1e-10)
    }

    func testKSStatisticIsTheLargestGapBetweenTheStepAndTheCDF() {
        // Against uniform(0, 1): the gaps are 1/3 − 0.1 and 0.9 − 2/3, both 0.2333.
        let d = KolmogorovSmirnov.statistic(sorted: [0.1, 0.5, 0.9]) { Swift.min(1, Swift.max(0, $0)) }
        XCTAssertEqual(d, 0.7 / 3, accuracy: 1e-12)
        // Tied values make one step: F_n jumps from 0 to 2/3 at 0.5, where F is 0.5, so D = 0.5 − 0.
        XCTAssertEqual(KolmogorovSmirnov.statistic(sorted: [0.5, 0.5, 0.9]) { $0 }, 0.5, accuracy: 1e-12)
    }

    func testKSStatisticOfTheTrueDistributionIsOfOrderOneOverRootN() throws {
        let n = 4000
        let f = try fit(sample(.normal(mean: 5, sd: 1), n, seed: 21), .normal)
        // √n D converges to the Kolmogorov distribution; P(K > 1.95) ≈ 0.001.
        XCTAssertLessThan(f.ks.d * Double(n).squareRoot(), 1.95)
        XCTAssertGreaterThan(f.ks.pValue, 0.001)
    }

    // MARK: Snippet

    func testEverySnippetParsesBackToTheFittedDistribution() throws {
        let cases: [([Double], DataUnit)] = [
            (sample(.lognormal(mu: 3, sigma: 0.4), 800, seed: 31), try DataUnit("1M USD")),
            (sample(.normal(mean: 20, sd: 5), 800, seed: 32), try DataUnit("%")),
            (sample(.beta(alpha: 2, beta: 3), 800, seed: 33), .plain),
            (sample(.gamma(shape: 3, scale: 2), 800, seed: 34), try DataUnit("months")),
            (sample(.pert(min: 1, mode: 2, max: 6), 800, seed: 35), try DataUnit("$1B")),
        ]
        for (data, unit) in cases {
            let report = try DistributionFitter.fit(data, unit: unit, source: "test")
            for f in report.fits {
                let parsed = try DistributionParser.parse(f.snippet)
                XCTAssertEqual(parsed.dimension, unit.dimension, f.snippet)
                for u in [0.05, 0.5, 0.95] {
                    XCTAssertEqual(parsed.distribution.quantile(u), f.distribution.quantile(u), accuracy: 1e-5 * report.sd, "\(f.family): \(f.snippet)")
                }
            }
        }
    }

    func testDataUnitsScaleTheColumnAndWriteValuesBackInTheSameUnit() throws {
        let m = try DataUnit("1M USD")
        XCTAssertEqual(m.factor, 1e6)
        XCTAssertEqual(m.dimension, .currency)
        XCTAssertEqual(m.written(12_345_600, digits: 6), "12.3456M USD")
        XCTAssertEqual(try DataUnit("%").written(0.125, digits: 4), "12.5%")
        XCTAssertEqual(try DataUnit("months").written(0.25, digits: 4), "3 months")
        XCTAssertEqual(try DataUnit("$1B").written(-4.5e9, digits: 4), "-$4.5B")
        XCTAssertThrowsError(try DataUnit("furlongs")) { e in
            XCTAssertEqual((e as? DealcastError)?.code, .usage)
            XCTAssertTrue("\(e)".contains("--unit 'furlongs'"), "\(e)")
        }
    }

    // MARK: Minimiser

    func testNelderMeadFindsTheRosenbrockMinimum() throws {
        let r = try XCTUnwrap(Minimize.nelderMead(start: [-1.2, 1], step: [0.5, 0.5], tolerance: 1e-10) { p in
            let (x, y) = (p[0], p[1])
            return 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x)
        })
        XCTAssertTrue(r.converged)
        XCTAssertEqual(r.point[0], 1, accuracy: 1e-5)
        XCTAssertEqual(r.point[1], 1, accuracy: 1e-5)
    }

    func testNelderMeadBacksAwayFromPointsOutsideTheDomain() throws {
        // log is undefined for x ≤ 0; the minimum of x − log x is at x = 1.
        let r = try XCTUnwrap(Minimize.nelderMead(start: [3], step: [2.5]) { $0[0] - log($0[0]) })
        XCTAssertEqual(r.point[0], 1, accuracy: 1e-4)
        XCTAssertNil(Minimize.nelderMead(start: [-1], step: [1]) { log($0[0]) }, "a non-finite start is refused")
    }
}
