@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// Batch-means standard errors and confidence intervals (`Convergence`) and runs to a precision target
/// (`Engine.run(_:_:precision:)`).
final class ConvergenceTests: XCTestCase {
    /// `count` standard normal draws from a seeded GSL stream.
    func normals(_ count: Int, seed: UInt64) -> [Double] {
        var v = [Double](repeating: 0, count: count)
        v.withUnsafeMutableBufferPointer { Distribution.normal(mean: 0, sd: 1).sample(RandomStream(kind: .taus2, seed: seed), into: $0) }
        return v
    }

    func convergence(_ values: [Double], blockSize: Int) throws -> Convergence {
        try values.withUnsafeBufferPointer { try XCTUnwrap(Convergence.of($0, summary: Summary.of($0), blockSize: blockSize)) }
    }

    /// Over 200 seeded replications of 20 blocks of 512 standard normal draws, the 95% intervals of the
    /// mean and of p5 (true value −1.6449) and p95 cover the truth in about 95% of replications. Coverage
    /// counts are binomial(200, 0.95), sd 3.1, so 4 sd allows 178 to 200 (p5 and p95 by sectioning carry a
    /// small bias from the 512-trial batch quantiles, well inside that). The batch estimate of the mean's
    /// variance averages 1/n: each estimate is a χ²₁₉/19 multiple of it (relative sd √(2/19)), so the
    /// average of 200 has relative sd 0.023 and 4 sd allow ±9%.
    func testIntervalsCoverTheTruthAtTheirNominalRate() throws {
        let blockSize = 512, n = 20 * blockSize
        var covered = [Convergence.Statistic: Int](), variance = 0.0
        let truth: [Convergence.Statistic: Double] = [.mean: 0, .p5: -1.6448536269514722, .p95: 1.6448536269514722]
        for seed in 1 ... 200 {
            let c = try convergence(normals(n, seed: UInt64(seed)), blockSize: blockSize)
            XCTAssertEqual(c.batches, 20)
            XCTAssertTrue(c.batchesAreBlocks)
            for s in Convergence.Statistic.allCases where (c[s].lower ... c[s].upper).contains(truth[s]!) { covered[s, default: 0] += 1 }
            variance += c.mean.standardError * c.mean.standardError / 200
        }
        for s in Convergence.Statistic.allCases {
            XCTAssertGreaterThanOrEqual(covered[s, default: 0], 178, "\(s) covered in \(covered[s, default: 0]) of 200")
        }
        XCTAssertEqual(variance * Double(n), 1, accuracy: 0.09)
    }

    /// The interval is the value ± t(0.975, B − 1) · SE, centred on the whole run's statistic.
    func testTheIntervalIsCentredOnTheRunsValueWithStudentsT() throws {
        let values = normals(12 * 256, seed: 3)
        let c = try convergence(values, blockSize: 256)
        let summary = values.withUnsafeBufferPointer { Summary.of($0) }
        XCTAssertEqual(c.mean.value, summary.mean)
        XCTAssertEqual(c.p95.value, summary.p95)
        XCTAssertEqual(c.batches, 12)
        // t(0.975, 11) = 2.200985 (tables).
        XCTAssertEqual(c.mean.halfWidth / c.mean.standardError, 2.200985, accuracy: 1e-5)
        // With equal batches the SE of the mean is the sd of the block means over √B.
        let means = (0 ..< 12).map { b in values[b * 256 ..< (b + 1) * 256].reduce(0, +) / 256 }
        let m = means.reduce(0, +) / 12
        let sd = (means.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 11).squareRoot()
        XCTAssertEqual(c.mean.standardError, sd / 12.0.squareRoot(), accuracy: 1e-12)
    }

    /// A run of fewer than ten blocks is cut into ten batches of consecutive trials; halving the error
    /// takes four times the trials, in whole blocks once the run spans one.
    func testSmallRunsAreCutIntoTenBatches() throws {
        let c = try convergence(normals(3000, seed: 5), blockSize: 4096)
        XCTAssertEqual(c.batches, 10)
        XCTAssertFalse(c.batchesAreBlocks)
        XCTAssertEqual(c.trialsToHalve, 12000)
        XCTAssertEqual(Convergence.trialsToHalve(100_000, blockSize: 4096), 401_408)
        XCTAssertNil([1.0, 2.0, 3.0].withUnsafeBufferPointer { Convergence.of($0, summary: Summary.of($0), blockSize: 4096) })
    }

