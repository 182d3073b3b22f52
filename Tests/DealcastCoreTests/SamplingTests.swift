@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// Reads plain-number inputs `probe.<name>` and publishes `probe.f`, a function of one trial's draws.
/// Shared by the sampling and correlation tests.
struct ProbeModule: AnalysisModule {
    let names: [String]
    let f: @Sendable ([Double]) -> Double

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(id: "probe", version: "1", summary: "test", metrics: [MetricSpec("f", unit: "1", summary: "f(inputs)", headline: true)])
    }

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(handles: names.map { b.input("probe.\($0)", .ratio, summary: $0) }, f: f)
    }

    struct Evaluator: ModuleEvaluator {
        let handles: [InputHandle]
        let f: @Sendable ([Double]) -> Double
        func evaluate(_ block: BlockContext) throws {
            let columns = handles.map { block.input($0) }
            let out = block.output("f")
            var x = [Double](repeating: 0, count: columns.count)
            for i in 0 ..< block.count {
                for j in columns.indices { x[j] = columns[j][i] }
                out[i] = f(x)
            }
        }
    }

    /// A scenario giving each input its distribution, plus optional extra top-level YAML.
    static func scenario(_ inputs: [(String, String)], extra: String = "") -> String {
        "id: probe\nhorizon: {start: 2026Q1, end: 2026Q4}\nprobe:\n" + inputs.map { "  \($0.0): \"\($0.1)\"\n" }.joined() + extra
    }
}

final class SamplingTests: XCTestCase {
    static let block = RunConfiguration.defaultBlockSize

    func run(_ yaml: String, _ probe: ProbeModule, trials: Int, seed: UInt64 = 11, threads: Int = 1,
             sampling: SamplingMethod, correlation: CorrelationMethod = .imanConover, repair: Bool = false) throws -> RunResults {
        let plan = try RunPlan(scenario: try TestScenario.load(yaml), registry: try ModuleRegistry([probe]), repairCorrelations: repair)
        return try Engine.run(plan, RunConfiguration(trials: trials, seed: seed, threads: threads, sampling: sampling, correlation: correlation))
    }

    // MARK: The Sobol net

    /// GSL's sequence starts at its second point, (½, ½, ½), then (¾, ¼, ¾), (¼, ¾, ¼); the net puts
    /// the origin first. Coordinates are kept as GSL's 30-bit integers.
    func testTheSobolNetIsTheOriginFollowedByGSLsSequence() {
        let net = SobolNet(dimensions: 3, count: 4)
        let expected: [[Double]] = [[0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.75], [0.25, 0.75, 0.25]]
        for (i, point) in expected.enumerated() {
            XCTAssertEqual((0 ..< 3).map { Double(net.integer(point: i, dimension: $0)) / 0x1p30 }, point, "point \(i)")
        }
    }

    /// The first 4096 points of a Sobol sequence are a (t, 12, s)-net in base 2: each coordinate alone
    /// has exactly one point in each interval [i/4096, (i+1)/4096).
    func testEveryCoordinateOfTheNetHasOnePointInEachOf4096Strata() {
        let net = SobolNet(dimensions: 40, count: Self.block)
        for c in 0 ..< 40 {
            let strata = Set((0 ..< Self.block).map { net.integer(point: $0, dimension: c) >> 18 })
            XCTAssertEqual(strata.count, Self.block, "coordinate \(c + 1)")
        }
    }

    /// A digital shift maps the net onto a net: after randomisation each coordinate still has one point
    /// per stratum, the first two coordinates still one point in each of the 64 × 64 squares (they form
    /// a (0, 12, 2)-net), every value lies in (0, 1), and different streams give different points.
    func testRandomisedPointsStayInTheOpenUnitIntervalAndKeepTheNetStructure() {
        let net = SobolNet(dimensions: 2, count: Self.block)
        var first = [Double](repeating: 0, count: Self.block), second = first
        for seed: UInt64 in [1, 2, 3] {
            let stream = RandomStream(kind: .taus2, seed: seed)
            first.withUnsafeMutableBufferPointer { net.randomised(dimension: 0, stream: stream, into: $0) }
            second.withUnsafeMutableBufferPointer { net.randomised(dimension: 1, stream: stream, into: $0) }
            XCTAssertTrue((first + second).allSatisfy { $0 > 0 && $0 < 1 })
            XCTAssertEqual(Set(first.map { Int($0 * 4096) }).count, Self.block)
            XCTAssertEqual(Set(zip(first, second).map { Int($0 * 64) * 64 + Int($1 * 64) }).count, Self.block, "one point per square")
        }
        let a = RandomStream(kind: .taus2, seed: 1), b = RandomStream(kind: .taus2, seed: 2)
        var x = [Double](repeating: 0, count: 16), y = x
        x.withUnsafeMutableBufferPointer { net.randomised(dimension: 0, stream: a, into: $0) }
        y.withUnsafeMutableBufferPointer { net.randomised(dimension: 0, stream: b, into: $0) }
        XCTAssertNotEqual(x, y)
    }

