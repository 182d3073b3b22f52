import ArgumentParser
import DealcastCore
import DealcastDatasets
import DealcastModules
import Foundation

@main
struct Dealcast: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "dealcast",
        abstract: "Monte Carlo forecasts of what a large corporate partnership does to the companies in it.",
        discussion: """
            Exit codes (sysexits.h): 0 ok, 64 bad command line, 65 invalid scenario or data, 66 input missing \
            or unreadable, 69 plugin unusable, 70 internal error, 73 output cannot be written.
            """,
        version: version,
        subcommands: [Run.self, Merge.self, Validate.self, Modules.self, Compare.self, Fit.self, DrawFloorCommand.self],
        defaultSubcommand: nil
    )

    /// The module registry of this host, built once here and passed down: the built-in modules, then
    /// the plugins' modules.
    /// - Throws: `DealcastError` (exit 69) when a plugin's module id is already taken.
    static func registry(plugins: [PluginModule] = []) throws(DealcastError) -> ModuleRegistry {
        var registry = try ModuleRegistry(BuiltinModules.all)
        try PluginLoader.register(plugins, in: &registry)
        return registry
    }
}

/// Turns a `DealcastError` into its message on stderr and its sysexits status.
func exiting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as DealcastError {
        FileHandle.standardError.write(Data(("dealcast: " + e.message + "\n").utf8))
        throw ExitCode(e.code.exitStatus)
    }
}

/// The scenario file argument shared by commands: a path, or the embedded default when absent.
struct ScenarioArgument: ParsableArguments {
    @Argument(help: "Scenario file (YAML or JSON). Omit to use the embedded default, the Amazon–OpenAI deal of February 2026.")
    var scenario: String?

    func load() throws(DealcastError) -> Scenario {
        if let path = scenario {
            return try ScenarioLoader.load(url: URL(fileURLWithPath: path), displayPath: path)
        }
        return try ScenarioLoader.load(url: BundledDatasets.defaultScenario,
                                       displayPath: "datasets/\(BundledDatasets.defaultScenarioID).yaml (embedded default)")
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a scenario and report every problem, without running it.")

    @OptionGroup var scenario: ScenarioArgument

    @Option(help: "Comma-separated module ids to check (default: the scenario's list, or all).")
    var modules: String?

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        try exiting {
            let s = try scenario.load()
            let registry = try Dealcast.registry(plugins: try plugins.load())
            let plan = try RunPlan(scenario: s, registry: registry, selection: modules.map(splitList))
            // Every variant must bind too: a mistake in one is found here, not when compare runs it.
            let variants = try s.variants()
            for v in variants { _ = try RunPlan(scenario: try s.applying(v), registry: registry, selection: modules.map(splitList)) }
            let uncertain = plan.uncertainInputIndices.count
            let named = variants.isEmpty ? "" : "; \(variants.count) variant\(variants.count == 1 ? "" : "s") (\(variants.map(\.name).joined(separator: ", "))) valid too"
            print("\(s.displayPath): valid — \(plan.modules.count) modules (\(plan.modules.map(\.id).joined(separator: ", "))), \(plan.inputs.count) inputs of which \(uncertain) uncertain\(named)")
            let unsourced = plan.inputs.filter { $0.provenance.kind == .unstated }
            for i in unsourced {
                FileHandle.standardError.write(Data("warning: \(s.displayPath):\(s.line(of: i.path).map(String.init) ?? "?"): \(i.path): no source or assumption given\n".utf8))
            }
        }
    }
}

func splitList(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
