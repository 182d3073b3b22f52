import XCTest
@testable import DealcastCore

/// The fast inverse CDF of Latin hypercube and Sobol sampling (`QuantileTable`, `BulkQuantile`): its
/// accuracy bound, its tails, that Latin hypercube draws stay one per stratum, and that the forms it
/// does not tabulate keep their exact inverse bit for bit.
///
/// These are accuracy checks, not statistical ones: the bound |F(Q̂(u)) − u| ≤ 10⁻¹⁰ is a property of
/// the table at every u, so it is checked on fixed dense grids, not on random draws.
final class QuantileTableTests: XCTestCase {
    /// The tabulated shapes of both bundled scenarios (their PERTs and betas), and awkward ones: PERT
    /// with the mode at min or max, beta shapes below 1 (singular density at an end), a narrow beta,
    /// gamma shapes below 1, and truncated forms.
    static let tabulated: [Distribution] = [
        .pert(min: 0.8, mode: 0.95, max: 1), .pert(min: 0.1, mode: 0.33, max: 0.5), .pert(min: 0, mode: 0.1, max: 0.4),
        .pert(min: -0.1, mode: 0.15, max: 0.4), .pert(min: 33, mode: 40, max: 72), .pert(min: 4, mode: 5, max: 16),
        .pert(min: 0.65, mode: 0.8, max: 1), .pert(min: 0.02, mode: 0.06, max: 0.13),
        .beta(alpha: 1, beta: 19), .beta(alpha: 2, beta: 6), .beta(alpha: 2, beta: 4), .beta(alpha: 1, beta: 5),
        .pert(min: 0, mode: 0, max: 1), .pert(min: 0, mode: 1, max: 1), .pert(min: 10, mode: 10, max: 11),
        .beta(alpha: 0.5, beta: 0.5), .beta(alpha: 0.2, beta: 3), .beta(alpha: 3, beta: 0.3), .beta(alpha: 0.05, beta: 0.8),
        .beta(alpha: 200, beta: 50),
        .gamma(shape: 2, scale: 0.25), .gamma(shape: 0.3, scale: 2), .gamma(shape: 0.05, scale: 1), .gamma(shape: 40, scale: 3),
        .truncated(base: .pert(min: 0, mode: 0.2, max: 1), lower: 0.1, upper: 0.5),
        .truncated(base: .gamma(shape: 0.5, scale: 1), lower: 0, upper: 2),
        .truncated(base: .beta(alpha: 2, beta: 2), lower: 0.9, upper: .infinity),
    ]

    /// u = (i + ½)/N for N = 200 000, and 10⁻ᵏ·{1, 2, 5} and 1 − that for k = 1…15 (the tails, on both
    /// sides of the table's 10⁻¹⁰ edges).
    static let grid: [Double] = {
        let n = 200_000
        var us = (0 ..< n).map { (Double($0) + 0.5) / Double(n) }
        for k in 1 ... 15 {
            for m in [1.0, 2, 5] {
                let p = m * pow(10, -Double(k))
                us += [p, 1 - p]
            }
        }
        return us.sorted()
    }()

    func testEveryTabulatedFormKeepsTheProbabilityErrorBelowTheBoundOnADenseGridIncludingTheTails() throws {
        for d in Self.tabulated {
            guard let table = QuantileTable(d) else {
                XCTFail("\(d) has no table")
                continue
            }
            var worst = 0.0, worstU = 0.0, previous = -Double.infinity
            // Outside [lower, upper) no double x may have F(x) within the bound of u (the exact inverse
            // serves it; see the next tests).
            for u in Self.grid where u >= table.lower && u < table.upper {
                let x = table.quantile(u)
                let error = abs(d.cdf(x) - u)
                if error > worst { (worst, worstU) = (error, u) }
                XCTAssertGreaterThanOrEqual(x, previous, "\(d): Q̂ decreases at u = \(u)")
                previous = x
            }
            XCTAssertLessThanOrEqual(worst, QuantileTable.tolerance, "\(d): |F(Q̂(u)) − u| = \(worst) at u = \(worstU)")
        }
    }

    func testTablesStaySmall() {
        // The lookup is O(1) either way; a table of thousands of intervals would still be correct but
        // would mean a slow build and cache misses. Every shape above needs far fewer.
        for d in Self.tabulated {
            XCTAssertLessThan(QuantileTable(d)?.intervals ?? .max, 2000, "\(d)")
        }
    }

