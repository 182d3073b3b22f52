import Foundation

/// The data files a scenario reads while its modules bind, kept byte for byte.
///
/// A shard's partial result carries them, so that `dealcast merge` binds the scenario exactly as the
/// shard did (same calibrations, same tables) on a machine that does not have the files. Once files are
/// supplied (`supply(_:)`), they are served from memory and the file system is never read.
public final class ScenarioDatasets: @unchecked Sendable {
    /// One data file: its name as the scenario writes it, and its bytes.
    public struct File: Sendable, Equatable {
        public let name: String
        public let bytes: Data

        public init(name: String, bytes: Data) {
            self.name = name
            self.bytes = bytes
        }
    }

    private let lock = NSLock()
    private var read: [File] = []
    private var supplied: [String: Data]?

    public init() {}

    /// Every file read so far, each once, in the order first read.
    public var files: [File] {
        lock.lock(); defer { lock.unlock() }
        return read
    }

    /// Serves `files` from memory from now on, instead of the file system.
    public func supply(_ files: [File]) {
        lock.lock(); defer { lock.unlock() }
        supplied = Dictionary(files.map { ($0.name, $0.bytes) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads the CSV file the scenario names `name` (at `url`), and records its bytes.
    /// - Throws: `DealcastError`: exit 66 when the file cannot be read, 65 when it is not UTF-8 CSV or,
    ///   with supplied files, is not among them.
    func table(_ name: String, url: URL) throws(DealcastError) -> CSVTable {
        let bytes = try self.bytes(name, url: url)
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw DealcastError(.invalidData, "\(name): not UTF-8 text")
        }
        do { return try CSVTable(text: text) } catch {
            throw DealcastError(.invalidData, "\(name): \(error.message)")
        }
    }

    private func bytes(_ name: String, url: URL) throws(DealcastError) -> Data {
        lock.lock(); defer { lock.unlock() }
        if let supplied {
            guard let b = supplied[name] else {
                throw DealcastError(.invalidData, "\(name): the scenario reads this file, but the partial results do not carry it")
            }
            return b
        }
        if let seen = read.first(where: { $0.name == name }) { return seen.bytes }
        let data = try BoundedFile.readDataFile(url, name: name)
        read.append(File(name: name, bytes: data))
        return data
    }
}
