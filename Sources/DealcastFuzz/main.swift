import CLibFuzzer
import DealcastCore
import DealcastModules
import Foundation

// libFuzzer target for the scenario loader and binder. Built and run by `make fuzz` (see the Makefile
// and docs/security.md); the package declares this target only when DEALCAST_FUZZ is set, because it
// links only with `-sanitize=fuzzer`.
//
// Each input is the bytes of a scenario file. It goes through what `dealcast validate` and the start
// of `dealcast run` do: `ScenarioLoader.parse` (size, encoding, YAML, alias budget, metadata), then
// `RunPlan` with the built-in modules (every value, unit, distribution, date, reference and data file
// the scenario names), and, if it binds, a short run. A `DealcastError` is the expected answer to a
// bad input. Anything else is a bug that libFuzzer saves as a crash file: a trap (overflow, index out
// of range, force unwrap), a crash, a hang (`-timeout`) or runaway memory (`-rss_limit_mb`).
//
// Relative data paths in an input resolve against the folder named by DEALCAST_FUZZ_BASE (the
// Makefile passes `datasets`), else the current directory.

/// Trials of the short run given to inputs that bind: one block, enough to reach every module's code.
let fuzzTrials = 64

/// Runs one input through loading, binding and a short run. Exported under libFuzzer's name as well,
/// because the fuzzer runtime that `-sanitize=fuzzer` links refers to it.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes, count <= ScenarioLoader.maxBytes else { return 0 }
    let data = Data(bytes: bytes, count: count)
    let base = URL(fileURLWithPath: ProcessInfo.processInfo.environment["DEALCAST_FUZZ_BASE"] ?? FileManager.default.currentDirectoryPath)
    do {
        let scenario = try ScenarioLoader.parse(data: data, displayPath: "fuzz.yaml", baseDirectory: base)
        let plan = try RunPlan(scenario: scenario, registry: try ModuleRegistry(BuiltinModules.all))
        _ = try Engine.run(plan, RunConfiguration(trials: fuzzTrials, seed: 1, threads: 1, blockSize: fuzzTrials))
    } catch {
        // A located error is the right answer to an invalid scenario.
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
