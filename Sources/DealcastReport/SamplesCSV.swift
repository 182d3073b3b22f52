import DealcastCore
import Foundation

/// samples.csv (`dealcast run --samples FILE.csv`): every trial's uncertain inputs and metrics, one
/// row per trial, for auditing a run in a spreadsheet or with pandas.
///
/// Columns: `trial` (1-based, as error messages count trials), then each uncertain input by field
/// path, in the order the modules read them, then each metric by key, in run order. Numbers are
/// written in the shortest form that reads back as the same `Double` (whole numbers without a
/// decimal point), or for a metric the run keeps in single precision the same `Float`; an undefined
/// metric is an empty cell. Comma-separated as RFC 4180 has it, with LF
/// line ends (which every reader accepts) and header fields quoted only when they need it.
///
/// The file is streamed block by block of trials, so its size is bounded by the disk, not by memory.
public enum SamplesCSV {
    /// Trials written per chunk.
    static let chunk = 4096

    /// Writes the whole table to `out`.
    /// - Complexity: O(trials × columns); memory O(columns × 4096).
    public static func write(_ results: RunResults, to out: inout ChunkedFile) throws(DealcastError) {
        let inputs = results.plan.inputs.filter { !$0.value.distribution.isFixed }.map(\.path)
        let metrics = results.metrics.map(\.key)
        let single = inputs.map { _ in false } + metrics.map { results.keepsInDoublePrecision($0) == false }
        try out.write((["trial"] + inputs + metrics).map(field).joined(separator: ",") + "\n")
        let trials = results.config.trials
        var line: [UInt8] = []
        line.reserveCapacity(32 * (1 + inputs.count + metrics.count))
        var start = 0
        while start < trials {
            let range = start ..< min(trials, start + chunk)
            let columns = inputs.map { results.inputValues($0, trials: range) ?? [] } + metrics.map { results.values($0, trials: range) ?? [] }
            for (r, trial) in range.enumerated() {
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: String(trial + 1).utf8)
                for (c, column) in columns.enumerated() {
                    line.append(UInt8(ascii: ","))
                    append(r < column.count ? column[r] : .nan, single: single[c], to: &line)
                }
                line.append(UInt8(ascii: "\n"))
                try out.write(bytes: line)
            }
            start = range.upperBound
        }
    }

    /// The shortest text that parses back to `v` exactly (to `Float(v)` when `single`: a value kept in
    /// single precision, so that 1.331 is not written 1.3309999704360962); whole numbers below 10¹⁵
    /// without ".0"; nothing for NaN.
    static func append(_ v: Double, single: Bool = false, to line: inout [UInt8]) {
        if v.isNaN { return }
        if v == v.rounded() && abs(v) < 1e15 {
            line.append(contentsOf: String(Int64(v)).utf8)
        } else {
            line.append(contentsOf: (single ? Float(v).description : v.description).utf8)
        }
    }

    /// A header field, quoted when it holds a comma, a quote or a line break.
    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
