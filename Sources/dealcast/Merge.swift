import ArgumentParser
import DealcastCore
import DealcastReport
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the partial results of a sharded run into the report.md and results.json of the whole run.",
        discussion: """
            Each partial comes from 'dealcast run --shard I/N --partial FILE'. The merge checks that the partials are \
            undamaged, belong to one run (same scenario, seed and settings) and hold every block exactly once, then \
            writes the report and results.json that a single run with the same seed writes, bit for bit in every \
            number. The scenario and its datasets travel inside the partials. See docs/scaling.md.
            """
    )

    @Argument(help: ArgumentHelp("Partial result files, in any order.", valueName: "partial"))
    var partials: [String] = []

    @Option(help: "Output folder (default: reports/<scenario-id>/).")
    var out: String?

    @Option(help: ArgumentHelp("Outputs to write, comma-separated: md (report.md and charts/*.svg), json (results.json), html (report.html, self-contained). Default: md,json.", valueName: "list"))
    var format: String = "md,json"

    @Option(help: ArgumentHelp("Also write every trial's uncertain inputs and metrics to this CSV file, streamed (docs/report.md).", valueName: "file.csv"))
    var samples: String?

    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        guard !partials.isEmpty else { throw ValidationError("give the partial result files to merge, e.g. 'dealcast merge partials/*.part --out reports/my-deal'") }
        do { _ = try OutputFormat.parse(format) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let interrupt = InterruptHandler()
        interrupt.install()
        try exiting {
            let loaded = try plugins.load()
            let merged = try PartialMerge.merge(partials, registry: try Dealcast.registry(plugins: loaded), plugins: loaded,
                                                dealcastVersion: Dealcast.version)
            let results = merged.results
            var manifest = RunManifest(results: results, version: Dealcast.version, gitCommit: BuildInfo.gitCommit, options: merged.options)
            manifest.shards = merged.shards
            manifest.plugins = merged.plugins.map { .init(id: $0.id, version: $0.version, path: $0.path, sha256: $0.sha256, abiVersion: $0.abiVersion) }
            let outPath = out ?? "reports/\(results.plan.scenario.id)"
            let files = try writeOutputs(results, manifest: manifest, outPath: outPath, format: format, samples: samples, interrupt: interrupt)
            print("Wrote \(files): \(results.config.trials) trials merged from \(merged.shards) partial result\(merged.shards == 1 ? "" : "s")")
        }
    }
}
