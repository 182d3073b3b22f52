import Foundation
import PackagePlugin

/// `swift package dealcast-report [SCENARIO] [options]`: builds `dealcast`, runs it on the scenario
/// (the embedded default when none is given) and says where the report went.
///
/// Thin on purpose, like swift-argument-parser's GenerateManual: every option is `dealcast run`'s.
@main
struct DealcastReportPlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let tool = try context.tool(named: "dealcast")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = ["run"] + arguments
        process.currentDirectoryURL = context.package.directoryURL
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            Diagnostics.error("dealcast run exited with status \(process.terminationStatus); see its message above")
            throw ExitStatus(code: process.terminationStatus)
        }
    }

    struct ExitStatus: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "dealcast run failed (exit \(code))" }
    }
}
