@testable import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

final class CorrelationTests: XCTestCase {
    static let block = RunConfiguration.defaultBlockSize

    /// Four inputs of different shapes; Spearman's ρ does not depend on the marginals.
    static let probe = ProbeModule(names: ["a", "b", "c", "d"]) { $0.reduce(0, +) }
    static let marginals = [("a", "uniform(0, 1)"), ("b", "lognormal(2, 1)"), ("c", "pert(0, 0.2, 1)"), ("d", "normal(0, 3)")]
    static let targets: [(String, String, Double)] = [("a", "b", 0.6), ("a", "c", -0.4), ("b", "d", 0.3), ("c", "d", 0.5)]

    static func yaml(_ pairs: [(String, String, Double)] = targets, marginals: [(String, String)] = marginals) -> String {
        ProbeModule.scenario(marginals, extra: "correlations:\n" + pairs.map { "  - between: [probe.\($0.0), probe.\($0.1)]\n    rank: \($0.2)\n" }.joined())
    }

    func run(_ yaml: String, trials: Int, seed: UInt64 = 5, sampling: SamplingMethod = .lhs, correlation: CorrelationMethod = .imanConover,
             repair: Bool = false, threads: Int = 2) throws -> RunResults {
        let plan = try RunPlan(scenario: try TestScenario.load(yaml), registry: try ModuleRegistry([Self.probe]), repairCorrelations: repair)
        return try Engine.run(plan, RunConfiguration(trials: trials, seed: seed, threads: threads, sampling: sampling, correlation: correlation))
    }

    static func spearman(_ x: ArraySlice<Double>, _ y: ArraySlice<Double>) -> Double {
        let rx = Array(x).withUnsafeBufferPointer { Sensitivity.ranks($0) }, ry = Array(y).withUnsafeBufferPointer { Sensitivity.ranks($0) }
        return Sensitivity.pearson(rx, ry)
    }

    /// Fisher's z of a sample Spearman correlation of n independent pairs has standard error
    /// √(1.06 / (n − 3)) (Fieller, Hartley and Pearson 1957). Iman–Conover's rows are not independent
    /// (the block's score matrix is decorrelated first), which only makes the error smaller, so 4 of
    /// these standard errors is a safe bound for every method.
    static func assertWithinSamplingError(_ achieved: Double, _ target: Double, n: Int, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let bound = 4 * (1.06 / Double(n - 3)).squareRoot()
        XCTAssertLessThan(abs(atanh(achieved) - atanh(target)), bound, "\(message): achieved \(achieved), target \(target)", file: file, line: line)
    }

    // MARK: Iman–Conover

    /// The correlated run's draws are the uncorrelated run's draws rearranged within each block: the
    /// values of every input in every block are the same set.
    func testImanConoverKeepsEveryDrawOfEveryInput() throws {
        let plain = ProbeModule.scenario(Self.marginals)
        for sampling in SamplingMethod.allCases {
            let independent = try run(plain, trials: 2 * Self.block + 500, sampling: sampling)
            let correlated = try run(Self.yaml(), trials: 2 * Self.block + 500, sampling: sampling)
            for (name, _) in Self.marginals {
                let x = try XCTUnwrap(independent.inputValues("probe.\(name)")), y = try XCTUnwrap(correlated.inputValues("probe.\(name)"))
                XCTAssertNotEqual(x, y, "\(sampling) \(name) was not rearranged")
                for range in [0 ..< Self.block, Self.block ..< 2 * Self.block, 2 * Self.block ..< x.count] {
                    XCTAssertEqual(x[range].sorted(), y[range].sorted(), "\(sampling) \(name) block starting at \(range.lowerBound)")
                }
            }
        }
    }

    /// Over 40 blocks the pooled Spearman correlation of every pair, written or not (unwritten pairs
    /// are 0), lies within 4 standard errors of its target, under every sampling method.
    func testImanConoverAchievesTheTargetRankCorrelations() throws {
        let n = 40 * Self.block
        for sampling in SamplingMethod.allCases {
            let r = try run(Self.yaml(), trials: n, sampling: sampling)
            let pairs = r.achievedRankCorrelations()
            XCTAssertEqual(pairs.count, 6)
            for (pair, achieved) in pairs {
                let target = Self.targets.first { "probe.\($0.0)" == pair.first && "probe.\($0.1)" == pair.second }?.2 ?? 0
                XCTAssertEqual(pair.written ?? 0, target)
                XCTAssertEqual(pair.used, target)
                Self.assertWithinSamplingError(achieved, target, n: n, "\(sampling) \(pair.first) ~ \(pair.second)")
            }
            if sampling == .lhs {
                let x = try XCTUnwrap(r.inputValues("probe.a")), y = try XCTUnwrap(r.inputValues("probe.b"))
                XCTAssertEqual(pairs[0].achieved, Self.spearman(x[...], y[...]), accuracy: 1e-12, "achieved is Spearman's ρ over all trials")
            }
        }
    }

