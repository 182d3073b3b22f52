@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// The Ishigami function (Ishigami & Homma 1990), f = sin x1 + a sin² x2 + b x3⁴ sin x1 with a = 7,
/// b = 0.1 and x1, x2, x3 uniform on (−π, π). It also reads x4 and ignores it. With `cutoff`, f is
/// undefined where x1 > cutoff.
private struct Ishigami: AnalysisModule {
    var cutoff: Double? = nil
    var descriptor: ModuleDescriptor {
        ModuleDescriptor(id: "ishigami", version: "1", summary: "test",
                         metrics: [MetricSpec("f", unit: "1", summary: "Ishigami", undefinedMeaning: cutoff == nil ? nil : "x1 above the cutoff", headline: true)])
    }

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(x: (1 ... 4).map { b.input("ishigami.x\($0)", .ratio, summary: "x\($0)") }, cutoff: cutoff)
    }

    struct Evaluator: ModuleEvaluator {
        let x: [InputHandle]
        let cutoff: Double?
        func evaluate(_ block: BlockContext) throws {
            let x1 = block.input(x[0]), x2 = block.input(x[1]), x3 = block.input(x[2])
            let f = block.output("f")
            for i in 0 ..< block.count {
                let s2 = sin(x2[i])
                f[i] = x1[i] > (cutoff ?? .infinity) ? .nan : sin(x1[i]) + 7 * s2 * s2 + 0.1 * pow(x3[i], 4) * sin(x1[i])
            }
        }
    }
}

final class SobolIndicesTests: XCTestCase {
    static let yaml = """
        id: ishigami
        horizon: {start: 2026Q1, end: 2027Q4}
        ishigami:
          x1: uniform(-3.141592653589793, 3.141592653589793)
          x2: uniform(-3.141592653589793, 3.141592653589793)
          x3: uniform(-3.141592653589793, 3.141592653589793)
          x4: uniform(0, 1)
        """

    /// The closed forms. With x uniform on (−π, π): E sin x = 0, E sin²x = 1/2, E sin⁴x = 3/8,
    /// E x⁴ = π⁴/5, E x⁸ = π⁸/9. Write f = sin x1 (1 + b x3⁴) + a sin² x2, two independent terms:
    /// - Var(a sin² x2) = a² (3/8 − 1/4) = a²/8 = V2 (x2 acts alone);
    /// - Var(sin x1 (1 + b x3⁴)) = E sin²x1 · E(1 + b x3⁴)² = (1 + 2bπ⁴/5 + b²π⁸/9) / 2;
    /// - V1 = Var E[f | x1] = Var(sin x1 (1 + bπ⁴/5)) = (1 + bπ⁴/5)² / 2; V3 = Var E[f | x3] = 0,
    ///   because E sin x1 = 0; V13 = the rest of the first term = b²π⁸ (1/9 − 1/25) / 2 = 8b²π⁸/225.
    /// So V = a²/8 + 1/2 + bπ⁴/5 + b²π⁸/18, S = (V1, V2, 0)/V, ST = (V1 + V13, V2, V13)/V.
    static let truth: (first: [Double], total: [Double]) = {
        let a = 7.0, b = 0.1, p4 = pow(Double.pi, 4), p8 = pow(Double.pi, 8)
        let v = a * a / 8 + 0.5 + b * p4 / 5 + b * b * p8 / 18
        let v1 = (1 + b * p4 / 5) * (1 + b * p4 / 5) / 2, v2 = a * a / 8, v13 = 8 * b * b * p8 / 225
        return ([v1 / v, v2 / v, 0], [(v1 + v13) / v, v2 / v, v13 / v])
    }()

    fileprivate func indices(seed: UInt64, samples: Int = SobolIndices.defaultSamples, threads: Int = 1, sampling: SamplingMethod = .random,
                 module: Ishigami = Ishigami()) throws -> SobolIndices.Metric {
        let results = try TestScenario.run(Self.yaml, modules: [module], trials: 100, seed: seed, threads: threads, sampling: sampling)
        let s = try results.computeSobolIndices(samples: samples)
        XCTAssertEqual(results.sobolIndices, s, "kept for the report")
        return try XCTUnwrap(s.metric("ishigami.f"))
    }

    func entry(_ m: SobolIndices.Metric, _ i: Int) -> SobolIndices.Entry { m.entries.first { $0.input == "ishigami.x\(i)" }! }

    func testTheClosedFormsAreTheTextbookValues() {
        let t = Self.truth
        for (x, y) in zip(t.first + t.total, [0.3139, 0.4424, 0, 0.5576, 0.4424, 0.2437]) { XCTAssertEqual(x, y, accuracy: 5e-5) }
    }

