import Foundation

/// A partial result file: what one shard of a run computed, with everything an exact merge needs.
///
/// Layout, every integer little-endian (docs/scaling.md, "The partial file"):
///
/// | bytes | content |
/// | --- | --- |
/// | 8 | signature `89 44 43 50 0D 0A 1A 0A` (`\x89DCP\r\n\x1A\n`, PNG-style: catches text-mode transfers) |
/// | 4 | format version, 2 |
/// | 4 | M, length of the metadata |
/// | M | metadata, UTF-8 JSON (`PartialMetadata`) |
/// | 8 | CRC-64/XZ of every byte before it (guards the metadata before it is trusted) |
/// | … | the scenario file's bytes, then each dataset's, lengths as the metadata gives them |
/// | … | the columns, in the metadata's order, each `shard.trials` IEEE-754 doubles |
/// | 8 | CRC-64/XZ of every byte before it |
struct PartialFile {
    static let signature: [UInt8] = [0x89, 0x44, 0x43, 0x50, 0x0D, 0x0A, 0x1A, 0x0A]
    /// 2: no input columns; series stored from single precision (1 kept both in double precision).
    static let formatVersion: UInt32 = 2
    /// Largest metadata accepted when reading, so a damaged length cannot ask for gigabytes.
    static let maxMetadataBytes = 64 << 20

    let url: URL
    let displayPath: String
    let metadata: PartialMetadata
    let scenarioBytes: Data
    let datasets: [ScenarioDatasets.File]
    /// Where the columns start, and the checksum of every byte before them.
    private let columnsOffset: Int
    private let headChecksum: CRC64

    // MARK: Writing