    /// Correlation is imposed block by block: each block of 4096 trials carries the target on its own.
    func testEveryBlockCarriesTheTargetCorrelation() throws {
        let r = try run(Self.yaml(), trials: 6 * Self.block)
        let a = try XCTUnwrap(r.inputValues("probe.a")), b = try XCTUnwrap(r.inputValues("probe.b"))
        for block in 0 ..< 6 {
            let range = block * Self.block ..< (block + 1) * Self.block
            Self.assertWithinSamplingError(Self.spearman(a[range], b[range]), 0.6, n: Self.block, "block \(block)")
        }
    }

    /// A pair at 1 is a singular (but valid) matrix: within each block the two inputs end up in the
    /// same rank order. (Pooled over blocks the order is not quite the same: each block pairs its own
    /// draws.)
    func testAPairAtOneGivesTheSameRankOrderInEveryBlock() throws {
        let r = try run(Self.yaml([("a", "b", 1)]), trials: Self.block + 300)
        let a = try XCTUnwrap(r.inputValues("probe.a")), b = try XCTUnwrap(r.inputValues("probe.b"))
        for range in [0 ..< Self.block, Self.block ..< Self.block + 300] {
            XCTAssertEqual(Self.spearman(a[range], b[range]), 1, accuracy: 1e-12)
        }
        XCTAssertEqual(try XCTUnwrap(r.plan.correlation).repairDistance, 0)
    }

    /// a ~ b = 0.5, b ~ c = 0.5, a ~ c = −0.5 is valid but singular. Its normal scores would need
    /// r = 2 sin(π/12) ≈ 0.518 on each pair, which is not positive semi-definite; the nearest valid
    /// normal-score matrix is imposed instead, the plan says by how much it moved, and the run
    /// achieves what it says it imposes.
    func testAValidMatrixOnTheEdgeIsImposedAsCloseAsNormalScoresAllow() throws {
        let n = 20 * Self.block
        let r = try run(Self.yaml([("a", "b", 0.5), ("b", "c", 0.5), ("a", "c", -0.5)]), trials: n)
        let c = try XCTUnwrap(r.plan.correlation)
        XCTAssertFalse(c.writtenIsInvalid)
        XCTAssertTrue(c.repaired)
        XCTAssertEqual(c.repairDistance, c.used.frobeniusDistance(to: c.target), accuracy: 1e-15)
        XCTAssertLessThan(c.repairDistance, 0.05)
        for (pair, achieved) in r.achievedRankCorrelations() {
            Self.assertWithinSamplingError(achieved, pair.used, n: n, "\(pair.first) ~ \(pair.second)")
        }
    }

    // MARK: Gaussian copula

    /// Under the copula the rows are independent, so the iid bound applies exactly. The marginals hold
    /// in distribution: each input's mean lies within 4 standard errors (σ/√n) of its closed form.
    func testTheCopulaAchievesTheTargetAndKeepsTheMarginals() throws {
        let n = 40 * Self.block
        let r = try run(Self.yaml(), trials: n, sampling: .random, correlation: .copula)
        for (pair, achieved) in r.achievedRankCorrelations() {
            Self.assertWithinSamplingError(achieved, pair.written ?? 0, n: n, "copula \(pair.first) ~ \(pair.second)")
        }
        for (name, text) in Self.marginals {
            let d = try DistributionParser.parse(text).distribution
            let x = try XCTUnwrap(r.inputValues("probe.\(name)"))
            XCTAssertEqual(x.reduce(0, +) / Double(n), d.mean, accuracy: 4 * (d.variance / Double(n)).squareRoot(), name)
        }
    }