    // MARK: Determinism

    static let three = ProbeModule(names: ["a", "b", "c"]) { $0[0] * $0[1] + $0[2] }
    static let threeYAML = ProbeModule.scenario([("a", "uniform(0, 1)"), ("b", "normal(2, 0.5)"), ("c", "pert(0, 0.2, 1)")],
                                                extra: "correlations:\n  - {between: [probe.a, probe.c], rank: 0.6}\n")

    func testEveryMethodGivesTheSameNumbersAtAnyThreadCount() throws {
        for sampling in SamplingMethod.allCases {
            for correlation in CorrelationMethod.allCases {
                let runs = try [1, 2, 3].map { try run(Self.threeYAML, Self.three, trials: 3 * Self.block + 100, threads: $0, sampling: sampling, correlation: correlation) }
                for path in ["probe.a", "probe.b", "probe.c"] {
                    XCTAssertEqual(runs[0].inputValues(path), runs[1].inputValues(path), "\(sampling) \(correlation) \(path)")
                    XCTAssertEqual(runs[0].inputValues(path), runs[2].inputValues(path), "\(sampling) \(correlation) \(path)")
                }
                XCTAssertEqual(runs[0].values("probe.f"), runs[2].values("probe.f"))
            }
        }
    }

    /// A shard runs a subset of the blocks. A block's draws depend only on (seed, block, names), so the
    /// first two blocks of a three-block run equal those of a two-block run, for every method.
    func testABlockDrawsTheSameNumbersWhicheverBlocksRunWithIt() throws {
        for sampling in SamplingMethod.allCases {
            for correlation in CorrelationMethod.allCases {
                let short = try run(Self.threeYAML, Self.three, trials: 2 * Self.block, sampling: sampling, correlation: correlation)
                let long = try run(Self.threeYAML, Self.three, trials: 3 * Self.block, threads: 2, sampling: sampling, correlation: correlation)
                for path in ["probe.a", "probe.b", "probe.c"] {
                    XCTAssertEqual(short.inputValues(path), Array(try XCTUnwrap(long.inputValues(path)).prefix(2 * Self.block)), "\(sampling) \(correlation) \(path)")
                }
            }
        }
    }

    func testTheDefaultSamplingIsLatinHypercube() {
        XCTAssertEqual(RunConfiguration().sampling, .lhs)
        XCTAssertEqual(RunConfiguration().correlation, .imanConover)
    }

    // MARK: Randomised quasi-Monte Carlo

    /// f = x₁ + x₂² + x₁x₃ + sin(πx₄) + x₂x₃x₄ over four independent U(0, 1) inputs has the exact mean
    /// ½ + ⅓ + ¼ + 2/π + ⅛. Over 20 seeds, randomised Sobol estimates are unbiased (their average lies
    /// within 4 standard errors of the exact mean) and vary far less than those of random sampling and
    /// of Latin hypercube sampling (which stratifies each input alone, not their interactions). An F
    /// test on 20 + 20 seeds puts the 0.1% tail of a variance ratio near 4.4, so a ratio above 20
    /// cannot happen by chance; it holds only if the Sobol points fill the cube evenly (measured:
    /// about 3800 against random, 130 against LHS). Identical estimates across seeds would mean no
    /// randomisation.
    func testRandomisedSobolIsUnbiasedAndFarMoreAccurateThanRandomOrLatinHypercubeSampling() throws {
        let probe = ProbeModule(names: ["x1", "x2", "x3", "x4"]) { x in x[0] + x[1] * x[1] + x[0] * x[2] + sin(.pi * x[3]) + x[1] * x[2] * x[3] }
        let yaml = ProbeModule.scenario((1 ... 4).map { ("x\($0)", "uniform(0, 1)") })
        let exact = 0.5 + 1.0 / 3 + 0.25 + 2 / Double.pi + 0.125
        func estimates(_ sampling: SamplingMethod) throws -> [Double] {
            try (1 ... 20).map { try XCTUnwrap(run(yaml, probe, trials: 8 * Self.block, seed: UInt64($0), sampling: sampling).metric("probe.f")).summary.mean }
        }
        let sobol = try estimates(.sobol), random = try estimates(.random), lhs = try estimates(.lhs)
        let (sobolMean, sobolVar) = Self.meanAndVariance(sobol), (_, randomVar) = Self.meanAndVariance(random), (_, lhsVar) = Self.meanAndVariance(lhs)
        XCTAssertGreaterThan(sobolVar, 0, "every seed gave the same estimate: the points are not randomised")
        XCTAssertEqual(sobolMean, exact, accuracy: 4 * (sobolVar / 20).squareRoot())
        XCTAssertGreaterThan(randomVar / sobolVar, 20, "Sobol variance \(sobolVar), random \(randomVar)")
        XCTAssertGreaterThan(lhsVar / sobolVar, 20, "Sobol variance \(sobolVar), LHS \(lhsVar)")
    }

