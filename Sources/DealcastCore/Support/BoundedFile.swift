import Foundation

/// Reads a file that a user names (a scenario, or a data file a scenario names) without trusting it:
/// only a regular file is read, and never more than a stated number of bytes.
///
/// `Data(contentsOf:)` would block forever on a FIFO (`mkfifo`), read `/dev/zero` or `/dev/urandom`
/// until memory runs out, and trust the size a `/proc` file reports. This reader refuses anything that
/// is not a regular file before opening it, opens without blocking, checks again on the open file (in
/// case the path was swapped), and stops reading one byte past the limit whatever the file claims.
enum BoundedFile {
    /// Why a file could not be read.
    enum Failure: Error, Equatable {
        /// No such file (or a path through something that is not a folder).
        case missing
        /// The path is a folder.
        case directory
        /// Not a regular file: names what it is ("a FIFO", "a character device", …).
        case notRegular(String)
        /// Larger than the limit; the size when the file system reports it.
        case tooLarge(Int?)
        /// Exists but cannot be read; the system's reason.
        case unreadable(String)
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    /// - Throws: `BoundedFile.Failure`.
    static func read(_ path: String, limit: Int) throws(Failure) -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw errno == ENOENT || errno == ENOTDIR ? .missing : .unreadable(String(cString: strerror(errno)))
        }
        try checkType(info.st_mode)
        if info.st_size > limit { throw .tooLarge(Int(info.st_size)) }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        try checkType(info.st_mode)
        var data = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, chunk) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0 ..< n])
            if data.count > limit { throw .tooLarge(nil) }
        }
    }

    private static func checkType(_ mode: mode_t) throws(Failure) {
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw .directory
        case S_IFIFO: throw .notRegular("a FIFO (named pipe)")
        case S_IFCHR: throw .notRegular("a character device")
        case S_IFBLK: throw .notRegular("a block device")
        case S_IFSOCK: throw .notRegular("a socket")
        default: throw .notRegular("a special file")
        }
    }
}

extension BoundedFile {
    /// Largest data file (CSV) a scenario may name: 256 MiB.
    static let maxDataBytes = 256 << 20

    /// The bytes of a data file a scenario names as `name`, at most `maxDataBytes`.
    /// - Throws: `DealcastError`: `.inputMissing` (66) when it is missing, not a regular file or
    ///   unreadable; `.invalidData` (65) when it is too large.
    static func readDataFile(_ url: URL, name: String) throws(DealcastError) -> Data {
        do { return try read(url.path, limit: maxDataBytes) } catch {
            switch error {
            case .missing: throw DealcastError(.inputMissing, "\(name): cannot read the file (no such file)")
            case .directory: throw DealcastError(.inputMissing, "\(name): cannot read the file (it is a directory)")
            case .notRegular(let kind): throw DealcastError(.inputMissing, "\(name): cannot read the file (it is \(kind), not a regular file)")
            case .unreadable(let reason): throw DealcastError(.inputMissing, "\(name): cannot read the file (\(reason))")
            case .tooLarge(let size):
                throw DealcastError(.invalidData, "\(name): \(size.map { "the file is \($0) bytes; " } ?? "")data files are limited to \(maxDataBytes) bytes (256 MiB)")
            }
        }
    }
}