    /// With Latin hypercube uniforms, inputs outside the correlation keep their strata under the copula.
    func testTheCopulaLeavesUncorrelatedInputsAsTheyWere() throws {
        let plain = try run(ProbeModule.scenario(Self.marginals), trials: Self.block)
        let copula = try run(Self.yaml([("a", "b", 0.5)]), trials: Self.block, correlation: .copula)
        XCTAssertEqual(plain.inputValues("probe.c"), copula.inputValues("probe.c"))
        XCTAssertNotEqual(plain.inputValues("probe.a"), copula.inputValues("probe.a"))
    }

    // MARK: Invalid matrices and repair

    static let inconsistent: [(String, String, Double)] = [("a", "b", 0.9), ("b", "c", 0.9), ("a", "c", -0.9), ("d", "e", 0.3)]
    static let five = marginals + [("e", "uniform(0, 1)")]
    static let probeFive = ProbeModule(names: ["a", "b", "c", "d", "e"]) { $0.reduce(0, +) }

    /// a ~ b and b ~ c at 0.9 force a ~ c to be strongly positive; −0.9 is impossible. The message
    /// names the three items in conflict (not the unrelated d ~ e), the smallest eigenvalue, and the
    /// way out; exit 65.
    func testAMatrixThatIsNotPositiveSemiDefiniteIsReportedWithTheConflictingPairs() throws {
        let scenario = try TestScenario.load(Self.yaml(Self.inconsistent, marginals: Self.five), file: "bad.yaml")
        XCTAssertThrowsError(try RunPlan(scenario: scenario, registry: try ModuleRegistry([Self.probeFive]))) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 65)
            XCTAssertEqual(e.issues.map(\.path), ["correlations"])
            let m = e.issues[0].message
            for item in ["correlations[0] (probe.a ~ probe.b: 0.90)", "correlations[1] (probe.b ~ probe.c: 0.90)", "correlations[2] (probe.a ~ probe.c: -0.90)", "--repair-correlations"] {
                XCTAssertTrue(m.contains(item), "missing \(item) in: \(m)")
            }
            XCTAssertFalse(m.contains("correlations[3]"), m)
            // On a, b, c the matrix is I + 0.9 S, and S has eigenvalue −2 along (1, −1, 1): 1 − 1.8 = −0.8.
            XCTAssertTrue(m.contains("smallest eigenvalue -0.8000"), m)
            XCTAssertTrue(e.issues[0].description.hasPrefix("bad.yaml:"), e.issues[0].description)
        }
    }

    /// Higham (2002), section 4: the nearest correlation matrix to [1 1 0; 1 1 1; 0 1 1] has
    /// off-diagonal entries 0.7607 (twice) and 0.1573, to the four decimals printed there.
    func testRepairFindsHighamsNearestCorrelationMatrix() throws {
        let a = SquareMatrix(order: 3, elements: [1, 1, 0, 1, 1, 1, 0, 1, 1])
        let x = try NearestCorrelation.nearest(to: a)
        XCTAssertEqual(x[0, 1], 0.7607, accuracy: 5e-5)
        XCTAssertEqual(x[1, 2], 0.7607, accuracy: 5e-5)
        XCTAssertEqual(x[0, 2], 0.1573, accuracy: 5e-5)
        XCTAssertEqual([x[0, 0], x[1, 1], x[2, 2]], [1, 1, 1])
        XCTAssertGreaterThanOrEqual(try Definiteness(x).smallestEigenvalue, -Definiteness.tolerance)
    }

    /// With --repair-correlations the run goes ahead on a valid matrix: unit diagonal, positive
    /// semi-definite, at the reported Frobenius distance from the written one, and closer than the
    /// simplest alternative that normal scores can carry (shrinking the off-diagonal entries towards 0
    /// until 2 sin(π ρ / 6) is positive semi-definite). The run then achieves the correlations it says
    /// it imposes.
    func testRepairUsesTheNearestValidMatrixAndReportsHowFarItMoved() throws {
        let n = 20 * Self.block
        let plan = try RunPlan(scenario: try TestScenario.load(Self.yaml(Self.inconsistent, marginals: Self.five)),
                               registry: try ModuleRegistry([Self.probeFive]), repairCorrelations: true)
        let c = try XCTUnwrap(plan.correlation)
        XCTAssertTrue(c.repaired)
        XCTAssertEqual(c.smallestEigenvalue, -0.8, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(try Definiteness(c.used).smallestEigenvalue, -Definiteness.tolerance)
        XCTAssertEqual(c.repairDistance, c.used.frobeniusDistance(to: c.target), accuracy: 1e-15)
        XCTAssertGreaterThan(c.repairDistance, 0)
        var alpha = 1.0, shrunk = c.target, scores = c.target
        while try Definiteness(scores).smallestEigenvalue < 0 {
            alpha -= 0.001
            for i in 0 ..< 5 {
                for j in 0 ..< 5 where i != j {
                    shrunk[i, j] = alpha * c.target[i, j]
                    scores[i, j] = 2 * sin(Double.pi * shrunk[i, j] / 6)
                }
            }
        }
        XCTAssertLessThan(c.repairDistance, shrunk.frobeniusDistance(to: c.target))
        let r = try Engine.run(plan, RunConfiguration(trials: n, seed: 3, threads: 2))
        for (pair, achieved) in r.achievedRankCorrelations() {
            Self.assertWithinSamplingError(achieved, pair.used, n: n, "repaired \(pair.first) ~ \(pair.second)")
        }
    }

    func testAValidMatrixIsNotMovedByRepair() throws {
        let plan = try RunPlan(scenario: try TestScenario.load(Self.yaml()), registry: try ModuleRegistry([Self.probe]), repairCorrelations: true)
        let c = try XCTUnwrap(plan.correlation)
        XCTAssertFalse(c.repaired)
        XCTAssertEqual(c.repairDistance, 0)
        XCTAssertEqual(c.pairs.map(\.used), c.pairs.map { $0.written ?? 0 })
    }

    // MARK: Scenario errors

    func testEveryMistakeInTheCorrelationsIsReportedAtOnceWithItsPath() throws {
        let yaml = ProbeModule.scenario([("a", "uniform(0, 1)"), ("b", "normal(1, 1)"), ("c", "0.5"), ("d", "uniform(0, 1)")], extra: """
            correlations:
              - between: [probe.a, probe.bb]
                rank: 0.3
              - between: [probe.a, probe.c]
                rank: 0.3
              - between: [probe.a, probe.b]
                rank: 1.2
              - between: [probe.d, probe.d]
                rank: 0.1
              - between: [probe.a, probe.d]
                rnak: 0.1
              - between: [probe.b, probe.d]
                rank: 0.2
              - between: [probe.d, probe.b]
                rank: -0.2
              - between: [probe.a]
                rank: 0.1
              - probe.a
            """)
        let scenario = try TestScenario.load(yaml, file: "c.yaml")
        XCTAssertThrowsError(try RunPlan(scenario: scenario, registry: try ModuleRegistry([Self.probe]))) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 65)
            let byPath = Dictionary(e.issues.map { ($0.path, $0.message) }, uniquingKeysWith: { $0 + " | " + $1 })
            func expect(_ path: String, _ fragment: String) {
                XCTAssertTrue(byPath[path]?.contains(fragment) ?? false, "\(path): expected '\(fragment)', got \(byPath[path] ?? "nothing"); all: \(e.message)")
            }
            expect("correlations[0].between[1]", "did you mean 'probe.b'?")
            expect("correlations[1].between[1]", "'probe.c' is fixed")
            expect("correlations[2].rank", "between -1 and 1")
            expect("correlations[3].between", "with itself")
            expect("correlations[4].rnak", "did you mean 'rank'?")
            expect("correlations[4].rank", "missing")
            expect("correlations[6]", "already correlated by correlations[5]")
            expect("correlations[7].between", "exactly two input paths")
            expect("correlations[8]", "expected a mapping with 'between' and 'rank'")
            XCTAssertEqual(e.issues.first { $0.path == "correlations[0].between[1]" }?.line, 9)
        }
    }

    // MARK: End to end

    /// The binary stops with exit 65 on an inconsistent matrix, naming its items; with
    /// --repair-correlations it runs, says so on stderr, and results.json and report.md carry the
    /// distance moved, every pair (written, imposed, achieved) and a reproduce command with the flags.
    func testTheCommandLineReportsAndRepairsInconsistentCorrelations() throws {
        let dir = try CLI.temporaryDirectory(self)
        let yaml = try TestScenario.defaultScenario(sections: ["regulatory_risk", "capex_return"]) + """
            correlations:
              - between: [capex_return.capex_per_gw, capex_return.power_price]
                rank: 0.9
              - between: [capex_return.power_price, capex_return.pue]
                rank: 0.9
              - between: [capex_return.capex_per_gw, capex_return.pue]
                rank: -0.9
            """
        try yaml.write(to: dir.appendingPathComponent("deal.yaml"), atomically: true, encoding: .utf8)
        let common = ["run", "deal.yaml", "--modules", "capex_return", "--trials", "8192", "--out", "out", "--quiet"]
        let refused = try CLI.run(common, in: dir)
        XCTAssertEqual(refused.status, 65, refused.stderr)
        for fragment in ["deal.yaml:", "correlations[0]", "correlations[1]", "correlations[2]", "--repair-correlations"] {
            XCTAssertTrue(refused.stderr.contains(fragment), "missing \(fragment) in: \(refused.stderr)")
        }
        let repaired = try CLI.run(common + ["--repair-correlations", "--correlation", "copula"], in: dir)
        XCTAssertEqual(repaired.status, 0, repaired.stderr)
        XCTAssertTrue(repaired.stderr.contains("note: the scenario's rank correlations are not positive semi-definite"), repaired.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/results.json"))) as? [String: Any])
        let run = try XCTUnwrap(json["run"] as? [String: Any])
        let details = try XCTUnwrap((json["sampling_details"] as? [String: Any])?["correlations"] as? [String: Any])
        let distance = try XCTUnwrap(run["correlation_repair"] as? Double)
        XCTAssertGreaterThan(distance, 0)
        XCTAssertEqual(details["frobenius_distance"] as? Double, distance)
        XCTAssertEqual(details["method"] as? String, "copula")
        XCTAssertEqual(details["written_smallest_eigenvalue"] as? Double ?? 0, -0.8, accuracy: 1e-9)
        let pairs = try XCTUnwrap(details["pairs"] as? [[String: Any]])
        XCTAssertEqual(pairs.count, 3)
        for p in pairs {
            let written = try XCTUnwrap(p["written"] as? Double), imposed = try XCTUnwrap(p["imposed"] as? Double)
            XCTAssertLessThan(abs(imposed), abs(written))
            XCTAssertNotNil(p["achieved"] as? Double)
        }
        let report = try String(contentsOf: dir.appendingPathComponent("out/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## Sampling and correlations"))
        XCTAssertTrue(report.contains("| Inputs | Written | Imposed | Achieved |"))
        XCTAssertTrue(report.contains("--correlation copula --repair-correlations"), "the reproduce command carries the flags")
    }

    /// The default scenario has more than 40 uncertain inputs (59): under sobol the first 40 take Sobol
    /// coordinates and the run says, on stderr and in results.json, which fell back to Latin hypercube
    /// sampling.
    func testTheCommandLineSaysWhichInputsFellBackFromSobol() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try CLI.run(["run", "--sampling", "sobol", "--trials", "4096", "--out", "out", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("note: --sampling sobol draws the first 40 uncertain inputs from the Sobol sequence"), r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/results.json"))) as? [String: Any])
        let sobol = try XCTUnwrap((json["sampling_details"] as? [String: Any])?["sobol"] as? [String: Any])
        let inputs = try XCTUnwrap(sobol["inputs"] as? [String]), fallback = try XCTUnwrap(sobol["lhs_fallback"] as? [String])
        let words = try CLI.run(["validate"], in: dir).stdout.split(whereSeparator: \.isWhitespace)
        let uncertain = try XCTUnwrap(words.firstIndex(of: "uncertain").flatMap { Int(words[$0 - 1]) }, "\(words)")
        XCTAssertGreaterThan(uncertain, 40)
        XCTAssertEqual(inputs.count, 40)
        XCTAssertEqual(fallback.count, uncertain - 40)
        XCTAssertTrue(r.stderr.contains("the other \(fallback.count) use Latin hypercube sampling"), r.stderr)
        XCTAssertEqual((json["run"] as? [String: Any])?["sampling"] as? String, "sobol")
    }

    func testCorrelationsMustBeAList() throws {
        let scenario = try TestScenario.load(ProbeModule.scenario(Self.marginals, extra: "correlations: {a: 1}\n"))
        XCTAssertThrowsError(try RunPlan(scenario: scenario, registry: try ModuleRegistry([Self.probe]))) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.issues.map(\.path), ["correlations"])
            XCTAssertTrue(e.issues[0].message.contains("expected a list of correlated pairs"), e.message)
        }
    }
}
