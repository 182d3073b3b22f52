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
    }

    /// Stages `text` to be written as `name`.
    public mutating func stage(_ name: String, _ text: String) throws(DealcastError) {
        let final = directory.appendingPathComponent(name)
        let temp = directory.appendingPathComponent(".\(name).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try Data(text.utf8).write(to: temp)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            discard()
            throw DealcastError(.cannotWrite, "\(displayPath)/\(name): cannot write (\(Self.reason(error))); previous outputs are unchanged")
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

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }
}
