import DealcastCore
import DealcastModules
import DealcastTestSupport
import Foundation
import XCTest

/// The two example plugins: the C one compiled here with the system compiler against the header
/// alone, the Swift one built by SwiftPM as a dynamic library. Both are loaded, pass the module
/// conformance test next to the built-in modules, and run end to end through `dealcast run`.
final class ExamplePluginTests: XCTestCase {
    func defaultScenario() throws -> Scenario {
        try ScenarioLoader.load(url: TestScenario.datasetsDirectory.appendingPathComponent("amazon-openai-2026.yaml"))
    }

    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    // MARK: Conformance, in process

    func testTheCPluginConformsOnTheDefaultScenario() throws {
        let plugin = try PluginLoader().load(try PluginFixtures.powerPriceShock(in: try CLI.temporaryDirectory(self)).path)
        XCTAssertEqual(plugin.descriptor.id, "power_price_shock")
        XCTAssertEqual(plugin.descriptor.reads, ["capex_return.npv_usd"])
        var registry = try ModuleRegistry(BuiltinModules.all)
        try PluginLoader.register([plugin], in: &registry)
        ModuleConformance.check(plugin, scenario: try defaultScenario(), registry: registry)
    }

    func testTheSwiftPluginConformsOnTheDefaultScenario() throws {
        let plugin = try PluginLoader().load(try PluginFixtures.customModelsLibrary().path)
        XCTAssertEqual(plugin.descriptor.id, "custom_models")
        var registry = try ModuleRegistry(BuiltinModules.all)
        try PluginLoader.register([plugin], in: &registry)
        ModuleConformance.check(plugin, scenario: try defaultScenario(), registry: registry)
    }

    // MARK: power_price_shock against closed forms

    /// Every input fixed, a step every year: the extra cost is a closed-form sum over the years.
    func testPowerPriceShockWithAStepEveryYearMatchesTheClosedForm() throws {
        let plugin = try PluginLoader().load(try PluginFixtures.powerPriceShock(in: try CLI.temporaryDirectory(self)).path)
        let yaml = """
            id: pps
            horizon: {start: 2026Q1, end: 2029Q4}
            deal:
              capacity: 2 GW
              discount_rate: 10%
              compute_commitment: {term: 2.5 years}
            capex_return: {pue: 1.2, load_factor: 75%, power_price: $80/MWh, tax_rate: 20%}
            power_price_shock: {annual_probability: 100%, step: 10%, ramp: 2 years, pass_through: 25%}
            """
        let r = try TestScenario.run(yaml, modules: [plugin], upstream: [FixedMetricsModule(id: "capex_return", values: ["npv_usd": 5e9])], trials: 50)
        let mwh = 2 * 1000 * 1.2 * 8766 * 0.75
        // Years 0, 1, 2 (the last half in the term); online 50%, 100%, 100%; multiplier 1.1^(t+1).
        let online = [0.5, 1, 1], inTerm = [1, 1, 0.5]
        var extra = 0.0, pv = 0.0
        for t in 0 ..< 3 {
            let e = mwh * online[t] * inTerm[t] * 80 * (pow(1.1, Double(t + 1)) - 1) * 0.75
            extra += e
            pv += e * 0.8 / pow(1.1, Double(t + 1))
        }
        let m = { (k: String) in try XCTUnwrap(r.metric("power_price_shock.\(k)")).summary }
        XCTAssertEqual(try m("extra_power_cost_usd").mean, extra, accuracy: extra * 1e-12)
        XCTAssertEqual(try m("npv_impact_usd").mean, -pv, accuracy: pv * 1e-12)
        XCTAssertEqual(try m("npv_after_shock_usd").mean, 5e9 - pv, accuracy: pv * 1e-12)
        XCTAssertEqual(try m("price_multiplier_end").mean, pow(1.1, 3), accuracy: 1e-12)
        XCTAssertEqual(try m("shock_occurs").mean, 1)
        XCTAssertEqual(try m("extra_power_cost_usd").sd, 0)
    }

