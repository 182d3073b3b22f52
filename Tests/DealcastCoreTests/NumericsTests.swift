import XCTest
@testable import DealcastCore

// MARK: - Cash flows

/// Flow t falls at the end of year t + 1, so NPV = Σ cₜ / (1 + r)^(t+1).
final class CashFlowTests: XCTestCase {
    /// A level annuity of c for n years at rate r is worth c (1 − (1 + r)⁻ⁿ) / r.
    func testNPVOfAnAnnuityMatchesTheClosedForm() {
        let c = 100.0, r = 0.05, n = 10
        let closedForm = c * (1 - pow(1 + r, -Double(n))) / r
        XCTAssertEqual(npv(Array(repeating: c, count: n), rate: r), closedForm, accuracy: 1e-10)
        XCTAssertEqual(closedForm, 772.1734929184818, accuracy: 1e-9)
    }

    func testNPVDiscountsTheFirstFlowByOneYear() {
        XCTAssertEqual(npv([110], rate: 0.1), 100, accuracy: 1e-12)
        XCTAssertEqual(npv([-100, 0, 133.1], rate: 0.1), -100 / 1.1 + 100, accuracy: 1e-10)
        XCTAssertEqual(npv([], rate: 0.1), 0)
        XCTAssertEqual(npv([1, 2, 3], rate: 0), 6)
    }

    /// Builds flows whose NPV at `rate` is zero by construction, then asks for their IRR. Brent's
    /// solver stops when the bracket is narrower than 1e-9, so the rate is recovered to that.
    func testIRRRecoversTheRateTheFlowsWereBuiltAt() {
        for rate in [0.12, 0.0, -0.2, 2.5] {
            let later = [300.0, 400, 500, 200, 250]
            let price = later.enumerated().reduce(0) { $0 + $1.element / pow(1 + rate, Double($1.offset + 1)) }
            let flows = [-price] + later
            let irr = flows.withUnsafeBufferPointer { CashFlow.irr($0) }
            XCTAssertEqual(irr ?? .nan, rate, accuracy: 1e-8, "rate \(rate)")
            XCTAssertEqual(npv(flows, rate: irr ?? .nan), 0, accuracy: 1e-6, "rate \(rate)")
        }
    }

    /// A reused `IRRSolver` gives, bit for bit, what a fresh GSL Brent solver over a Swift closure gives
    /// (the path `CashFlow.irr` took before the solver was reused), on flows of every shape a capex
    /// model produces: roots in the bracket, outside it, none, exact zeros at an end.
    func testReusedIRRSolverMatchesAFreshBrentSolve() {
        var state: UInt64 = 0x1234_5678
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let solver = IRRSolver()
        var cases: [[Double]] = [[-100, 0.5], [100, 200], [], [-1, 0, 0], [-100, 110], [-100.0, 0, 0, 0, 1e9]]
        for _ in 0 ..< 2000 {
            let years = 1 + Int(next() * 12)
            cases.append((0 ..< years).map { t in (t == 0 ? -1000 : 0) + (next() - 0.3) * 400 * Double(t) })
        }
        for flows in cases {
            flows.withUnsafeBufferPointer { f in
                var pos = false, neg = false
                for c in f { if c > 0 { pos = true } else if c < 0 { neg = true } }
                let fresh = pos && neg ? RootFinding.brent(lower: -0.99, upper: 10, tolerance: 1e-9) { CashFlow.npv(f, rate: $0) } : nil
                let reused = solver.irr(f)
                XCTAssertEqual(fresh?.bitPattern, reused?.bitPattern, "\(flows)")
            }
        }
    }

    func testIRRIsNilWithoutASignChange() {
        for flows: [Double] in [[100, 200], [-100, -5], [0, 0, 0], [], [-100, 0]] {
            XCTAssertNil(flows.withUnsafeBufferPointer { CashFlow.irr($0) }, "\(flows)")
        }
    }

