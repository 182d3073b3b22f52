import DealcastCore
import DealcastReport
import Foundation

/// Writes a run's outputs — the formats asked for, and the samples CSV if asked — atomically, under
/// the interrupt handler's lock, and returns the list of what was written for the closing line.
///
/// Shared by `run` and `merge`, which must write exactly the same files for the same results.
func writeOutputs(_ results: RunResults, manifest: RunManifest, outPath: String, format: String, samples: String?,
                  interrupt: InterruptHandler) throws(DealcastError) -> String {
    interrupt.willWrite(to: [URL(fileURLWithPath: outPath)] + (samples.map { [URL(fileURLWithPath: $0).deletingLastPathComponent()] } ?? []))
    var writer = try OutputWriter(directory: URL(fileURLWithPath: outPath), displayPath: outPath)
    let written = try ReportFiles.stage(results, manifest: manifest, formats: try OutputFormat.parse(format), into: &writer)
    if let samples {
        try writer.stage(file: URL(fileURLWithPath: samples), displayPath: samples) { out throws(DealcastError) in
            try SamplesCSV.write(results, to: &out)
        }
    }
    do { try interrupt.commit { () throws(DealcastError) in try writer.commit() } } catch {
        writer.discard()
        throw error
    }
    let charts = written.filter { $0.hasPrefix("charts/") }.count
    var files = written.filter { !$0.hasPrefix("charts/") }.map { "\(outPath)/\($0)" }
    if charts > 0 { files.append("\(charts) charts in \(outPath)/charts/") }
    if let samples { files.append(samples) }
    return files.joined(separator: ", ")
}
