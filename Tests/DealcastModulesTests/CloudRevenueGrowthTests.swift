import DealcastCore
@testable import DealcastModules
import DealcastTestSupport
import Foundation
import XCTest

/// Pins docs/models/cloud_revenue_growth.md: the worked example, the calibration, the predictive
/// distribution with parameter uncertainty, the backtest and the scenario checks.
final class CloudRevenueGrowthTests: XCTestCase {
    // MARK: - Helpers

    /// A fresh folder holding the given CSV files.
    func folder(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cloud-revenue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// A history CSV (USD millions) starting at `first`.
    static func csv(_ sales: [Double], first: Quarter, recalled: Set<Int> = []) -> String {
        var text = "quarter,net_sales_usd_m,sales_basis\n"
        for (i, v) in sales.enumerated() {
            text += "\(first.advanced(by: i)),\(v),\(recalled.contains(i) ? "recalled (no sourced figure found)" : "sourced")\n"
        }
        return text
    }

    /// A scenario for this module: the worked example's section, with `overrides` replacing values by key.
    static func scenario(horizon: String = "{start: 2026Q1, end: 2027Q4}", history: String = "history.csv",
                         _ overrides: [String: String] = [:], extra: String = "") -> String {
        var section: [(String, String)] = [
            ("history", history), ("uncertainty", "none"), ("commitment_start", "2026Q1"),
            ("commitment_ramp", "4 quarters"), ("counterfactual_share", "25%"), ("platform_launch", "2026Q3"),
            ("platform_ramp", "2 quarters"), ("platform_run_rate", "2B USD"), ("operating_margin", "30%"),
        ]
        section = section.map { ($0.0, overrides[$0.0] ?? $0.1) }
        return """
        id: cloud-test
        horizon: \(horizon)
        deal:
          compute_commitment: {amount: 8B USD, term: 2 years}
          discount_rate: 10%
        cloud_revenue_growth:
        \(section.map { "  \($0.0): \($0.1)" }.joined(separator: "\n"))
        \(extra)
        """
    }

    func run(_ yaml: String, in dir: URL, realisation: Double = 0.8, trials: Int = 2, seed: UInt64 = 1,
             options: [String: String] = [:]) throws -> RunResults {
        try TestScenario.run(yaml, modules: [CloudRevenueGrowth()],
                             upstream: [FixedMetricsModule(id: "capex_return", values: ["realisation": realisation])],
                             trials: trials, seed: seed, options: options, directory: dir)
    }

    /// Generates g_t = a + b g_{t−1} + σ ε_t from the stationary mean, and levels S_t = S_{t−4} e^{g_t}
    /// from four quarters of 10,000 (USD millions).
    static func synthetic(a: Double, b: Double, sigma: Double, growthQuarters: Int, seed: UInt64) -> [Double] {
        let stream = RandomStream(kind: .taus2, seed: seed)
        var levels = [10_000.0, 10_500, 11_000, 12_000], g = a / (1 - b)
        for _ in 0 ..< growthQuarters {
            g = a + b * g + sigma * stream.standardNormal()
            levels.append(levels[levels.count - 4] * exp(g))
        }
        return levels
    }

    // MARK: - Worked example (docs/models/cloud_revenue_growth.md, "Worked example")

    /// The doc's history: 2023 at 10,000 / 10,500 / 11,000 / 12,000 USD m, then g = 0.4 in 2024Q1 and
    /// g_t = 0.1 + 0.5 g_{t−1}, written to 17 significant digits.
    static let workedHistory = [10000.0, 10500.0, 11000.0, 12000.0, 14918.246976412704, 14173.517479548034,
                                14124.279583565156, 15027.872594302373, 18450.382334225, 17420.109497919628,
                                17305.42909509978, 18383.787274113307]

    static let workedBaseline = [22552960491.69088, 21285282728.050083, 21141027531.633045, 22456201363.37019,
                                 27547593213.714714, 25998537754.436935, 25822024545.813374, 27428233691.16253]
    static let workedWithDeal = [22737575876.306263, 21654513497.280853, 21944873685.4792, 23694662901.83173,
                                 28786054752.176254, 27236999292.898476, 27060486084.274914, 28666695229.62407]

    func assertRelative(_ x: Double?, _ expected: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let x else { return XCTFail("\(what) missing", file: file, line: line) }
        XCTAssertEqual(x, expected, accuracy: 1e-9 * abs(expected), what, file: file, line: line)
    }

    func testWorkedExampleReproducesTheHandComputedNumbers() throws {
        let dir = try folder(["history.csv": Self.csv(Self.workedHistory, first: Quarter(year: 2023, q: 1))])
        let r = try run(Self.scenario(), in: dir)
        let without = try XCTUnwrap(r.series("cloud_revenue_growth.revenue_without_deal_usd"))
        let with = try XCTUnwrap(r.series("cloud_revenue_growth.revenue_with_deal_usd"))
        XCTAssertEqual(with.index, ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2", "2027Q3", "2027Q4"])
        // Series are stored in single precision (docs/engine.md): within half an ulp of a Float, 2⁻²⁴ relative.
        for q in 0 ..< 8 {
            XCTAssertEqual(without.summary.p50[q], Self.workedBaseline[q], accuracy: 0x1p-24 * Self.workedBaseline[q], "baseline \(without.index[q])")
            XCTAssertEqual(with.summary.p50[q], Self.workedWithDeal[q], accuracy: 0x1p-24 * Self.workedWithDeal[q], "with deal \(with.index[q])")
        }
        let m = { (k: String) in r.metric("cloud_revenue_growth.\(k)")?.summary.p50 }
        assertRelative(m("incremental_revenue_usd"), 7.55e9, "incremental revenue")
        assertRelative(m("commitment_incremental_usd"), 4.8e9, "commitment revenue not won anyway")
        assertRelative(m("platform_revenue_usd"), 2.75e9, "platform revenue")
        assertRelative(m("baseline_revenue_usd"), 194231861319.8718, "baseline revenue")
        assertRelative(m("platform_profit_pv_usd"), 720283210.5241714, "platform profit PV")
        assertRelative(m("baseline_growth"), 0.22185339085948486, "baseline growth in 2026")
        assertRelative(m("growth_uplift_pp"), 0.036279547686928426, "growth uplift in 2026")
        let spread = try XCTUnwrap(r.metric("cloud_revenue_growth.growth_uplift_pp")?.summary)
        XCTAssertEqual(spread.min, spread.max, "with every input fixed and no uncertainty, all trials agree")
    }

    func testRevenueTheProviderWouldHaveWonAnywayAddsNothing() throws {
        let dir = try folder(["history.csv": Self.csv(Self.workedHistory, first: Quarter(year: 2023, q: 1))])
        let r = try run(Self.scenario(["counterfactual_share": "100%", "platform_run_rate": "0 USD"]), in: dir)
        XCTAssertEqual(r.metric("cloud_revenue_growth.incremental_revenue_usd")?.summary.max, 0)
        XCTAssertEqual(r.metric("cloud_revenue_growth.growth_uplift_pp")?.summary.max, 0)
        XCTAssertEqual(r.series("cloud_revenue_growth.revenue_with_deal_usd")?.summary.p50,
                       r.series("cloud_revenue_growth.revenue_without_deal_usd")?.summary.p50)
    }

    // MARK: - Calibration

    func testCalibrationRecoversKnownARParametersFromASyntheticSeries() throws {
        let (a, b, sigma) = (0.03, 0.7, 0.02)
        let levels = Self.synthetic(a: a, b: b, sigma: sigma, growthQuarters: 1200, seed: 11)
        let h = RevenueHistory(first: Quarter(year: 1800, q: 1), sales: levels, recalled: levels.map { _ in false })
        let fit = try GrowthCalibration(h, excludeRecalled: true)
        XCTAssertEqual(fit.n, 1199)
        XCTAssertEqual(fit.a, a, accuracy: 4 * fit.seA)
        XCTAssertEqual(fit.b, b, accuracy: 4 * fit.seB)
        // OLS on an AR(1): sd(b̂) ≈ √((1 − b²) / n); sd(σ̂) ≈ σ / √(2n).
        XCTAssertEqual(fit.seB, ((1 - b * b) / Double(fit.n)).squareRoot(), accuracy: 0.15 * fit.seB)
        XCTAssertEqual(fit.sigma, sigma, accuracy: 4 * sigma / (2 * Double(fit.n)).squareRoot())
        XCTAssertEqual(fit.longRunGrowth, a / (1 - b), accuracy: 0.01)
    }

    func testARecalledFigureDropsTheFourGrowthPairsThatUseIt() throws {
        let levels = Self.synthetic(a: 0.03, b: 0.7, sigma: 0.02, growthQuarters: 40, seed: 3)
        var recalled = levels.map { _ in false }
        recalled[20] = true
        let h = RevenueHistory(first: Quarter(year: 2000, q: 1), sales: levels, recalled: recalled)
        let all = try GrowthCalibration(h, excludeRecalled: false), kept = try GrowthCalibration(h, excludeRecalled: true)
        XCTAssertEqual(all.n, 39)
        XCTAssertEqual(kept.n, 35)
        // Quarter 20 enters g_20 and g_24, hence the rows whose dependent quarter is 20, 21, 24 or 25.
        XCTAssertEqual(kept.excluded, [20, 21, 24, 25].map { Quarter(year: 2000, q: 1).advanced(by: $0) })
    }

    /// With parameter uncertainty the first quarter's log growth is Student-t: mean â + b̂ g₀ and
    /// variance ν/(ν − 2)·(σ̂² + x₀ᵀ Σ x₀), x₀ = (1, g₀). Without it, it is normal with variance σ̂².
    func testOneQuarterAheadGrowthMatchesThePredictiveDistribution() throws {
        let levels = Self.synthetic(a: 0.05, b: 0.5, sigma: 0.03, growthQuarters: 36, seed: 5)
        let first = Quarter(year: 2017, q: 1)
        let h = RevenueHistory(first: first, sales: levels.map { $0 * 1e6 }, recalled: levels.map { _ in false })
        let fit = try GrowthCalibration(h, excludeRecalled: true)
        let l = try XCTUnwrap(fit.cholesky)
        let g0 = fit.originGrowth, nu = Double(fit.dof)
        let mean = fit.a + fit.b * g0
        let parameterVariance = (l.0 + l.1 * g0) * (l.0 + l.1 * g0) + (l.2 * g0) * (l.2 * g0)
        let dir = try folder(["history.csv": Self.csv(levels, first: first)])
        let start = h.last.advanced(by: 1)
        let horizon = "{start: \(start), end: \(start.advanced(by: 7))}"
        let trials = 40_000
        for (mode, variance, kurtosis) in [("parameters_and_shocks", nu / (nu - 2) * (fit.sigma * fit.sigma + parameterVariance), 6 / (nu - 4)),
                                           ("shocks_only", fit.sigma * fit.sigma, 0.0)] {
            let yaml = Self.scenario(horizon: horizon, ["uncertainty": mode, "commitment_start": "\(start)", "platform_launch": "\(start)"])
            let r = try run(yaml, in: dir, trials: trials, seed: 9)
            let s = try XCTUnwrap(r.values(series: "cloud_revenue_growth.revenue_without_deal_usd", period: 0))
            let y = s.map { log($0 / h.sales[h.sales.count - 4]) }
            let m = y.reduce(0, +) / Double(trials)
            let v = y.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(trials - 1)
            XCTAssertEqual(m, mean, accuracy: 4 * (variance / Double(trials)).squareRoot(), mode)
            XCTAssertEqual(v, variance, accuracy: 4 * variance * (2 / Double(trials - 1) + kurtosis / Double(trials)).squareRoot(), mode)
        }
    }

    // MARK: - Default section and backtest

    /// The default scenario's own section, with its header and deal terms.
    static func defaultScenario() throws -> String {
        try TestScenario.defaultScenario(sections: ["cloud_revenue_growth"])
    }

    func runDefault(trials: Int, options: [String: String] = [:]) throws -> RunResults {
        try TestScenario.run(Self.defaultScenario(), modules: [CloudRevenueGrowth()],
                             upstream: [FixedMetricsModule(id: "capex_return", values: ["realisation": 0.85])],
                             trials: trials, seed: 42, options: options, directory: TestScenario.datasetsDirectory)
    }

    func testDefaultSectionForecastsTheNextQuarterFromTheCalibratedModel() throws {
        let trials = 4000
        let r = try runDefault(trials: trials)
        let table = try XCTUnwrap(r.plan.tables(r).first { $0.module == "cloud_revenue_growth" }?.tables.first)
        XCTAssertTrue(table.caption.contains("Growth uplift measured in 2027"), table.caption)
        XCTAssertTrue(table.rows.contains { $0[0].hasPrefix("rows dropped") && $0[1] == "2019Q3, 2019Q4, 2020Q3, 2020Q4, 2021Q2, 2021Q3, 2021Q4, 2022Q2, 2022Q3, 2022Q4" })
        let file = try CSVTable.load(TestScenario.datasetsDirectory.appendingPathComponent("aws_segment_quarterly.csv"), displayPath: "history")
        let h = try XCTUnwrap(RevenueHistory.read(file, file: "history") { XCTFail($0) })
        let fit = try GrowthCalibration(h, excludeRecalled: true)
        // 2026Q2 = 2025Q2 · exp(g), g ~ t around â + b̂ g(2026Q1); the median's standard error is ≈ 1.2533 sd / √n.
        let without = try XCTUnwrap(r.series("cloud_revenue_growth.revenue_without_deal_usd"))
        XCTAssertEqual(without.index.first, "2026Q2")
        let l = try XCTUnwrap(fit.cholesky), g0 = fit.originGrowth, nu = Double(fit.dof)
        let sd = (nu / (nu - 2) * (fit.sigma * fit.sigma + (l.0 + l.1 * g0) * (l.0 + l.1 * g0) + (l.2 * g0) * (l.2 * g0))).squareRoot()
        XCTAssertEqual(log(without.summary.p50[0] / 30_873e6), fit.a + fit.b * g0, accuracy: 4 * 1.2533 * sd / Double(trials).squareRoot())
        // The commitment starts in 2026Q3: nothing is added in 2026Q2, something from then on.
        let with = try XCTUnwrap(r.series("cloud_revenue_growth.revenue_with_deal_usd"))
        XCTAssertEqual(with.summary.mean[0], without.summary.mean[0])
        XCTAssertGreaterThan(with.summary.p5[1], without.summary.p5[1])
        for key in ["incremental_revenue_usd", "growth_uplift_pp", "platform_profit_pv_usd"] {
            let s = try XCTUnwrap(r.metric("cloud_revenue_growth.\(key)")?.summary)
            XCTAssertGreaterThan(s.p5, 0, key)
        }
    }

    func testBacktestWithCutoff2021Q4ProducesTheCoverageTable() throws {
        let r = try runDefault(trials: 2000, options: ["history-cutoff": "2021Q4"])
        let series = try XCTUnwrap(r.series("cloud_revenue_growth.backtest_revenue_usd"))
        XCTAssertEqual(series.index, (1 ... 17).map { Quarter(year: 2021, q: 4).advanced(by: $0).description })
        XCTAssertEqual(series.index.last, "2026Q1")
        let tables = try XCTUnwrap(r.plan.tables(r).first { $0.module == "cloud_revenue_growth" }?.tables)
        XCTAssertEqual(tables.map(\.title), ["Baseline growth model", "Backtest calibration (history through 2021Q4)", "Backtest coverage", "Backtest by quarter"])
        // Recount the coverage from the series' percentiles and the actuals.
        let file = try CSVTable.load(TestScenario.datasetsDirectory.appendingPathComponent("aws_segment_quarterly.csv"), displayPath: "history")
        let h = try XCTUnwrap(RevenueHistory.read(file, file: "history") { XCTFail($0) })
        var in50 = 0, in90 = 0
        for (p, label) in series.index.enumerated() {
            let actual = h.sales[h.index(of: Quarter(label)!)!]
            if series.summary.p25[p] <= actual && actual <= series.summary.p75[p] { in50 += 1 }
            if series.summary.p5[p] <= actual && actual <= series.summary.p95[p] { in90 += 1 }
        }
        let coverage = tables[2]
        XCTAssertEqual(coverage.header, ["band", "nominal", "actual quarters inside", "observed rate"])
        XCTAssertEqual(coverage.rows.map { Array($0.prefix(3)) }, [["50% (p25–p75)", "50%", "\(in50) of 17"], ["90% (p5–p95)", "90%", "\(in90) of 17"]])
        XCTAssertEqual(tables[3].rows.count, 17)
    }

    func testResultsAreTheSameAtAnyThreadCount() throws {
        let runs = try [1, 2].map { threads in
            try TestScenario.run(Self.defaultScenario(), modules: [CloudRevenueGrowth()],
                                 upstream: [FixedMetricsModule(id: "capex_return", values: ["realisation": 0.85])],
                                 trials: 9000, seed: 3, threads: threads, options: ["history-cutoff": "2021Q4"],
                                 directory: TestScenario.datasetsDirectory)
        }
        XCTAssertEqual(runs[0].metrics.map(\.summary), runs[1].metrics.map(\.summary))
        XCTAssertEqual(runs[0].series.map(\.summary), runs[1].series.map(\.summary))
    }

    func testWithoutACutoffTheBacktestSeriesIsSkipped() throws {
        let r = try runDefault(trials: 10)
        XCTAssertEqual(r.series("cloud_revenue_growth.backtest_revenue_usd")?.index, [])
        XCTAssertEqual(r.plan.tables(r).first { $0.module == "cloud_revenue_growth" }?.tables.map(\.title), ["Baseline growth model"])
    }

    func testAnUnusableHistoryCutoffIsAUsageError() throws {
        for cutoff in ["2026Q1", "21Q4", "2015Q3"] {
            XCTAssertThrowsError(try runDefault(trials: 10, options: ["history-cutoff": cutoff]), cutoff) { error in
                XCTAssertEqual((error as? DealcastError)?.code, .usage, "\(error)")
            }
        }
    }

    // MARK: - Scenario checks

    func testEveryScenarioProblemIsReportedTogether() throws {
        let yaml = Self.scenario(history: "missing.csv", ["uncertainty": "mild", "commitment_ramp": "12 quarters", "platform_launch": "2035Q1"],
                                 extra: "  growth_modle: ar1")
        let dir = try folder([:])
        XCTAssertThrowsError(try run(yaml, in: dir)) { error in
            let issues = (error as? DealcastError)?.issues ?? []
            let paths = Set(issues.map(\.path))
            XCTAssertEqual(paths, ["cloud_revenue_growth.history", "cloud_revenue_growth.uncertainty", "cloud_revenue_growth.commitment_ramp",
                                   "cloud_revenue_growth.platform_launch", "cloud_revenue_growth.growth_modle"], "\(error)")
        }
    }

    func testAHistoryWithAGapIsRejectedWithItsLine() throws {
        var text = Self.csv(Self.workedHistory, first: Quarter(year: 2023, q: 1)).split(separator: "\n").map(String.init)
        text.remove(at: 6)
        let dir = try folder(["history.csv": text.joined(separator: "\n")])
        XCTAssertThrowsError(try run(Self.scenario(), in: dir)) { error in
            XCTAssertTrue("\(error)".contains("history.csv:7: quarters must be consecutive; expected 2024Q2, got 2024Q3"), "\(error)")
        }
    }
}