    func testIshigamiIndicesAreWithinFourBootstrapStandardErrorsOfTheClosedForms() throws {
        let m = try indices(seed: 2026)
        XCTAssertEqual(m.rows, 8192)
        XCTAssertEqual(m.dropped, 0)
        for i in 1 ... 3 {
            let e = entry(m, i)
            // 4 standard errors: a two-sided normal tail of 6e-5 for each of the six estimates.
            XCTAssertEqual(e.firstOrder.value, Self.truth.first[i - 1], accuracy: 4 * e.firstOrder.standardError, "S\(i)")
            XCTAssertEqual(e.total.value, Self.truth.total[i - 1], accuracy: 4 * e.total.standardError, "ST\(i)")
            XCTAssertLessThan(e.total.low, e.total.value)
            XCTAssertGreaterThan(e.total.high, e.total.value)
            // At N = 8192 the errors are a few hundredths: a standard error of 0 or 0.2 would be wrong.
            XCTAssertGreaterThan(e.total.standardError, 1e-3)
            XCTAssertLessThan(e.firstOrder.standardError, 0.05)
        }
        XCTAssertEqual(m.entries.map(\.input), ["ishigami.x1", "ishigami.x2", "ishigami.x3", "ishigami.x4"], "by decreasing total index")
    }

    func testAnInputTheModelIgnoresHasIndicesExactlyZero() throws {
        let x4 = entry(try indices(seed: 5, samples: 4096), 4)
        XCTAssertEqual(x4.firstOrder.value, 0)
        XCTAssertEqual(x4.total.value, 0)
        XCTAssertEqual(x4.total.standardError, 0)
        XCTAssertEqual(x4.total.high, 0)
    }

    func testTheBootstrapStandardErrorMatchesTheSpreadOverSeeds() throws {
        // Eight independent designs. For each of the six estimates, the variance of its eight values
        // (7 degrees of freedom) is compared with the mean of its squared bootstrap standard errors;
        // pooled over the six, the ratio of standard deviations has, even if the six were perfectly
        // correlated (7 degrees of freedom in all), a 99.5% range of about 0.42 to 1.7 (χ²₇ / 7).
        let runs = try (1 ... 8).map { try indices(seed: UInt64($0), samples: 4096) }
        var spread = 0.0, bootstrap = 0.0
        for i in 1 ... 3 {
            for pick in [{ (e: SobolIndices.Entry) in e.firstOrder }, { (e: SobolIndices.Entry) in e.total }] {
                let estimates = runs.map { pick(entry($0, i)) }
                let mean = estimates.reduce(0) { $0 + $1.value } / 8
                spread += estimates.reduce(0) { $0 + ($1.value - mean) * ($1.value - mean) } / 7
                bootstrap += estimates.reduce(0) { $0 + $1.standardError * $1.standardError } / 8
            }
        }
        let ratio = (spread / bootstrap).squareRoot()
        XCTAssertGreaterThan(ratio, 0.42)
        XCTAssertLessThan(ratio, 1.7)
    }

    func testTheSameIndicesAtOneAndThreeThreadsBitForBit() throws {
        let one = try indices(seed: 11, samples: 4096, threads: 1, sampling: .lhs)
        let three = try indices(seed: 11, samples: 4096, threads: 3, sampling: .lhs)
        let bits = { (m: SobolIndices.Metric) in
            [m.variance.bitPattern] + m.entries.flatMap { e in
                [e.firstOrder, e.total].flatMap { [$0.value, $0.standardError, $0.low, $0.high].map(\.bitPattern) }
            }
        }
        XCTAssertEqual(bits(one), bits(three))
        XCTAssertEqual(one.entries.map(\.input), three.entries.map(\.input))
    }

    func testSamplesAreRoundedUpToWholeBlocks() {
        XCTAssertEqual(SobolIndices.rows(requested: 1, blockSize: 4096), 4096)
        XCTAssertEqual(SobolIndices.rows(requested: 8192, blockSize: 4096), 8192)
        XCTAssertEqual(SobolIndices.rows(requested: 8193, blockSize: 4096), 12288)
    }

    func testRowsWhereTheMetricIsUndefinedAreDroppedAndCounted() throws {
        // f is undefined where x1 > 3, probability q = (π − 3) / 2π in each of A and B. A row is dropped
        // when A's or B's x1 is above 3 (A_B^1 takes x1 from B, the others from A): Binomial(N, p) with
        // p = 1 − (1 − q)², held to 4 standard deviations.
        let n = 8192
        let m = try indices(seed: 17, samples: n, module: Ishigami(cutoff: 3))
        let q = (Double.pi - 3) / (2 * Double.pi), p = 1 - (1 - q) * (1 - q)
        XCTAssertEqual(m.rows + m.dropped, n)
        XCTAssertEqual(Double(m.dropped), Double(n) * p, accuracy: 4 * (Double(n) * p * (1 - p)).squareRoot())
        XCTAssertTrue(m.entries.allSatisfy { $0.total.value.isFinite && $0.firstOrder.value.isFinite })
    }

    func testTheOptionsAreChecked() {
        XCTAssertNoThrow(try SobolIndices.checkOptions(requested: true, samples: 4096, shard: false))
        XCTAssertNoThrow(try SobolIndices.checkOptions(requested: false, samples: nil, shard: true))
        for (requested, samples, shard) in [(false, 4096, false), (true, 0, false), (true, SobolIndices.maxSamples + 1, false)] as [(Bool, Int?, Bool)] {
            XCTAssertThrowsError(try SobolIndices.checkOptions(requested: requested, samples: samples, shard: shard)) { error in
                XCTAssertEqual((error as? DealcastError)?.code, .usage)
            }
        }
        XCTAssertThrowsError(try SobolIndices.checkOptions(requested: true, samples: nil, shard: true))
    }
}
