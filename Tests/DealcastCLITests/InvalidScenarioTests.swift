import DealcastTestSupport
import Foundation
import XCTest

/// Each case breaks the default scenario in one way and pins the exit code and the field path named.
final class InvalidScenarioTests: XCTestCase {
    struct Case {
        let name: String
        let find: String
        let replace: String
        let path: String
        var status: Int32 = 65
        var says: String? = nil
    }

    static let cases: [Case] = [
        Case(name: "power where a currency is expected", find: "value: 100B USD", replace: "value: 100 GW", path: "deal.compute_commitment.amount", says: "expected"),
        Case(name: "currency where a power is expected", find: "value: 2 GW", replace: "value: 2B USD", path: "deal.capacity", says: "power"),
        Case(name: "negative capacity", find: "value: 2 GW", replace: "value: -2 GW", path: "deal.capacity", says: "positive"),
        Case(name: "uniform min above max", find: "value: uniform(5 years, 6 years)", replace: "value: uniform(6 years, 5 years)", path: "capex_return.it_life", says: "min < max"),
        Case(name: "beta with alpha zero", find: "value: pert(50%, 60%, 70%)", replace: "value: beta(0, 2)", path: "capex_return.it_share", says: "alpha > 0"),
        Case(name: "share above 100%", find: "value: pert(50%, 60%, 70%)", replace: "value: 150%", path: "capex_return.it_share", says: "between 0 and 1"),
        Case(name: "bernoulli p above 1", find: "value: pert(55%, 85%, 100%)", replace: "value: bernoulli(1.5)", path: "deal.commitment_realisation", says: "between 0 and 1"),
        Case(name: "discrete weights not summing to 1", find: "value: pert(55%, 85%, 100%)", replace: "value: \"discrete(50%: 30%, 100%: 30%)\"", path: "deal.commitment_realisation", says: "sum to 1"),
        Case(name: "price that can go negative", find: "value: triangular($60/MWh, $80/MWh, $110/MWh)", replace: "value: normal($80/MWh, $40/MWh)", path: "capex_return.power_price", says: "truncate"),
        Case(name: "PUE below 1", find: "value: triangular(1.08, 1.15, 1.25)", replace: "value: 0.9", path: "capex_return.pue"),
        Case(name: "build schedule not summing to 100%", find: "value: [25%, 45%, 30%]", replace: "value: [25%, 45%]", path: "capex_return.build_schedule", says: "sum to 100%"),
        Case(name: "distribution where a fixed value is required", find: "value: 8 years", replace: "value: normal(8 years, 1 year)", path: "deal.compute_commitment.term", says: "fixed"),
        Case(name: "misspelt input key", find: "  tax_rate:\n", replace: "  tax_rat:\n", path: "capex_return.tax_rat", says: "did you mean 'tax_rate'"),
        Case(name: "horizon ending before it starts", find: "  end: 2033Q4", replace: "  end: 2025Q4", path: "horizon.end", says: "before it starts"),
        Case(name: "impossible quarter", find: "  start: 2026Q2", replace: "  start: 2026Q5", path: "horizon.start", says: "quarter"),
        Case(name: "id with spaces", find: "id: amazon-openai-2026", replace: "id: amazon openai", path: "id"),
        Case(name: "missing id", find: "id: amazon-openai-2026\n", replace: "", path: "id", says: "missing"),
        Case(name: "misspelt module section", find: "\ncapex_return:\n", replace: "\ncapex_retrun:\n", path: "capex_retrun", says: "did you mean 'capex_return'"),
        Case(name: "unknown distribution", find: "value: uniform(5 years, 6 years)", replace: "value: uniformm(5 years, 6 years)", path: "capex_return.it_life", says: "did you mean 'uniform'"),
        Case(name: "pert mode below min", find: "value: pert(60%, 75%, 90%)", replace: "value: pert(90%, 60%, 95%)", path: "capex_return.load_factor", says: "min ≤ mode ≤ max"),
        Case(name: "negative standard deviation", find: "value: normal(9%, 1%)", replace: "value: normal(9%, -1%)", path: "deal.discount_rate", says: "positive sd"),
        Case(name: "a 'to' range running backwards", find: "value: 27B USD/GW to 42B USD/GW", replace: "value: 42B USD/GW to 27B USD/GW", path: "capex_return.capex_per_gw", says: "below b"),
        Case(name: "mixed units in a distribution", find: "value: 27B USD/GW to 42B USD/GW", replace: "value: uniform(27B USD/GW, 42 GW)", path: "capex_return.capex_per_gw", says: "different units"),
        Case(name: "empirical column from a missing file", find: "value: uniform(0%, 15%)", replace: "value: empirical(\"nowhere.csv\", \"x\")", path: "capex_return.hardware_cost_decline", says: "nowhere.csv"),
        Case(name: "NaN amount", find: "value: 100B USD", replace: "value: nan", path: "deal.compute_commitment.amount"),
        Case(name: "text where a number is expected", find: "value: 21%", replace: "value: twenty-one percent", path: "capex_return.tax_rate"),
        Case(name: "list where a value is expected", find: "value: 20 years", replace: "value: {a: 1}", path: "capex_return.facility_life"),
    ]

