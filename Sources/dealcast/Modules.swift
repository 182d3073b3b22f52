import ArgumentParser
import DealcastCore
import DealcastReport
import Foundation

struct Modules: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the analysis modules this host knows.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        try exiting {
            let loaded = try plugins.load()
            let registry = try Dealcast.registry(plugins: loaded)
            let descriptors = registry.modules.map(\.descriptor)
            let pluginPath = Dictionary(loaded.map { ($0.descriptor.id, $0.path) }, uniquingKeysWith: { a, _ in a })
            if json {
                let value = JSONValue.array(descriptors.map { d in
                    .object([
                        ("id", .string(d.id)), ("version", .string(d.version)), ("summary", .string(d.summary)),
                        ("source", .string(pluginPath[d.id] ?? "built-in")),
                        ("reads", .array(d.reads.map { .string($0) })),
                        ("metrics", .array(d.metrics.map { m in
                            .object([("key", .string(d.key(m.name))), ("unit", .string(m.unit)), ("kind", .string(m.kind.rawValue)), ("summary", .string(m.summary))])
                        })),
                        ("series", .array(d.series.map { s in
                            .object([("key", .string(d.key(s.name))), ("unit", .string(s.unit)), ("frequency", .string(s.frequency.rawValue)), ("summary", .string(s.summary))])
                        })),
                    ])
                })
                print(value.rendered(), terminator: "")
                return
            }
            let rows = descriptors.map { d in
                [d.id, d.version, pluginPath[d.id] ?? "built-in", d.reads.isEmpty ? "—" : d.reads.joined(separator: ", "),
                 (d.metrics.map { "\($0.name) [\($0.unit)]" } + d.series.map { "\($0.name) [\($0.unit)/\($0.frequency.rawValue)]" }).joined(separator: ", ")]
            }
            print(TextTable.render(["MODULE", "VERSION", "SOURCE", "READS", "PUBLISHES"], rows))
        }
    }
}

/// A plain-text table for the terminal.
enum TextTable {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { r in
            r.indices.map { c in c == r.count - 1 ? r[c] : r[c].padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