    func testTheTableLeavesOnlyTheOuterTenToTheMinusTenToTheExactInverse() {
        // Every shape but the two whose upper end doubles cannot resolve (section on tails in
        // QuantileTable): for those, the table still covers all but the stated top fraction.
        for d in Self.tabulated {
            guard let table = QuantileTable(d) else { continue }
            XCTAssertLessThanOrEqual(table.lower, 1.01 * QuantileTable.tailProbability, "\(d)")
            switch d {
            case .beta(alpha: 3, beta: 0.3): XCTAssertGreaterThan(table.upper, 0.99)
            case .beta(alpha: 0.5, beta: 0.5): XCTAssertGreaterThan(table.upper, 1 - 1e-4)
            default: XCTAssertGreaterThanOrEqual(table.upper, 1 - 1.01 * QuantileTable.tailProbability, "\(d)")
            }
            for u in [1e-300, 1e-15, 5e-11, 1 - 5e-11, 1 - 0x1p-53] where u < table.lower || u >= table.upper {
                // GSL's own inverse is nan at some of these for the awkward shapes: the same nan.
                let (a, b) = (table.quantile(u), d.quantile(u))
                XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "\(d) at \(u): \(a) against \(b)")
            }
        }
    }

    func testAShapeDoublesCannotTabulateKeepsTheExactInverse() {
        // beta(0.05, 0.05) puts almost all its mass within 1e-16 of 0 and 1: intervals there cannot be
        // split, so it gets no table and its bulk map is the exact quantile.
        let d = Distribution.beta(alpha: 0.05, beta: 0.05)
        XCTAssertNil(QuantileTable(d))
        guard case .exact = BulkQuantile(d) else { return XCTFail("expected the exact inverse") }
    }

    func testLatinHypercubeDrawsOfTabulatedFormsFallOnePerStratum() {
        // Each draw x comes from one uniform u in its own stratum [k/n, (k+1)/n); with |F(x) − u| ≤ 1e-10
        // F(x) stays in that stratum unless u lies within 1e-10 of its edge (probability 8e-7 per draw).
        // Check both: F(x) against the very uniform it came from (same seed, same stream), and that the
        // strata of F(x) are a permutation of 0…n−1. Uniforms beyond the table get GSL's exact inverse,
        // as before tables: those draws must be exactly GSL's (whose error the bound does not cover), and
        // the permutation is checked for the shapes whose table covers all but the 1e-10 tails.
        let n = 4096
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: n), us = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        let scratch = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        defer { out.deallocate(); us.deallocate(); scratch.deallocate() }
        for (s, d) in Self.tabulated.enumerated() {
            guard let table = QuantileTable(d) else { continue }
            d.sampleStratified(RandomStream(kind: .taus2, seed: UInt64(100 + s)), into: out, scratch: scratch)
            Distribution.stratifiedUniforms(RandomStream(kind: .taus2, seed: UInt64(100 + s)), into: us, scratch: scratch)
            var hits = [Int](repeating: 0, count: n)
            for i in 0 ..< n {
                let f = d.cdf(out[i])
                if us[i] >= table.lower && us[i] < table.upper {
                    XCTAssertEqual(f, us[i], accuracy: QuantileTable.tolerance, "\(d): draw \(i)")
                } else {
                    XCTAssertEqual(out[i], d.quantile(us[i]), "\(d): draw \(i) beyond the table")
                }
                hits[Swift.max(0, Swift.min(n - 1, Int(f * Double(n))))] += 1
            }
            if table.lower <= 1.01 * QuantileTable.tailProbability && table.upper >= 1 - 1.01 * QuantileTable.tailProbability {
                XCTAssertTrue(hits.allSatisfy { $0 == 1 }, "\(d): strata hit \(hits.enumerated().filter { $0.element != 1 }.prefix(5))")
            }
        }
    }

    func testFormsWithoutTablesKeepTheirExactInverseBitForBit() {
        let exact: [Distribution] = [
            .uniform(min: 0.5, max: 0.9), .normal(mean: 0.08, sd: 0.015), .lognormal(p5: 35e9, p95: 50e9),
            .triangular(min: 60, mode: 80, max: 120), .bernoulli(p: 0.3), .discrete(values: [0, 1, 2], probabilities: [0.2, 0.5, 0.3]),
            .empirical(sorted: [1, 2, 2, 5]), .truncated(base: .normal(mean: 0.08, sd: 0.05), lower: 0, upper: 0.2),
            .truncated(base: .lognormal(mu: 0, sigma: 0.5), lower: 0.8, upper: .infinity),
        ]
        let us = Self.grid
        for d in exact {
            XCTAssertFalse(BulkQuantile.needsTable(d), "\(d)")
            var mapped = us
            mapped.withUnsafeMutableBufferPointer { d.bulkQuantile.map($0) }
            for (u, x) in zip(us, mapped) where x.bitPattern != d.quantile(u).bitPattern {
                XCTFail("\(d) at u = \(u): \(x) against \(d.quantile(u))")
                break
            }
        }
    }

    func testATableIsAPureFunctionOfItsDistributionAndIsBuiltOncePerProcess() throws {
        let d = Distribution.pert(min: 3, mode: 8, max: 20)
        let a = try XCTUnwrap(QuantileTable(d)), b = try XCTUnwrap(QuantileTable(d))
        XCTAssertEqual(a.intervals, b.intervals)
        for u in Self.grid.prefix(5000) { XCTAssertEqual(a.quantile(u).bitPattern, b.quantile(u).bitPattern) }
        guard case .table(let first) = d.bulkQuantile, case .table(let second) = d.bulkQuantile else {
            return XCTFail("PERT is not tabulated")
        }
        XCTAssertTrue(first === second, "the cache built the table twice")
    }

    func testBulkMapAgreesWithTheTableOneByOne() throws {
        let d = Distribution.gamma(shape: 0.3, scale: 2)
        let table = try XCTUnwrap(QuantileTable(d))
        var mapped = Self.grid
        mapped.withUnsafeMutableBufferPointer { table.quantiles($0) }
        for (u, x) in zip(Self.grid, mapped) where x.bitPattern != table.quantile(u).bitPattern {
            return XCTFail("at u = \(u)")
        }
    }
}
