import DealcastTestSupport
import Foundation
import XCTest

/// End-to-end: `dealcast compare` (two scenarios, or a scenario and its variant, with common random
/// numbers) and `dealcast fit` (maximum-likelihood fits of a CSV column), with their exit codes.
final class CompareFitCLITests: XCTestCase {
    static let variants = """

        variants:
          - name: no milestone tranche
            description: "The funding milestone never comes: only an IPO triggers the $35B."
            set:
              partnership_outcome.time_to_milestone: 100 years
          - name: blocked in the EU
            set:
              regulatory_risk.jurisdictions[2].review_probability: 1

        """

    /// A folder holding the default scenario with a `variants:` section appended (as base.yaml) and
    /// the datasets it reads.
    func workspace() throws -> URL {
        let dir = try CLI.temporaryDirectory(self)
        let datasets = TestScenario.datasetsDirectory
        for name in try FileManager.default.contentsOfDirectory(atPath: datasets.path) where name.hasSuffix(".csv") {
            try FileManager.default.copyItem(at: datasets.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let text = try String(contentsOf: datasets.appendingPathComponent("amazon-openai-2026.yaml"), encoding: .utf8)
        try (text + Self.variants).write(to: dir.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func metric(_ compare: [String: Any], _ key: String) throws -> [String: Any] {
        let metrics = try XCTUnwrap(compare["metrics"] as? [String: Any])
        return try XCTUnwrap(metrics[key] as? [String: Any], "compare.json has no metric \(key)")
    }

    func number(_ object: [String: Any], _ path: String...) throws -> Double {
        var o = object
        for k in path.dropLast() { o = try XCTUnwrap(o[k] as? [String: Any], "no object \(k)") }
        return try XCTUnwrap(o[path.last!] as? Double, "no number \(path.joined(separator: "."))")
    }

    // MARK: compare

    /// Under common random numbers the paired difference B_i − A_i has variance
    /// σ_A² + σ_B² − 2ρσ_Aσ_B; two independent runs give σ_A² + σ_B². For the capex NPV, which the EU
    /// review changes only in the trials where it blocks the deal, ρ is about 0.98; with ρ ≥ 0.95 and
    /// σ_A ≈ σ_B the independent sd is at least 1/√(1 − 0.95) = 4.5 times the paired one, so the test
    /// asks for 4. The standard deviations come from 8192 trials, within about 1% of their values.
    func testCommonRandomNumbersMakeThePairedDifferenceFarTighterThanIndependentRuns() throws {
        let dir = try workspace()
        let common = ["compare", "base.yaml", "--variant", "blocked in the EU", "--modules", "capex_return", "--trials", "8192", "--quiet"]
        let paired = try CLI.run(common + ["--out", "crn"], in: dir)
        XCTAssertEqual(paired.status, 0, paired.stderr)
        XCTAssertTrue(paired.stdout.contains("crn/compare.md"), paired.stdout)
        let independent = try CLI.run(common + ["--seed-b", "43", "--out", "indep"], in: dir)
        XCTAssertEqual(independent.status, 0, independent.stderr)

        let crn = try json(dir.appendingPathComponent("crn/compare.json"))
        let ind = try json(dir.appendingPathComponent("indep/compare.json"))
        let check = try XCTUnwrap(crn["common_random_numbers"] as? [String: Any])
        XCTAssertEqual(check["same_seed"] as? Bool, true)
        XCTAssertGreaterThan(try number(check, "shared_unchanged_inputs"), 10)
        XCTAssertEqual(try number(check, "identically_drawn"), try number(check, "shared_unchanged_inputs"), "every shared input drew the same numbers")
        XCTAssertEqual(try number(ind, "common_random_numbers", "identically_drawn"), 0)

        let m = try metric(crn, "capex_return.npv_usd"), mi = try metric(ind, "capex_return.npv_usd")
        let rho = try number(m, "correlation")
        XCTAssertGreaterThan(rho, 0.95)
        let sdA = try number(m, "a", "sd"), sdB = try number(m, "b", "sd")
        let sdPaired = try number(m, "difference", "sd"), sdIndependent = try number(mi, "difference", "sd")
        XCTAssertGreaterThan(sdIndependent, 4 * sdPaired, "sd of B − A: \(sdPaired) paired, \(sdIndependent) independent (ρ = \(rho))")
        // The independent run's difference has the variance of a sum of independent terms.
        XCTAssertEqual(sdIndependent, (sdA * sdA + sdB * sdB).squareRoot(), accuracy: 0.05 * sdIndependent)
        XCTAssertEqual(try number(mi, "correlation"), 0, accuracy: 4 / 8192.0.squareRoot())
        // The report states the gain.
        XCTAssertGreaterThan(try number(m, "variance_ratio"), 16)
        let md = try String(contentsOf: dir.appendingPathComponent("crn/compare.md"), encoding: .utf8)
        for section in ["# Comparison: amazon-openai-2026 vs blocked-in-the-eu", "## What differs", "`regulatory_risk.jurisdictions[2].review_probability`",
                        "## Difference B − A, trial by trial", "## Precision: what common random numbers buy", "## Reproducibility",
                        "dealcast compare base.yaml --variant 'blocked in the EU' --trials 8192 --seed 42"] {
            XCTAssertTrue(md.contains(section), "compare.md lacks \(section)")
        }
    }

    func testTwoScenarioFilesAreComparedAndTheChangedInputIsCoupledThroughTheSameUniforms() throws {
        let dir = try workspace()
        let base = try String(contentsOf: dir.appendingPathComponent("base.yaml"), encoding: .utf8)
        let cheaper = base.replacingOccurrences(of: "value: 27B USD/GW to 42B USD/GW", with: "value: 24B USD/GW to 38B USD/GW")
        XCTAssertNotEqual(cheaper, base)
        try cheaper.replacingOccurrences(of: "id: amazon-openai-2026", with: "id: cheaper-capex")
            .write(to: dir.appendingPathComponent("cheaper.yaml"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["compare", "base.yaml", "cheaper.yaml", "--modules", "capex_return", "--trials", "4096", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("reports/compare-amazon-openai-2026-vs-cheaper-capex")
        let c = try json(out.appendingPathComponent("compare.json"))
        let changes = try XCTUnwrap(c["input_changes"] as? [[String: Any]])
        XCTAssertEqual(changes.map { $0["path"] as? String }, ["capex_return.capex_per_gw"])
        // Both lognormals map the same stratified uniforms through their inverse CDFs: comonotone draws.
        XCTAssertEqual(try XCTUnwrap(changes.first?["draw_rank_correlation"] as? Double), 1, accuracy: 1e-9)
        // Cheaper capacity raises the NPV in every trial.
        let npv = try metric(c, "capex_return.npv_usd")
        XCTAssertEqual(try number(npv, "p_b_greater"), 1)
        XCTAssertGreaterThan(try number(npv, "difference", "min"), 0)
        XCTAssertTrue(r.stdout.contains("capex_return.npv_usd"), r.stdout)
    }

    func testCompareErrorsNameTheProblemWithTheRightExitCode() throws {
        let dir = try workspace()
        let missing = try CLI.run(["compare", "base.yaml", "nope.yaml"], in: dir)
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nope.yaml: no such file"), missing.stderr)

        let unknown = try CLI.run(["compare", "base.yaml", "--variant", "blocked in EU"], in: dir)
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'blocked in the EU'?"), unknown.stderr)

        let alone = try CLI.run(["compare", "base.yaml"], in: dir)
        XCTAssertEqual(alone.status, 64, alone.stderr)
        XCTAssertTrue(alone.stderr.contains("--variant NAME"), alone.stderr)

        let base = try String(contentsOf: dir.appendingPathComponent("base.yaml"), encoding: .utf8)
        try base.replacingOccurrences(of: "partnership_outcome.time_to_milestone: 100 years", with: "partnership_outcome.time_to_milstone: 100 years")
            .write(to: dir.appendingPathComponent("typo.yaml"), atomically: true, encoding: .utf8)
        let line = try XCTUnwrap(base.components(separatedBy: "\n").firstIndex { $0.contains("time_to_milestone: 100 years") }) + 1
        let typo = try CLI.run(["compare", "typo.yaml", "--variant", "no milestone tranche"], in: dir)
        XCTAssertEqual(typo.status, 65, typo.stderr)
        XCTAssertTrue(typo.stderr.contains("typo.yaml:\(line): variants[0].set:"), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("did you mean 'partnership_outcome.time_to_milestone'?"), typo.stderr)

        // validate checks every variant too, with the same located error; a good file lists its variants.
        let validateTypo = try CLI.run(["validate", "typo.yaml"], in: dir)
        XCTAssertEqual(validateTypo.status, 65, validateTypo.stderr)
        XCTAssertTrue(validateTypo.stderr.contains("typo.yaml:\(line): variants[0].set:"), validateTypo.stderr)
        try base.replacingOccurrences(of: "review_probability: 1\n", with: "review_probability: 2\n")
            .write(to: dir.appendingPathComponent("range.yaml"), atomically: true, encoding: .utf8)
        let validateRange = try CLI.run(["validate", "range.yaml"], in: dir)
        XCTAssertEqual(validateRange.status, 65, validateRange.stderr)
        XCTAssertTrue(validateRange.stderr.contains("review_probability"), validateRange.stderr)
        let good = try CLI.run(["validate", "base.yaml"], in: dir)
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stdout.contains("2 variants (no milestone tranche, blocked in the EU) valid too"), good.stdout)
    }

    // MARK: fit

    /// `n` lognormal(μ, σ) values from a fixed SplitMix64 stream and Box–Muller, so the file is the
    /// same on every run.
    func lognormalColumn(_ n: Int, mu: Double, sigma: Double) -> [Double] {
        var state: UInt64 = 0x5EED
        func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return (Double((z ^ (z >> 31)) >> 11) + 0.5) / 9_007_199_254_740_992
        }
        return (0 ..< n).map { _ in exp(mu + sigma * (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())) }
    }

    func testFitPrintsTheRankingAndASnippetAndWritesEveryFigureToFitJSON() throws {
        let dir = try CLI.temporaryDirectory(self)
        let xs = lognormalColumn(400, mu: 3, sigma: 0.5)
        let csv = "deal,capex\n" + xs.enumerated().map { "d\($0),\($1)" }.joined(separator: "\n") + "\n"
        try csv.write(to: dir.appendingPathComponent("deals.csv"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["fit", "deals.csv", "--column", "capex", "--unit", "1M USD"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let fit = try json(dir.appendingPathComponent("reports/fit-deals-capex/fit.json"))
        let data = try XCTUnwrap(fit["data"] as? [String: Any])
        XCTAssertEqual(data["n"] as? Int, 400)
        XCTAssertEqual(data["canonical_unit"] as? String, "USD")
        XCTAssertEqual(try number(data, "mean"), xs.reduce(0, +) / 400 * 1e6, accuracy: 1e-6 * 1e6)
        let fits = try XCTUnwrap(fit["fits"] as? [[String: Any]])
        XCTAssertEqual(Set(fits.compactMap { $0["family"] as? String }), ["normal", "lognormal", "gamma", "exponential", "uniform", "triangular", "pert"])
        let aics = try fits.map { try number($0, "aic") }
        XCTAssertEqual(aics, aics.sorted(), "ranked by AIC")
        XCTAssertEqual(fits.compactMap { $0["rank_aic"] as? Int }, Array(1 ... fits.count))
        for f in fits {
            for key in ["log_likelihood", "bic", "delta_aic", "delta_bic", "akaike_weight", "ks_d", "ks_p_value"] { _ = try number(f, key) }
            XCTAssertEqual(f["converged"] as? Bool, true, "\(f["family"] ?? "")")
        }
        let skipped = try XCTUnwrap(fit["skipped"] as? [[String: Any]])
        XCTAssertEqual(skipped.first?["family"] as? String, "beta")
        // The printed snippet is the best fit's, in the data's unit.
        let snippet = try XCTUnwrap(fits.first?["snippet"] as? String)
        XCTAssertTrue(snippet.contains("M USD"), snippet)
        XCTAssertTrue(r.stdout.contains("\n  value: \(snippet)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("RANK"), r.stdout)
        let md = try String(contentsOf: dir.appendingPathComponent("reports/fit-deals-capex/fit.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("value: \(snippet)"))
    }

    func testFitErrorsNameTheFileColumnAndLineWithTheRightExitCode() throws {
        let dir = try CLI.temporaryDirectory(self)
        try "deal,capex\na,1.5\nb,2.5\nc,n/a\nd,4\n".write(to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)

        let missing = try CLI.run(["fit", "none.csv", "--column", "capex"], in: dir)
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("none.csv: cannot read the file (no such file)"), missing.stderr)

        let column = try CLI.run(["fit", "d.csv", "--column", "capx"], in: dir)
        XCTAssertEqual(column.status, 65, column.stderr)
        XCTAssertTrue(column.stderr.contains("no column 'capx'; did you mean 'capex'?"), column.stderr)

        let cell = try CLI.run(["fit", "d.csv", "--column", "capex"], in: dir)
        XCTAssertEqual(cell.status, 65, cell.stderr)
        XCTAssertTrue(cell.stderr.contains("d.csv:4: column 'capex': expected a number, got 'n/a'"), cell.stderr)

        let unit = try CLI.run(["fit", "d.csv", "--column", "capex", "--unit", "furlongs"], in: dir)
        XCTAssertEqual(unit.status, 64, unit.stderr)
        XCTAssertTrue(unit.stderr.contains("--unit 'furlongs'"), unit.stderr)

        let family = try CLI.run(["fit", "d.csv", "--column", "capex", "--families", "lognorml"], in: dir)
        XCTAssertEqual(family.status, 64, family.stderr)
        XCTAssertTrue(family.stderr.contains("did you mean 'lognormal'?"), family.stderr)
    }
}