    /// Steps drawn by the plugin's own generator: P(at least one step in T years) = 1 − (1 − p)^T,
    /// within four standard errors.
    func testPowerPriceShockStepsHappenAtTheDeclaredRate() throws {
        let plugin = try PluginLoader().load(try PluginFixtures.powerPriceShock(in: try CLI.temporaryDirectory(self)).path)
        let yaml = """
            id: pps
            horizon: {start: 2026Q1, end: 2033Q4}
            deal: {capacity: 2 GW, discount_rate: 9%, compute_commitment: {term: 8 years}}
            capex_return: {pue: 1.15, load_factor: 75%, power_price: $80/MWh, tax_rate: 21%}
            power_price_shock: {annual_probability: 15%, step: 12%}
            """
        let n = 20_000
        let r = try TestScenario.run(yaml, modules: [plugin], upstream: [FixedMetricsModule(id: "capex_return", values: ["npv_usd": 0])], trials: n, threads: 2)
        let p = 1 - pow(0.85, 8.0)
        let se = (p * (1 - p) / Double(n)).squareRoot()
        XCTAssertEqual(try XCTUnwrap(r.metric("power_price_shock.shock_occurs")).summary.mean, p, accuracy: 4 * se)
        // The number of steps is binomial(8, 0.15), so E[1.12^N] = (1 − p + p · 1.12)^8.
        let values = try XCTUnwrap(r.values("power_price_shock.price_multiplier_end"))
        let expected = pow(0.85 + 0.15 * 1.12, 8.0)
        let mean = values.reduce(0, +) / Double(n)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
        XCTAssertEqual(mean, expected, accuracy: 4 * sd / Double(n).squareRoot())
    }

    // MARK: custom_models against closed forms

    /// No discounting, launch at once, a two-year ramp: the midpoint rule is exact on the ramp's
    /// straight pieces, so the profit over 8 years is the run rate × (2/2 + 6); a block after 36 months
    /// cuts it to run rate × (1 + 1).
    func testCustomModelsProfitIsTheRunRateTimesTheAdoptedYears() throws {
        let plugin = try PluginLoader().load(try PluginFixtures.customModelsLibrary().path)
        let yaml = """
            id: cm
            horizon: {start: 2026Q1, end: 2033Q4}
            deal: {discount_rate: 0%, compute_commitment: {term: 8 years}}
            custom_models: {households: 50M, profit_per_household: $12, attribution: 25%, launch_lag: 0 years, ramp: 2 years}
            """
        let runRate = 50e6 * 12 * 0.25
        for (blocked, years) in [(0.0, 7.0), (1.0, 2.0)] {
            let r = try TestScenario.run(yaml, modules: [plugin], upstream: [
                FixedMetricsModule(id: "regulatory_risk", values: ["blocked": blocked, "delay_months": 36]),
                FixedMetricsModule(id: "partnership_outcome", values: ["investor_value_usd": 1e9]),
            ], trials: 10)
            let m = { (k: String) in try XCTUnwrap(r.metric("custom_models.\(k)")).summary.mean }
            XCTAssertEqual(try m("run_rate_profit_usd"), runRate, accuracy: 1e-6)
            XCTAssertEqual(try m("profit_usd"), runRate * years, accuracy: runRate * 1e-12, "blocked \(blocked)")
            XCTAssertEqual(try m("profit_pv_usd"), runRate * years, accuracy: runRate * 1e-12)
            XCTAssertEqual(try m("investor_value_with_models_usd"), 1e9 + runRate * years, accuracy: runRate * 1e-12)
            XCTAssertEqual(try m("launched"), 1)
        }
    }

    // MARK: End to end, through the dealcast binary