    /// −100 then 0.5 has its root at r = −99.5%, below the bracket's −99%.
    func testIRRIsNilWhenTheRootLiesOutsideTheBracket() {
        XCTAssertNil([-100.0, 0.5].withUnsafeBufferPointer { CashFlow.irr($0) })
    }

    /// Cumulative −100, −70, −40, −10, +20: the crossing is a third of the way through the fifth year,
    /// counting flow t as spread over the year from t to t + 1.
    func testPaybackInterpolatesWithinTheYearOfTheCrossing() throws {
        XCTAssertEqual(try XCTUnwrap(payback([-100, 30, 30, 30, 30])), 4 + 10.0 / 30, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(payback([-100, 50, 50])), 3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(payback([-60, -40, 200])), 2.5, accuracy: 1e-12)
    }

    func testPaybackIsZeroWhenTheFirstFlowIsNonNegative() {
        XCTAssertEqual(payback([5, 10]), 0)
    }

    func testPaybackIsNilWhenFlowsNeverRecover() {
        XCTAssertNil(payback([-100, 10, 10]))
        // A zero first flow is not a payback: cumulative cash turns negative in year 1 and recovers in year 2.
        XCTAssertEqual(try XCTUnwrap(payback([0, -100, 200])), 2.5, accuracy: 1e-12)
        XCTAssertNil(payback([]))
    }

    func npv(_ flows: [Double], rate: Double) -> Double {
        flows.withUnsafeBufferPointer { CashFlow.npv($0, rate: rate) }
    }

    func payback(_ flows: [Double]) -> Double? {
        flows.withUnsafeBufferPointer { CashFlow.payback($0) }
    }
}

final class RootFindingTests: XCTestCase {
    func testBrentFindsTheSquareRootOfTwo() throws {
        let root = try XCTUnwrap(RootFinding.brent(lower: 0, upper: 2) { $0 * $0 - 2 })
        XCTAssertEqual(root, 2.0.squareRoot(), accuracy: 1e-9)
    }

    func testBrentReturnsAnEndpointThatIsARoot() {
        XCTAssertEqual(RootFinding.brent(lower: 1, upper: 3) { $0 - 1 }, 1)
    }

    func testBrentIsNilWithoutASignChangeOrWithNonFiniteEnds() {
        XCTAssertNil(RootFinding.brent(lower: -1, upper: 1) { $0 * $0 + 1 })
        XCTAssertNil(RootFinding.brent(lower: 0, upper: 1) { 1 / $0 - 0.5 })
    }
}

// MARK: - Least squares

final class LinearFitTests: XCTestCase {
    func testExactDataRecoversTheCoefficients() throws {
        // y = 2 + 3 x₁ − 0.5 x₂, no noise.
        let xs: [(Double, Double)] = [(0, 1), (1, 0), (2, 5), (3, 2), (4, 4), (5, 9)]
        let rows = xs.map { [1, $0.0, $0.1] }
        let y = xs.map { 2 + 3 * $0.0 - 0.5 * $0.1 }
        let fit = try LinearFit.fit(rows: rows, y: y)
        XCTAssertEqual(fit.n, 6)
        XCTAssertEqual(fit.p, 3)
        for (b, expected) in zip(fit.coefficients, [2.0, 3, -0.5]) { XCTAssertEqual(b, expected, accuracy: 1e-10) }
        XCTAssertEqual(fit.rss, 0, accuracy: 1e-18)
    }

