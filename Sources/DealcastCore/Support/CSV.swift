import Foundation

/// A small RFC 4180 reader: quoted fields, doubled quotes, commas and newlines inside quotes.
/// Enough for the sourced datasets, which quote their source columns.
public struct CSVTable: Sendable {
    public let header: [String]
    public let rows: [[String]]
    /// 1-based line of each row in the file, for error messages.
    public let lines: [Int]

    public init(text: String) throws(DealcastError) {
        var records: [[String]] = [], lines: [Int] = []
        var field = "", record: [String] = []
        var inQuotes = false, line = 1, recordLine = 1
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": inQuotes = true
            case ",": record.append(field); field = ""
            case "\r": break
            case "\n":
                record.append(field); field = ""
                if !(record.count == 1 && record[0].isEmpty) { records.append(record); lines.append(recordLine) }
                record = []; line += 1; recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw DealcastError(.invalidData, "line \(recordLine): a quoted field is never closed") }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record); lines.append(recordLine) }
        guard let header = records.first else { throw DealcastError(.invalidData, "the file is empty") }
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        self.rows = Array(records.dropFirst())
        self.lines = Array(lines.dropFirst())
    }

    /// Reads a CSV file, mapping I/O failures to exit 66 and format failures to 65, naming the file.
    public static func load(_ url: URL, displayPath: String) throws(DealcastError) -> CSVTable {
        let data = try BoundedFile.readDataFile(url, name: displayPath)
        guard let text = String(data: data, encoding: .utf8) else {
            throw DealcastError(.invalidData, "\(displayPath): not UTF-8 text")
        }
        do { return try CSVTable(text: text) } catch {
            throw DealcastError(.invalidData, "\(displayPath): \(error.message)")
        }
    }

    /// The index of a named column, or an error listing the columns there are.
    public func column(_ name: String, file: String) throws(DealcastError) -> Int {
        guard let i = header.firstIndex(of: name) else {
            let hint = Suggest.closest(to: name, in: header).map { "; did you mean '\($0)'?" } ?? ""
            throw DealcastError(.invalidData, "\(file): no column '\(name)'\(hint) (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    /// The numbers of one column; an empty or non-numeric cell is an error naming its line.
    public func numbers(_ name: String, file: String) throws(DealcastError) -> [Double] {
        let c = try column(name, file: file)
        var out: [Double] = []
        for (r, row) in rows.enumerated() {
            let cell = c < row.count ? row[c].trimmingCharacters(in: .whitespaces) : ""
            guard let v = Double(cell), v.isFinite else {
                throw DealcastError(.invalidData, "\(file):\(lines[r]): column '\(name)': expected a number, got '\(cell)'")
            }
            out.append(v)
        }
        return out
    }
}
