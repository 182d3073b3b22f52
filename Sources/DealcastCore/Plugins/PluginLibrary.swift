internal import CDealcastPlugin
import Foundation

/// A plugin library opened with `dlopen`, its ABI checked and its description read into Swift values.
///
/// The library stays loaded for the life of the process: the module's evaluate function, strings and
/// arrays live in it. Nothing here hands a C pointer to code outside DealcastCore.
final class PluginLibrary: @unchecked Sendable {
    /// The ABI version this host implements (`DEALCAST_PLUGIN_ABI_VERSION` of its header).
    static let abiVersion = Int(DEALCAST_PLUGIN_ABI_VERSION)
    /// The function every plugin exports.
    static let entrySymbol = "dealcast_plugin_entry"

    let file: PluginFile
    /// The module the library describes.
    let description: PluginDescription
    /// The plugin's batch evaluation (immutable, callable from any thread by the ABI's contract).
    let evaluate: dealcast_evaluate_fn

    /// Opens `file` (already vetted) and reads the module it describes.
    /// - Throws: `DealcastError` (`.pluginUnusable`, exit 69) naming the file when it cannot be loaded,
    ///   exports no entry function, was built for another ABI version, declares a struct smaller than
    ///   this ABI version's, or describes its module inconsistently.
    init(_ file: PluginFile) throws(DealcastError) {
        self.file = file
        let path = file.displayPath
        _ = dlerror()
        guard let handle = dlopen(file.resolvedPath, RTLD_NOW | RTLD_LOCAL) else {
            throw DealcastError(.pluginUnusable, "\(path): cannot be loaded as a plugin library: \(Self.lastError())")
        }
        guard let symbol = dlsym(handle, Self.entrySymbol) else {
            let reason = Self.lastError()
            dlclose(handle)
            throw DealcastError(.pluginUnusable, "\(path): not a dealcast plugin: it does not export the function \(Self.entrySymbol) (\(reason))")
        }
        typealias Entry = @convention(c) () -> UnsafeRawPointer?
        guard let raw = unsafeBitCast(symbol, to: Entry.self)() else {
            throw DealcastError(.pluginUnusable, "\(path): \(Self.entrySymbol)() returned NULL: the plugin declined to load")
        }
        let version = Int(raw.load(as: UInt32.self))
        let size = Int(raw.load(fromByteOffset: MemoryLayout<UInt32>.size, as: UInt32.self))
        guard version == Self.abiVersion else {
            let advice = version > Self.abiVersion ? "upgrade dealcast, or rebuild the plugin against this dealcast's dealcast_plugin.h" : "rebuild the plugin against this dealcast's dealcast_plugin.h"
            throw DealcastError(.pluginUnusable, "\(path): built for dealcast plugin ABI version \(version), but this dealcast supports ABI version \(Self.abiVersion); \(advice)")
        }
        guard size >= Layout.plugin else {
            throw DealcastError(.pluginUnusable, "\(path): its dealcast_plugin struct is \(size) bytes, but ABI version \(Self.abiVersion) needs at least \(Layout.plugin); was it built against dealcast_plugin.h?")
        }
        let plugin: dealcast_plugin = Self.copy(raw, declaredSize: size)
        guard let evaluate = plugin.evaluate else {
            throw DealcastError(.pluginUnusable, "\(path): not usable as a dealcast plugin: its evaluate function is NULL")
        }
        self.evaluate = evaluate
        description = try PluginDescription(reading: plugin, path: path)
    }

    /// Copies a C struct that the plugin declares to be `declaredSize` bytes into a zeroed host struct:
    /// bytes the plugin has (an older, shorter version of the struct) are copied, the rest stay zero, and
    /// nothing past the plugin's struct is read.
    static func copy<T>(_ source: UnsafeRawPointer, declaredSize: Int) -> T where T: ZeroInitializable {
        var value = T()
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Swift.min(declaredSize, target.count)))
        }
        return value
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "no reason given"
    }

    /// The sizes of ABI version 1's structs: up to the end of their last version-1 member. Later
    /// versions of the header only add members after these, so these stay the minimum a plugin needs.
    enum Layout {
        static let plugin = MemoryLayout<dealcast_plugin>.offset(of: \dealcast_plugin.evaluate)! + MemoryLayout<dealcast_evaluate_fn?>.size
        static let input = MemoryLayout<dealcast_input>.offset(of: \dealcast_input.default_rationale)! + MemoryLayout<UnsafePointer<CChar>?>.size
        static let metric = MemoryLayout<dealcast_metric>.offset(of: \dealcast_metric.undefined_meaning)! + MemoryLayout<UnsafePointer<CChar>?>.size
    }
}

/// A C struct of the ABI that can be created zeroed, so a shorter struct from an older plugin can be
/// copied into it.
protocol ZeroInitializable { init() }
extension dealcast_plugin: ZeroInitializable {}
extension dealcast_input: ZeroInitializable {}
extension dealcast_metric: ZeroInitializable {}