    /// x = 1…5, y = 2, 4, 5, 4, 5, by hand: XᵀX = [[5, 15], [15, 55]], det 50,
    /// (XᵀX)⁻¹ = [[1.1, −0.3], [−0.3, 0.1]]; slope Sxy/Sxx = 6/10 = 0.6, intercept 4 − 0.6·3 = 2.2;
    /// residuals −0.8, 0.6, 1.0, −0.6, −0.2, RSS = 2.4, σ̂² = 2.4/3 = 0.8;
    /// Cov(β) = σ̂² (XᵀX)⁻¹ = [[0.88, −0.24], [−0.24, 0.08]].
    func testCovarianceIsResidualVarianceTimesInverseGram() throws {
        let fit = try LinearFit.fit(rows: (1...5).map { [1, Double($0)] }, y: [2, 4, 5, 4, 5])
        XCTAssertEqual(fit.coefficients[0], 2.2, accuracy: 1e-12)
        XCTAssertEqual(fit.coefficients[1], 0.6, accuracy: 1e-12)
        XCTAssertEqual(fit.rss, 2.4, accuracy: 1e-12)
        XCTAssertEqual(fit.residualVariance, 0.8, accuracy: 1e-12)
        for (c, expected) in zip(fit.covariance, [0.88, -0.24, -0.24, 0.08]) { XCTAssertEqual(c, expected, accuracy: 1e-12) }
    }

    func testCovarianceCholeskyReproducesTheCovariance() throws {
        let fit = try LinearFit.fit(rows: (1...5).map { [1, Double($0)] }, y: [2, 4, 5, 4, 5])
        let l = try fit.covarianceCholesky()
        XCTAssertEqual(l[1], 0, "upper triangle is zero")
        for i in 0..<2 {
            for j in 0..<2 {
                let llt = (0..<2).reduce(0.0) { $0 + l[i * 2 + $1] * l[j * 2 + $1] }
                XCTAssertEqual(llt, fit.covariance[i * 2 + j], accuracy: 1e-12)
            }
        }
    }

    func testFitNeedsMoreObservationsThanParameters() {
        XCTAssertThrowsError(try LinearFit.fit(rows: [[1, 0], [1, 1]], y: [0, 1])) { error in
            XCTAssertTrue("\(error)".contains("more observations"), "\(error)")
        }
        XCTAssertThrowsError(try LinearFit.fit(rows: [], y: []))
    }
}

// MARK: - Summary statistics

/// Expected values from numpy 2.4: `np.mean`, `np.std(ddof=1)`, and `np.quantile` with its default
/// linear interpolation, on [1, 2, 3, 4, 10].
final class SummaryTests: XCTestCase {
    func testSummaryMatchesNumpyAndCountsNaNAsUndefined() {
        let s = summary([10, 3, .nan, 1, 4, .nan, 2])
        XCTAssertEqual(s.n, 5)
        XCTAssertEqual(s.undefined, 2)
        XCTAssertEqual(s.mean, 4, accuracy: 1e-15)
        XCTAssertEqual(s.sd, 3.5355339059327378, accuracy: 1e-15)
        XCTAssertEqual(s.stderr, 3.5355339059327378 / 5.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 10)
        XCTAssertEqual(s.p5, 1.2, accuracy: 1e-12)
        XCTAssertEqual(s.p25, 2, accuracy: 1e-12)
        XCTAssertEqual(s.p50, 3, accuracy: 1e-12)
        XCTAssertEqual(s.p75, 4, accuracy: 1e-12)
        XCTAssertEqual(s.p95, 8.8, accuracy: 1e-12)
    }

    func testSummaryOfOnlyUndefinedValuesIsAllNaN() {
        let s = summary([.nan, .nan])
        XCTAssertEqual(s.n, 0)
        XCTAssertEqual(s.undefined, 2)
        XCTAssertTrue(s.mean.isNaN && s.sd.isNaN && s.p50.isNaN)
    }

    func testSummaryOfOneValueHasZeroSpread() {
        let s = summary([7])
        XCTAssertEqual(s.mean, 7)
        XCTAssertEqual(s.sd, 0)
        XCTAssertEqual(s.p5, 7)
        XCTAssertEqual(s.p95, 7)
    }

    func testInfinitiesAreDefinedValues() {
        let s = summary([1, .infinity, 2])
        XCTAssertEqual(s.n, 3)
        XCTAssertEqual(s.undefined, 0)
        XCTAssertEqual(s.max, .infinity)
    }

    func summary(_ values: [Double]) -> Summary {
        values.withUnsafeBufferPointer { Summary.of($0) }
    }
}