    static var defaultScenario: String {
        get throws { try String(contentsOf: TestScenario.datasetsDirectory.appendingPathComponent("amazon-openai-2026.yaml"), encoding: .utf8) }
    }

    func testEveryBrokenScenarioExitsWithItsCodeAndNamesTheField() throws {
        let dir = try CLI.temporaryDirectory(self)
        try FileManager.default.copyItem(at: TestScenario.datasetsDirectory.appendingPathComponent("aws_segment_quarterly.csv"),
                                         to: dir.appendingPathComponent("aws_segment_quarterly.csv"))
        let original = try Self.defaultScenario
        XCTAssertGreaterThanOrEqual(Self.cases.count, 20)
        for c in Self.cases {
            XCTAssertTrue(original.contains(c.find), "\(c.name): the default scenario no longer contains '\(c.find)'")
            let broken = original.replacingOccurrences(of: c.find, with: c.replace)
            try broken.write(to: dir.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
            for command in ["validate", "run"] {
                let r = try CLI.run([command, "broken.yaml", "--quiet"].filter { command == "run" || $0 != "--quiet" }, in: dir)
                XCTAssertEqual(r.status, c.status, "\(c.name) (\(command)): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("broken.yaml"), "\(c.name): no file named in: \(r.stderr)")
                XCTAssertTrue(r.stderr.contains(" \(c.path): ") || r.stderr.contains(": \(c.path): "), "\(c.name): no field path '\(c.path)' in: \(r.stderr)")
                if let says = c.says { XCTAssertTrue(r.stderr.contains(says), "\(c.name): '\(says)' not in: \(r.stderr)") }
            }
        }
    }

    func testTheLineOfTheBrokenFieldIsNamed() throws {
        let dir = try CLI.temporaryDirectory(self)
        let broken = try Self.defaultScenario.replacingOccurrences(of: "value: 2 GW", with: "value: -2 GW")
        try broken.write(to: dir.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let line = broken.components(separatedBy: "\n").firstIndex { $0.contains("value: -2 GW") }! + 1
        let r = try CLI.run(["validate", "broken.yaml"], in: dir)
        XCTAssertTrue(r.stderr.contains("broken.yaml:\(line): deal.capacity: expected a positive value"), r.stderr)
    }

    func testInvalidYAMLNamesTheLine() throws {
        let dir = try CLI.temporaryDirectory(self)
        try "id: x\nhorizon:\n  start: 2026Q1\n end: [\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["validate", "bad.yaml"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bad.yaml:") && r.stderr.contains("not valid YAML"), r.stderr)
    }

    func testEmptyAndBinaryFilesAreInvalidNotCrashes() throws {
        let dir = try CLI.temporaryDirectory(self)
        try Data().write(to: dir.appendingPathComponent("empty.yaml"))
        try Data([0, 1, 2, 0xFF, 0xFE, 0]).write(to: dir.appendingPathComponent("junk.yaml"))
        for f in ["empty.yaml", "junk.yaml"] {
            let r = try CLI.run(["validate", f], in: dir)
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains(f), r.stderr)
        }
    }

    func testAMissingFileExits66AndABadOptionExits64() throws {
        let missing = try CLI.run(["run", "/nonexistent/deal.yaml"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/deal.yaml"), missing.stderr)
        XCTAssertEqual(try CLI.run(["run", "--trials", "0"]).status, 64)
        XCTAssertEqual(try CLI.run(["run", "--history-cutoff", "2021Q7"]).status, 64)
        XCTAssertEqual(try CLI.run(["run", "--rng", "dice"]).status, 64)
        XCTAssertEqual(try CLI.run(["run", "--modules", "capex_retrun"]).status, 64)
    }
}