    /// Blocks are independent randomised nets, so the spread of block means estimates the error of the
    /// run's mean. Averaged over 20 seeds, the block estimate of the variance of the mean matches the
    /// variance of the means across seeds. With 20 seeds the latter has a relative standard error of
    /// √(2/19) ≈ 0.32, and the average of the block estimates (7 degrees of freedom each) √(2/140) ≈ 0.12;
    /// together about 0.34 on the log scale, so 4 standard errors allow a factor e^1.37 ≈ 3.9 either way.
    /// The naive sd/√n misses the variance reduction by far more than that.
    func testTheBlockStandardErrorEstimatesTheSobolErrorAcrossSeeds() throws {
        let probe = ProbeModule(names: ["x1", "x2", "x3"]) { x in exp(x[0]) * x[1] + x[2] * x[2] * x[0] }
        let yaml = ProbeModule.scenario((1 ... 3).map { ("x\($0)", "uniform(0, 1)") })
        var means: [Double] = [], blockVariance = 0.0, naiveVariance = 0.0
        for seed in 1 ... 20 {
            let r = try run(yaml, probe, trials: 8 * Self.block, seed: UInt64(seed), sampling: .sobol)
            let summary = try XCTUnwrap(r.metric("probe.f")).summary
            means.append(summary.mean)
            blockVariance += pow(try XCTUnwrap(r.blockStandardError("probe.f")), 2) / 20
            naiveVariance += summary.stderr * summary.stderr / 20
        }
        let (_, across) = Self.meanAndVariance(means)
        XCTAssertLessThan(blockVariance / across, 3.9)
        XCTAssertGreaterThan(blockVariance / across, 1 / 3.9)
        XCTAssertGreaterThan(naiveVariance / across, 3.9 * 3.9, "Sobol should beat independent sampling by far here")
    }

    // MARK: The dimension limit

    /// With 45 uncertain inputs, the first 40 (in binding order) take Sobol coordinates and the other 5
    /// fall back to Latin hypercube sampling, which the design reports. In every block, all 45 have one
    /// draw per stratum, but only Sobol pairs fill the 64 × 64 squares of the unit square one point each.
    func testPastFortyInputsTheRestFallBackToLatinHypercubeSampling() throws {
        let names = (1 ... 45).map { "x\($0)" }
        let probe = ProbeModule(names: names) { $0.reduce(0, +) }
        let r = try run(ProbeModule.scenario(names.map { ($0, "uniform(0, 1)") }), probe, trials: 2 * Self.block, sampling: .sobol)
        XCTAssertEqual(r.samplingDesign.sobolInputs, names.prefix(40).map { "probe.\($0)" })
        XCTAssertEqual(r.samplingDesign.latinHypercubeFallback, names.suffix(5).map { "probe.\($0)" })
        let columns = try names.map { try XCTUnwrap(r.inputValues("probe.\($0)")) }
        func squares(_ a: Int, _ b: Int, block: Int) -> Int {
            let range = block * Self.block ..< (block + 1) * Self.block
            return Set(range.map { Int(columns[a][$0] * 64) * 64 + Int(columns[b][$0] * 64) }).count
        }
        for block in 0 ..< 2 {
            for c in columns {
                XCTAssertEqual(Set(c[block * Self.block ..< (block + 1) * Self.block].map { Int($0 * 4096) }).count, Self.block)
            }
            XCTAssertEqual(squares(0, 1, block: block), Self.block, "Sobol coordinates 1 and 2")
            XCTAssertLessThan(squares(40, 41, block: block), Self.block - 1000, "two Latin hypercube columns are paired at random")
        }
    }

    func testUnderFortyInputsEveryInputIsDrawnFromTheSobolSequence() throws {
        let r = try run(Self.threeYAML, Self.three, trials: 100, sampling: .sobol)
        XCTAssertEqual(r.samplingDesign.sobolInputs, ["probe.a", "probe.b", "probe.c"])
        XCTAssertEqual(r.samplingDesign.latinHypercubeFallback, [])
        XCTAssertEqual(try run(Self.threeYAML, Self.three, trials: 100, sampling: .lhs).samplingDesign.sobolInputs, [])
    }

    static func meanAndVariance(_ x: [Double]) -> (Double, Double) {
        let m = x.reduce(0, +) / Double(x.count)
        return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1))
    }
}