    /// Writes a partial atomically: to a temporary file beside `url`, flushed to disk, then renamed
    /// over it, so a failed or killed shard never leaves a partial that looks complete.
    ///
    /// - Parameter columns: the column data in the metadata's order, each `metadata.shard.trials` long.
    /// - Throws: `DealcastError` (`.cannotWrite`, exit 73) naming the file and the reason.
    static func save(to url: URL, displayPath: String, metadata: PartialMetadata, scenarioBytes: Data,
                      datasets: [ScenarioDatasets.File], columns: [ResultStore.Column]) throws(DealcastError) {
        let json = try metadata.encoded()
        let dir = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw DealcastError(.cannotWrite, "\(displayPath): cannot create the folder \(dir.path) (\(error.localizedDescription))")
        }
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DealcastError(.cannotWrite, "\(displayPath): cannot write (\(String(cString: strerror(errno))))") }
        var out = Sink(fd: fd)
        let ok = out.put(signature) && out.put(le32(formatVersion)) && out.put(le32(UInt32(json.count))) && out.put(json)
            && out.putChecksum() && out.put(scenarioBytes) && datasets.allSatisfy { out.put($0.bytes) }
            && columns.allSatisfy { out.put($0) } && out.putChecksum()
        let failure = ok ? (fsync(fd) == 0 ? nil : errno) : out.error
        close(fd)
        if let failure {
            unlink(temp.path)
            throw DealcastError(.cannotWrite, "\(displayPath): cannot write (\(String(cString: strerror(failure)))); no partial was written")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp.path)
            throw DealcastError(.cannotWrite, "\(displayPath): cannot move into place (\(reason))")
        }
    }

    private static func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }

    /// Writes to a file descriptor, keeping the running checksum.
    private struct Sink {
        let fd: Int32
        var crc = CRC64()
        var error: Int32 = 0

        mutating func put(_ bytes: UnsafeRawBufferPointer) -> Bool {
            crc.update(bytes)
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    error = errno
                    return false
                }
                done += n
            }
            return true
        }

        mutating func put(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { put($0) } }
        mutating func put(_ data: Data) -> Bool { data.withUnsafeBytes { put($0) } }

        /// A stored column as doubles; a single-precision series column is widened (exactly) in chunks.
        mutating func put(_ column: ResultStore.Column) -> Bool {
            switch column {
            case .double(let values):
                return put(UnsafeBufferPointer(values))
            case .single(let values):
                var chunk = [Double](repeating: 0, count: 1 << 14)
                var start = 0
                while start < values.count {
                    let end = Swift.min(start + chunk.count, values.count)
                    for i in start ..< end { chunk[i - start] = Double(values[i]) }
                    guard chunk[0 ..< end - start].withUnsafeBufferPointer({ put($0) }) else { return false }
                    start = end
                }
                return true
            }
        }

        mutating func put(_ column: UnsafeBufferPointer<Double>) -> Bool {
            #if _endian(big)
            let swapped = column.map { $0.bitPattern.littleEndian }
            return swapped.withUnsafeBytes { put($0) }
            #else
            return put(UnsafeRawBufferPointer(column))
            #endif
        }

        mutating func putChecksum() -> Bool {
            let v = crc.value
            return put((0 ..< 8).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) })
        }
    }

    // MARK: Reading

    /// Opens a partial and checks everything but its columns: signature, format version, the header's
    /// checksum, the file's size against its metadata, and the scenario's and datasets' SHA-256.
    /// The columns are checked when they are read (`loadColumns(into:)`).
    /// - Throws: `DealcastError`: exit 66 when the file cannot be read; 65, naming the file and the
    ///   problem, when it is not a partial result, has an unknown format version, or is damaged.
    static func load(_ url: URL, displayPath: String) throws(DealcastError) -> PartialFile {
        var source = try Source(url, displayPath: displayPath)
        defer { source.release() }
        func damaged(_ what: String) -> DealcastError {
            DealcastError(.invalidData, "\(displayPath): corrupted partial result: \(what); rerun its shard to write it again")
        }
        let head = try source.bytes(16)
        guard head.count >= 8, Array(head.prefix(8)) == signature else {
            throw DealcastError(.invalidData, "\(displayPath): not a Dealcast partial result (it does not start with the partial-file signature); expected a file written by 'dealcast run --shard I/N --partial FILE'")
        }
        guard head.count == 16 else { throw damaged("it ends after \(head.count) bytes, inside the header") }
        let version = UInt32(le: head, at: 8)
        guard version == formatVersion else {
            throw DealcastError(.invalidData, "\(displayPath): partial-file format version \(version); this dealcast reads version \(formatVersion) (merge with the dealcast that wrote it)")
        }
        let m = Int(UInt32(le: head, at: 12))
        guard m <= maxMetadataBytes, 16 + m + 8 <= source.size else {
            throw damaged("the header gives \(m) bytes of metadata, but the file has \(source.size) bytes")
        }
        let json = try source.bytes(m)
        let computed = source.crc.value
        let stored = try source.bytes(8)
        guard computed == UInt64(le: stored, at: 0) else {
            throw damaged("the header's checksum does not match its contents")
        }
        guard let meta = PartialMetadata.decode(json) else { throw damaged("its metadata cannot be read") }
        // In Double, so that sizes no writer produces cannot overflow.
        let lengths = [meta.scenario.bytes] + meta.datasets.map(\.bytes) + [meta.shard.trials]
        let expected = 32 + Double(m) + lengths.dropLast().reduce(0) { $0 + Double($1) }
            + Double(meta.shard.trials) * Double(meta.columns.count) * Double(MemoryLayout<Double>.size)
        guard lengths.allSatisfy({ $0 >= 0 }), Double(source.size) == expected else {
            let how = Double(source.size) < expected ? "truncated" : "longer than its metadata says"
            throw damaged("\(how): shard \(meta.shard.index)/\(meta.shard.count) should take \(Int64(exactly: expected.rounded()) ?? -1) bytes, the file has \(source.size)")
        }
        let scenario = try source.bytes(meta.scenario.bytes)
        guard SHA256.hex(scenario) == meta.scenario.sha256 else { throw damaged("the embedded scenario's SHA-256 does not match the metadata") }
        var datasets: [ScenarioDatasets.File] = []
        for d in meta.datasets {
            let bytes = try source.bytes(d.bytes)
            guard SHA256.hex(bytes) == d.sha256 else { throw damaged("the embedded dataset \(d.name)'s SHA-256 does not match the metadata") }
            datasets.append(ScenarioDatasets.File(name: d.name, bytes: bytes))
        }
        try checkShard(meta, damaged)
        return PartialFile(url: url, displayPath: displayPath, metadata: meta, scenarioBytes: scenario, datasets: datasets,
                           columnsOffset: source.offset, headChecksum: source.crc)
    }

    /// Checks that the shard's blocks and trials are the ones `--shard index/count` gives.
    private static func checkShard(_ meta: PartialMetadata, _ damaged: (String) -> DealcastError) throws(DealcastError) {
        let s = meta.shard, t = meta.settings
        guard t.trials >= 1, t.blockSize >= 1, let spec = try? ShardSpec(index: s.index, count: s.count) else {
            throw damaged("its metadata gives shard \(s.index)/\(s.count) of \(t.trials) trials in blocks of \(t.blockSize)")
        }
        let blocks = spec.blocks(of: (t.trials + t.blockSize - 1) / t.blockSize)
        let first = blocks.lowerBound * t.blockSize, end = min(blocks.upperBound * t.blockSize, t.trials)
        guard s.count <= (t.trials + t.blockSize - 1) / t.blockSize, s.firstBlock == blocks.lowerBound, s.endBlock == blocks.upperBound,
              s.firstTrial == first, s.trials == end - first else {
            throw damaged("its metadata says shard \(spec) holds blocks \(s.firstBlock)..<\(s.endBlock), but shard \(spec) is blocks \(blocks.lowerBound)..<\(blocks.upperBound)")
        }
    }

    /// Reads the columns into `destinations` (in the metadata's order, each `shard.trials` long) and
    /// checks the file's final checksum.
    /// - Throws: `DealcastError` (exit 65) naming the file when the columns are damaged, or 66 when the
    ///   file can no longer be read.
    func loadColumns(into destinations: [ResultStore.Column]) throws(DealcastError) {
        var source = try Source(url, displayPath: displayPath)
        defer { source.release() }
        try source.seek(to: columnsOffset, checksum: headChecksum)
        let chunk = UnsafeMutableBufferPointer<Double>.allocate(capacity: 1 << 14)
        defer { chunk.deallocate() }
        func read(_ d: UnsafeMutableBufferPointer<Double>) throws(DealcastError) {
            try source.fill(exactly: UnsafeMutableRawBufferPointer(d))
            #if _endian(big)
            for i in d.indices { d[i] = Double(bitPattern: UInt64(littleEndian: d[i].bitPattern)) }
            #endif
        }
        for destination in destinations {
            switch destination {
            case .double(let d):
                try read(d)
            case .single(let f):
                // Written widened from single precision, so narrowing gives the stored values back exactly.
                var start = 0
                while start < f.count {
                    let end = Swift.min(start + chunk.count, f.count)
                    let part = UnsafeMutableBufferPointer(rebasing: chunk[0 ..< end - start])
                    try read(part)
                    for i in start ..< end { f[i] = Float(part[i - start]) }
                    start = end
                }
            }
        }
        let computed = source.crc.value
        let stored = try source.bytes(8)
        guard stored.count == 8, computed == UInt64(le: stored, at: 0) else {
            throw DealcastError(.invalidData, "\(displayPath): corrupted partial result: the checksum of shard \(metadata.shard.index)/\(metadata.shard.count)'s column data does not match (the file was damaged after it was written); rerun its shard to write it again")
        }
    }

    /// Reads a file from the start, keeping the running checksum of what was read.
    private struct Source {
        let fd: Int32
        let displayPath: String
        let size: Int
        var offset = 0
        var crc = CRC64()

        init(_ url: URL, displayPath: String) throws(DealcastError) {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
                throw DealcastError(.inputMissing, "\(displayPath): no such file")
            }
            guard !isDir.boolValue else { throw DealcastError(.inputMissing, "\(displayPath): is a directory, expected a partial result file") }
            let fd = open(url.path, O_RDONLY)
            guard fd >= 0 else { throw DealcastError(.inputMissing, "\(displayPath): cannot read the file (\(String(cString: strerror(errno))))") }
            var st = stat()
            guard fstat(fd, &st) == 0 else {
                close(fd)
                throw DealcastError(.inputMissing, "\(displayPath): cannot read the file (\(String(cString: strerror(errno))))")
            }
            self.fd = fd
            self.displayPath = displayPath
            self.size = Int(st.st_size)
        }

        func release() { close(fd) }

        mutating func seek(to offset: Int, checksum: CRC64) throws(DealcastError) {
            guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                throw DealcastError(.inputMissing, "\(displayPath): cannot read the file (\(String(cString: strerror(errno))))")
            }
            self.offset = offset
            crc = checksum
        }

        /// Up to `count` bytes (fewer only at the end of the file).
        mutating func bytes(_ count: Int) throws(DealcastError) -> Data {
            var data = Data(count: count)
            var got = 0
            var failure: DealcastError?
            data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
                do throws(DealcastError) { got = try fill(buffer) } catch { failure = error }
            }
            if let failure { throw failure }
            return data.prefix(got)
        }

        /// Fills `buffer` exactly.
        /// - Throws: `DealcastError` (exit 65) when the file ends first.
        mutating func fill(exactly buffer: UnsafeMutableRawBufferPointer) throws(DealcastError) {
            let got = try fill(buffer)
            guard got == buffer.count else {
                throw DealcastError(.invalidData, "\(displayPath): corrupted partial result: truncated at byte \(offset); rerun its shard to write it again")
            }
        }

        private mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(DealcastError) -> Int {
            var got = 0
            while got < buffer.count {
                let n = read(fd, buffer.baseAddress! + got, buffer.count - got)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DealcastError(.inputMissing, "\(displayPath): cannot read the file (\(String(cString: strerror(errno))))")
                }
                if n == 0 { break }
                got += n
            }
            crc.update(UnsafeRawBufferPointer(rebasing: buffer[0 ..< got]))
            offset += got
            return got
        }
    }
}

private extension FixedWidthInteger {
    /// The little-endian integer at byte `offset` of `data`.
    init(le data: Data, at offset: Int) {
        var v: Self = 0
        for i in 0 ..< MemoryLayout<Self>.size { v |= Self(data[data.startIndex + offset + i]) << (8 * i) }
        self = v
    }
}
