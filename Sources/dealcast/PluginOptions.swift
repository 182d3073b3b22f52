import ArgumentParser
import DealcastCore
import Foundation

/// The plugin options shared by `run`, `validate` and `modules`: `--plugin PATH` (repeatable),
/// `DEALCAST_PLUGIN_PATH` and `--allow-insecure-plugins`. The contract is docs/plugin-abi.md.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin"), help: ArgumentHelp(
        "A plugin library adding an analysis module (repeatable). Also read from DEALCAST_PLUGIN_PATH, ':'-separated. See docs/plugin-abi.md.",
        valueName: "path"))
    var paths: [String] = []

    @Flag(help: "Load plugin files that other users can change (refused by default, as ssh refuses loose key permissions).")
    var allowInsecurePlugins = false

    /// Loads the plugins named in `DEALCAST_PLUGIN_PATH`, then by `--plugin`, each file once.
    /// - Throws: `DealcastError`: exit 66 for a missing file, 69 for an unusable plugin.
    func load() throws(DealcastError) -> [PluginModule] {
        try PluginLoader(allowInsecure: allowInsecurePlugins)
            .load(paths: paths, environment: ProcessInfo.processInfo.environment[PluginLoader.environmentVariable])
    }
}
