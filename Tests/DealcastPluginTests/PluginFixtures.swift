import DealcastTestSupport
import Foundation
import XCTest

/// Builds and finds the plugin libraries the tests load.
enum PluginFixtures {
    /// The repository's root folder.
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The folder holding `dealcast_plugin.h`: the only thing a C plugin is compiled against.
    static var includeDirectory: URL { repository.appendingPathComponent("Sources/CDealcastPlugin/include") }

    /// The example plugin in C, as shipped.
    static var powerPriceShockSource: URL { repository.appendingPathComponent("Examples/PowerPriceShock/power_price_shock.c") }

    #if os(macOS)
    static let libraryExtension = "dylib"
    #else
    static let libraryExtension = "so"
    #endif

    /// The example plugin in Swift, built by SwiftPM with the package (the `CustomModelsPlugin` product).
    static func customModelsLibrary() throws -> URL {
        let url = CLI.productsDirectory.appendingPathComponent("libCustomModelsPlugin.\(libraryExtension)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is not built; build the package with `swift build --build-tests`, which builds the CustomModelsPlugin product")
        }
        return url
    }

    /// The system C compiler: $CC, or `cc`.
    static var compiler: String { ProcessInfo.processInfo.environment["CC"] ?? "cc" }

    /// Compiles C source into a shared library in `directory`, with the system C compiler and the
    /// plugin header alone, as an outside author would.
    /// - Throws: `XCTSkip` when there is no C compiler; an error with the compiler's output when the
    ///   source does not compile.
    static func compile(_ source: URL, named name: String, in directory: URL) throws -> URL {
        let output = directory.appendingPathComponent("\(name).\(libraryExtension)")
        let args = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC",
                    "-I", includeDirectory.path, source.path, "-o", output.path, "-lm"]
        let r: Outcome
        do { r = try run("/usr/bin/env", [compiler] + args) } catch { throw XCTSkip("no C compiler (\(compiler)): \(error)") }
        if r.status == 127 { throw XCTSkip("no C compiler: \(compiler) not found") }
        guard r.status == 0 else {
            throw NSError(domain: "PluginFixtures", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "\(compiler) failed on \(source.lastPathComponent):\n\(r.stderr)"])
        }
        return output
    }

    /// Writes C source text to `directory` and compiles it.
    static func compile(source text: String, named name: String, in directory: URL) throws -> URL {
        let source = directory.appendingPathComponent("\(name).c")
        try text.write(to: source, atomically: true, encoding: .utf8)
        return try compile(source, named: name, in: directory)
    }

    /// The C plugin example compiled into `directory`.
    static func powerPriceShock(in directory: URL) throws -> URL {
        try compile(powerPriceShockSource, named: "power_price_shock", in: directory)
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program and waits for it.
    static func run(_ executable: String, _ args: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DEALCAST_PLUGIN_PATH")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs the built `dealcast` with `environment` added to (and DEALCAST_PLUGIN_PATH removed from)
    /// the test's own.
    static func dealcast(_ args: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Outcome {
        try run(CLI.binary.path, args, in: directory, environment: environment)
    }

    /// The source of a small C plugin whose parts a test can break one at a time.
    ///
    /// It reads `deal.capacity` (GW) and writes one metric, `value`, computed by `body` (C statements
    /// with `n`, `in`, `out`, `block`, `message`, `message_size` in scope; the default writes the
    /// capacity). `extra` is C placed before the plugin struct, which `PLUGIN_FIELDS` initialises.
    static func pluginSource(id: String = "fixture", abiVersion: String = "DEALCAST_PLUGIN_ABI_VERSION",
                             structSize: String = "sizeof(dealcast_plugin)", inputUnit: String = "GW",
                             inputDefault: String = "NULL", metricKind: String = "DEALCAST_CONTINUOUS",
                             entry: String = "return &plugin;", exportedName: String = "dealcast_plugin_entry", extra: String = "",
                             body: String = "for (int64_t i = 0; i < n; i++) out[i] = in[i];") -> String {
        """
        #include "dealcast_plugin.h"
        #include <math.h>
        #include <stdio.h>

        static const dealcast_input inputs[] = {
            {.path = "deal.capacity", .unit = "\(inputUnit)", .constraint = DEALCAST_ANY, .summary = "capacity",
             .default_value = \(inputDefault), .default_rationale = "fixture default"},
        };
        static const dealcast_metric metrics[] = {
            {.name = "value", .unit = "GW", .kind = \(metricKind), .summary = "a value"},
        };
        static int32_t evaluate(const dealcast_block *block, char *message, size_t message_size) {
            const int64_t n = block->count;
            const double *in = block->inputs;
            double *out = block->outputs;
            (void)n; (void)in; (void)out; (void)message; (void)message_size;
            \(body)
            return DEALCAST_OK;
        }
        #define PLUGIN_FIELDS .abi_version = \(abiVersion), .struct_size = \(structSize), .id = "\(id)", .version = "0.1.0", .description = "A test fixture.", .input_count = 1, .input_size = sizeof(dealcast_input), .inputs = inputs, .metric_count = 1, .metric_size = sizeof(dealcast_metric), .metrics = metrics, .evaluate = evaluate
        \(extra)
        static const dealcast_plugin plugin = { PLUGIN_FIELDS };
        DEALCAST_PLUGIN_EXPORT const dealcast_plugin *\(exportedName)(void);
        DEALCAST_PLUGIN_EXPORT const dealcast_plugin *\(exportedName)(void) { \(entry) }
        """
    }

    /// A scenario of one year that runs the fixture plugin alone and gives only `deal.capacity`, plus
    /// `extra` YAML.
    static func scenario(_ extra: String = "", capacity: String = "2 GW") -> String {
        "id: fixture\ntitle: Fixture\nhorizon: {start: 2026Q1, end: 2026Q4}\nmodules: [fixture]\ndeal:\n  capacity: \(capacity)\n\(extra)"
    }
}