    func testBothPluginsRunOnTheDefaultScenarioAndPublishIntoTheReport() throws {
        let dir = try CLI.temporaryDirectory(self)
        let c = try PluginFixtures.powerPriceShock(in: dir), swift = try PluginFixtures.customModelsLibrary()
        let r = try PluginFixtures.dealcast(["run", "--trials", "5000", "--quiet", "--out", "out", "--plugin", c.path, "--plugin", swift.path], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try json(dir.appendingPathComponent("out/results.json"))
        let metrics = try XCTUnwrap(results["metrics"] as? [String: Any])
        for key in ["power_price_shock.npv_impact_usd", "power_price_shock.shock_occurs", "custom_models.profit_pv_usd", "custom_models.investor_value_with_models_usd"] {
            XCTAssertNotNil(metrics[key], "results.json lacks \(key)")
        }
        let plugins = try XCTUnwrap(results["plugins"] as? [[String: Any]])
        XCTAssertEqual(plugins.map { $0["id"] as? String }, ["power_price_shock", "custom_models"])
        XCTAssertEqual(plugins.first?["path"] as? String, c.path)
        XCTAssertEqual(plugins.first?["version"] as? String, "1.0.0")
        XCTAssertEqual((plugins.first?["sha256"] as? String)?.count, 64)
        XCTAssertEqual(plugins.first?["abi_version"] as? Int, 1)
        let modules = try XCTUnwrap(results["modules"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertLessThan(try XCTUnwrap(modules.firstIndex(of: "capex_return")), try XCTUnwrap(modules.firstIndex(of: "power_price_shock")))
        XCTAssertLessThan(try XCTUnwrap(modules.firstIndex(of: "partnership_outcome")), try XCTUnwrap(modules.firstIndex(of: "custom_models")))
        // The plugins' defaults stand in for a section the scenario does not have, cited as such.
        let inputs = try XCTUnwrap(results["inputs"] as? [String: [String: Any]])
        XCTAssertEqual(inputs["power_price_shock.step"]?["written"] as? String, "pert(5%, 12%, 30%)")
        XCTAssertEqual(inputs["power_price_shock.step"]?["provenance"] as? String, "assumption")
        XCTAssertTrue((inputs["capex_return.power_price"]?["read_by"] as? [String])?.contains("power_price_shock") ?? false)
        let report = try String(contentsOf: dir.appendingPathComponent("out/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## power_price_shock"), "report.md lacks the C plugin's section")
        XCTAssertTrue(report.contains("## custom_models"), "report.md lacks the Swift plugin's section")
        XCTAssertTrue(report.contains("default of plugin power_price_shock 1.0.0"), "report.md does not cite the plugin default")
        XCTAssertTrue(report.contains("--plugin \(c.path)"), "the reproduce command omits the plugin")
    }

    func testPluginsInTheEnvironmentVariableAreLoadedAndListed() throws {
        let dir = try CLI.temporaryDirectory(self)
        let c = try PluginFixtures.powerPriceShock(in: dir), swift = try PluginFixtures.customModelsLibrary()
        let r = try PluginFixtures.dealcast(["modules", "--json"], environment: ["DEALCAST_PLUGIN_PATH": c.path + ":" + swift.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let sources = Dictionary(uniqueKeysWithValues: list.compactMap { m in (m["id"] as? String).map { ($0, m["source"] as? String ?? "") } })
        XCTAssertEqual(sources["power_price_shock"], c.path)
        XCTAssertEqual(sources["custom_models"], swift.path)
        XCTAssertEqual(sources["capex_return"], "built-in")
        let text = try PluginFixtures.dealcast(["modules", "--plugin", c.path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("power_price_shock"), text.stdout)
        XCTAssertTrue(text.stdout.contains("npv_impact_usd [USD]"), text.stdout)
    }

    func testOneAndTwoThreadsGiveIdenticalPluginNumbers() throws {
        let dir = try CLI.temporaryDirectory(self)
        let c = try PluginFixtures.powerPriceShock(in: dir), swift = try PluginFixtures.customModelsLibrary()
        for t in ["1", "2"] {
            let r = try PluginFixtures.dealcast(["run", "--trials", "9000", "--seed", "11", "--threads", t, "--out", "t\(t)", "--quiet",
                                                 "--plugin", c.path, "--plugin", swift.path], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let a = try json(dir.appendingPathComponent("t1/results.json")), b = try json(dir.appendingPathComponent("t2/results.json"))
        XCTAssertNotNil((a["metrics"] as? [String: Any])?["power_price_shock.npv_impact_usd"])
        XCTAssertEqual(a["metrics"] as? NSDictionary, b["metrics"] as? NSDictionary)
    }

    func testEveryExamplePluginHasItsModelDocument() throws {
        for id in ["power_price_shock", "custom_models"] {
            let doc = PluginFixtures.repository.appendingPathComponent("docs/models/\(id).md")
            XCTAssertTrue(FileManager.default.fileExists(atPath: doc.path), "docs/models/\(id).md is missing")
        }
    }
}
