import Foundation

/// Loads plugin libraries once each and turns them into modules for a `ModuleRegistry`.
///
/// Modelled on swift-syntax's `LibraryPluginProvider`: libraries are cached by their resolved path
/// (naming the same file twice, say on the command line and in `DEALCAST_PLUGIN_PATH`, loads it once),
/// and one module id offered by two different files is refused, naming both.
public final class PluginLoader {
    /// The environment variable holding plugin files, separated by ':'.
    public static let environmentVariable = "DEALCAST_PLUGIN_PATH"

    /// Load plugin files that other users can change (`--allow-insecure-plugins`).
    public let allowInsecure: Bool
    /// The plugins loaded so far, in load order.
    public private(set) var loaded: [PluginModule] = []

    public init(allowInsecure: Bool = false) {
        self.allowInsecure = allowInsecure
    }

    /// Loads the plugin at `path`, or returns the module already loaded from the same file.
    ///
    /// - Parameters:
    ///   - path: the plugin library file.
    ///   - origin: where the path came from, for messages ("--plugin", "DEALCAST_PLUGIN_PATH").
    /// - Throws: `DealcastError`: `.inputMissing` (66) when the file is missing or unreadable;
    ///   `.pluginUnusable` (69) when other users can change it, it is not a dealcast plugin, was built for
    ///   another ABI version, declares too small a struct or an inconsistent module, or offers a module
    ///   id that another file already provides.
    @discardableResult
    public func load(_ path: String, origin: String = "--plugin") throws(DealcastError) -> PluginModule {
        let file = try PluginFile(path: path, origin: origin, allowInsecure: allowInsecure)
        if let cached = loaded.first(where: { $0.resolvedPath == file.resolvedPath }) { return cached }
        let module = PluginModule(try PluginLibrary(file))
        if let other = loaded.first(where: { $0.descriptor.id == module.descriptor.id }) {
            throw DealcastError(.pluginUnusable, "\(path): provides module '\(module.descriptor.id)' (version \(module.descriptor.version)), which \(other.path) (version \(other.descriptor.version)) already provides; load only one of them")
        }
        loaded.append(module)
        return module
    }

    /// Loads every plugin named in the environment variable, then every `--plugin` path, in order.
    /// - Parameters:
    ///   - paths: the `--plugin` options.
    ///   - environment: the value of `DEALCAST_PLUGIN_PATH`, if set.
    /// - Returns: the plugins, each file once.
    public func load(paths: [String], environment: String?) throws(DealcastError) -> [PluginModule] {
        var result: [PluginModule] = []
        let fromEnvironment = Self.split(environment)
        for (path, origin) in fromEnvironment.map({ ($0, Self.environmentVariable) }) + paths.map({ ($0, "--plugin") }) {
            let m = try load(path, origin: origin)
            if !result.contains(where: { $0.resolvedPath == m.resolvedPath }) { result.append(m) }
        }
        return result
    }

    /// The files named in a `DEALCAST_PLUGIN_PATH` value: ':'-separated, empty entries ignored.
    public static func split(_ value: String?) -> [String] {
        (value ?? "").split(separator: ":").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// Adds `plugins` to `registry` after its modules.
    /// - Throws: `DealcastError` (`.pluginUnusable`, exit 69) naming the file when a plugin's module id
    ///   is already taken by a module of the registry (a built-in one, say).
    public static func register(_ plugins: [PluginModule], in registry: inout ModuleRegistry) throws(DealcastError) {
        for p in plugins {
            if let existing = registry.module(p.descriptor.id) {
                let owner = (existing as? PluginModule).map { "the plugin \($0.path)" } ?? "a built-in module"
                throw DealcastError(.pluginUnusable, "\(p.path): provides module '\(p.descriptor.id)', but \(owner) already has that id; module ids must be unique")
            }
            try registry.register(p)
        }
    }
}
