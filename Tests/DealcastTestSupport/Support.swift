import DealcastCore
import Foundation

/// A module that publishes fixed values for given metrics, standing in for upstream modules when a
/// test runs one module on its own.
public struct FixedMetricsModule: AnalysisModule {
    public let descriptor: ModuleDescriptor
    let values: [String: Double]

    /// - Parameters:
    ///   - id: the upstream module's id, e.g. "regulatory_risk".
    ///   - values: metric name (without the module prefix) → the value every trial gets.
    public init(id: String, values: [String: Double]) {
        self.values = values
        descriptor = ModuleDescriptor(id: id, version: "test", summary: "fixed test values",
                                      metrics: values.keys.sorted().map { MetricSpec($0, unit: "1", summary: "fixed") })
    }

    public func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator { Evaluator(values: values) }

    struct Evaluator: ModuleEvaluator {
        let values: [String: Double]
        func evaluate(_ block: BlockContext) throws {
            for (k, v) in values { block.output(k).initialize(repeating: v) }
        }
    }
}

/// Loading and running scenarios written inline in tests.
public enum TestScenario {
    /// Parses YAML text as a scenario located in `directory` (for relative dataset paths).
    public static func load(_ yaml: String, file: String = "test.yaml", directory: URL = URL(fileURLWithPath: NSTemporaryDirectory())) throws -> Scenario {
        try ScenarioLoader.parse(data: Data(yaml.utf8), displayPath: file, baseDirectory: directory)
    }

    /// Runs `modules` (plus stand-ins for upstream metrics) on an inline scenario.
    public static func run(_ yaml: String, modules: [any AnalysisModule], upstream: [FixedMetricsModule] = [],
                           trials: Int = 1000, seed: UInt64 = 1, threads: Int = 1, sampling: SamplingMethod = .random,
                           options: [String: String] = [:], directory: URL = URL(fileURLWithPath: NSTemporaryDirectory())) throws -> RunResults {
        let scenario = try load(yaml, directory: directory)
        let registry = try ModuleRegistry(upstream + modules)
        let plan = try RunPlan(scenario: scenario, registry: registry, options: options)
        return try Engine.run(plan, RunConfiguration(trials: trials, seed: seed, threads: threads, sampling: sampling))
    }

    /// The default scenario cut down to some of its top-level sections (its header and `deal:` always
    /// kept), so that a module's test can run that module's real default section on its own.
    public static func defaultScenario(sections: [String]) throws -> String {
        let text = try String(contentsOf: datasetsDirectory.appendingPathComponent("amazon-openai-2026.yaml"), encoding: .utf8)
        let keep = Set(["id", "title", "description", "horizon", "deal"] + sections)
        var out: [Substring] = [], keeping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#", let colon = line.firstIndex(of: ":") {
                keeping = keep.contains(String(line[..<colon]))
            }
            if keeping { out.append(line) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The folder holding the bundled datasets in the source tree (for tests that read them).
    public static var datasetsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("datasets")
    }
}
