import DealcastCore
import Foundation

/// Writes report files so that a failed or killed run never leaves a half-written file over a good one.
///
/// Each file is written to a temporary file in the same folder, flushed, then renamed over the target
/// (rename is atomic within a file system). All files of a run are staged before the first rename.
public struct OutputWriter {
    public let directory: URL
    public let displayPath: String
    private var staged: [(temp: URL, final: URL)] = []

    /// Creates the output folder if needed.
    /// - Throws: `DealcastError` (`.cannotWrite`, exit 73) naming the folder and the reason.
    public init(directory: URL, displayPath: String) throws(DealcastError) {
        self.directory = directory
        self.displayPath = displayPath
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DealcastError(.cannotWrite, "\(displayPath): cannot create the output folder (\(Self.reason(error)))")
        }
        Self.removeTemporaries(in: directory)
    }

    /// Removes the temporary files (`.<name>.tmp-<pid>`) staged in `directory` by runs whose process is
    /// gone (killed before it could clean up), or, given `pid`, those of that process.
    public static func removeTemporaries(in directory: URL, ownedBy pid: Int32? = nil) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(".") {
            guard let mark = name.range(of: ".tmp-", options: .backwards), let owner = Int32(name[mark.upperBound...]), owner > 0 else { continue }
            let stale = pid.map { $0 == owner } ?? (kill(owner, 0) != 0 && errno == ESRCH)
            if stale { try? FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
        }
    }

    /// Stages `text` to be written as `name`, a path relative to the output folder (such as
    /// `charts/fan.svg`; missing folders are created).
    public mutating func stage(_ name: String, _ text: String) throws(DealcastError) {
        try stage(file: directory.appendingPathComponent(name), displayPath: "\(displayPath)/\(name)") { out throws(DealcastError) in
            try out.write(text)
        }
    }

    /// Stages a file written piece by piece, for an output too large to hold in memory (such as every
    /// trial's samples). The file may lie outside the output folder; its temporary twin is written
    /// beside it, so that the final rename stays atomic.
    /// - Throws: `DealcastError` (`.cannotWrite`, exit 73) naming `displayPath`; every staged file is
    ///   then discarded.
    public mutating func stage(file final: URL, displayPath: String, _ body: (inout ChunkedFile) throws(DealcastError) -> Void) throws(DealcastError) {
        let folder = final.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(final.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if folder.standardizedFileURL != directory.standardizedFileURL { Self.removeTemporaries(in: folder) }
            guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
                throw DealcastError(.cannotWrite, "\(displayPath): cannot create a file in \(folder.path) (\(String(cString: strerror(errno)))); previous outputs are unchanged")
            }
            let handle = try FileHandle(forWritingTo: temp)
            defer { try? handle.close() }
            var out = ChunkedFile(handle, displayPath: displayPath)
            try body(&out)
            try out.finish()
        } catch let e as DealcastError {
            try? FileManager.default.removeItem(at: temp)
            discard()
            throw e
        } catch {
            try? FileManager.default.removeItem(at: temp)
            discard()
            throw DealcastError(.cannotWrite, "\(displayPath): cannot write (\(Self.reason(error))); previous outputs are unchanged")
        }
        staged.append((temp, final))
    }

    /// Renames every staged file into place.
    public mutating func commit() throws(DealcastError) {
        for (temp, final) in staged {
            if rename(temp.path, final.path) != 0 {
                let reason = String(cString: strerror(errno))
                discard()
                throw DealcastError(.cannotWrite, "\(final.path): cannot move into place (\(reason))")
            }
        }
        staged = []
    }

    /// Removes staged temporary files.
    public mutating func discard() {
        for (temp, _) in staged { try? FileManager.default.removeItem(at: temp) }
        staged = []
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }
}

/// A file being written through a buffer, in chunks of about 1 MiB, so that a writer can append
/// millions of small pieces without building one giant string.
public struct ChunkedFile {
    private let handle: FileHandle
    private let displayPath: String
    private var buffer: [UInt8] = []
    static let chunk = 1 << 20

    init(_ handle: FileHandle, displayPath: String) {
        self.handle = handle
        self.displayPath = displayPath
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    /// Appends text, writing the buffer out when it is full.
    public mutating func write(_ text: String) throws(DealcastError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.chunk { try flush() }
    }

    /// Appends bytes, writing the buffer out when it is full.
    public mutating func write(bytes: some Sequence<UInt8>) throws(DealcastError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunk { try flush() }
    }

    mutating func flush() throws(DealcastError) {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw DealcastError(.cannotWrite, "\(displayPath): cannot write (\(OutputWriter.reason(error))); previous outputs are unchanged")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and flushes it to disk.
    mutating func finish() throws(DealcastError) {
        try flush()
        do {
            try handle.synchronize()
        } catch {
            throw DealcastError(.cannotWrite, "\(displayPath): cannot write (\(OutputWriter.reason(error))); previous outputs are unchanged")
        }
    }
}