    /// Undefined trials are left out of every batch, and each batch weighs by its defined trials.
    func testUndefinedTrialsAreLeftOut() throws {
        var values = normals(20 * 128, seed: 8)
        for i in stride(from: 0, to: values.count, by: 3) { values[i] = .nan }
        let c = try convergence(values, blockSize: 128)
        let defined = values.filter { !$0.isNaN }
        XCTAssertEqual(c.mean.value, defined.reduce(0, +) / Double(defined.count), accuracy: 1e-12)
        XCTAssertTrue(c.mean.standardError > 0 && c.mean.standardError.isFinite)
    }

    /// A constant metric is known exactly; a metric centred on 0 with spread has no finite relative width.
    func testRelativeHalfWidthAtTheEdges() throws {
        let constant = try convergence([Double](repeating: 4, count: 40), blockSize: 4)
        XCTAssertEqual(constant.mean.standardError, 0)
        XCTAssertEqual(constant.mean.relativeHalfWidth, 0)
        let centred = Convergence.Estimate(value: 0, standardError: 1, lower: -2, upper: 2)
        XCTAssertEqual(centred.relativeHalfWidth, .infinity)
        XCTAssertEqual(Convergence.Estimate(value: -4, standardError: 1, lower: -6, upper: -2).relativeHalfWidth, 0.5)
    }

    // MARK: Runs to a precision target

    /// f = x with x ~ normal(1, 1) drawn independently: the relative half-width of the mean is about
    /// 1.96/√n, so ±2% needs about 9 600 trials. Starting from 4 096 the run grows in stages, meets the
    /// target, and its results are bit for bit those of a plain run with the final trial count — also when
    /// the first stage ended inside a block (5 000 trials), whose block is run again whole.
    func testARunToAPrecisionMeetsItAndEqualsAPlainRunOfItsLength() throws {
        let probe = ProbeModule(names: ["x"]) { $0[0] }
        let plan = try RunPlan(scenario: try TestScenario.load(ProbeModule.scenario([("x", "normal(1, 1)")])), registry: try ModuleRegistry([probe]))
        for first in [4096, 5000] {
            let config = RunConfiguration(trials: first, seed: 9, threads: 2, sampling: .random)
            let r = try Engine.run(plan, config, precision: PrecisionTarget(relativeHalfWidth: 0.02, maxTrials: 1_000_000))
            let outcome = try XCTUnwrap(r.precision)
            XCTAssertTrue(outcome.met)
            XCTAssertEqual(outcome.stages.first, first)
            XCTAssertGreaterThan(outcome.stages.count, 1)
            XCTAssertEqual(outcome.stages.last, r.config.trials)
            XCTAssertLessThanOrEqual(try XCTUnwrap(r.convergence("probe.f")).mean.relativeHalfWidth, 0.02)
            var plainConfig = config
            plainConfig.trials = r.config.trials
            let plain = try Engine.run(plan, plainConfig)
            XCTAssertEqual(r.values("probe.f"), plain.values("probe.f"), "first stage \(first)")
            XCTAssertEqual(r.inputValues("probe.x"), plain.inputValues("probe.x"))
        }
    }

    /// A target out of reach stops at --max-trials and names the metric still short.
    func testAnUnreachableTargetStopsAtMaxTrials() throws {
        let probe = ProbeModule(names: ["x"]) { $0[0] }
        let plan = try RunPlan(scenario: try TestScenario.load(ProbeModule.scenario([("x", "normal(1, 1)")])), registry: try ModuleRegistry([probe]))
        let r = try Engine.run(plan, RunConfiguration(trials: 4096, seed: 9, threads: 1, sampling: .lhs),
                               precision: PrecisionTarget(relativeHalfWidth: 1e-7, maxTrials: 20_000))
        let outcome = try XCTUnwrap(r.precision)
        XCTAssertFalse(outcome.met)
        XCTAssertEqual(outcome.stages, [4096, 20_000])
        XCTAssertEqual(r.config.trials, 20_000)
        XCTAssertEqual(outcome.unmet, ["probe.f"])
    }
}
