import Foundation

/// A partial result file: what one shard of a run computed, with everything an exact merge needs.
///
/// Layout, every integer little-endian (docs/scaling.md, "The partial file"):
///
/// | bytes | content |
/// | --- | --- |
/// | 8 | signature `89 44 43 50 0D 0A 1A 0A` (`\x89DCP\r\n\x1A\n`, PNG-style: catches text-mode transfers) |
/// | 4 | format version, 3 |
/// | 4 | M, length of the metadata |
/// | M | metadata, UTF-8 JSON (`PartialMetadata`) |
/// | 8 | CRC-64/XZ of every byte before it (guards the metadata before it is trusted) |
/// | … | the scenario file's bytes, then each dataset's, lengths as the metadata gives them |
/// | … | the metric columns, in the metadata's order, each `shard.trials` IEEE-754 doubles, or singles for the metrics the metadata lists as single precision |
/// | … | block statistics (count, sum, sum of squared deviations, minimum, maximum: doubles) of each single-precision metric, then each series cell, block by block |
/// | … | each cell's histogram: as many (bin, count) pairs of UInt32 as the metadata's `histogramBins` gives, bins ascending |
/// | 8 | CRC-64/XZ of every byte before it |
struct PartialFile {
    static let signature: [UInt8] = [0x89, 0x44, 0x43, 0x50, 0x0D, 0x0A, 0x1A, 0x0A]
    /// 3: series as block statistics and histograms, metrics outside the headline in single precision
    /// (2 kept every series value in single precision, widened; 1 kept inputs and series in double precision).
    static let formatVersion: UInt32 = 3
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
    /// - Parameter store: the shard's outputs, laid out as `metadata` says.
    /// - Throws: `DealcastError` (`.cannotWrite`, exit 73) naming the file and the reason.
    static func save(to url: URL, displayPath: String, metadata: PartialMetadata, scenarioBytes: Data,
                      datasets: [ScenarioDatasets.File], store: ResultStore) throws(DealcastError) {
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
            && store.columns(from: store.firstTrial, count: store.trials).allSatisfy { out.put($0) }
            && out.put(UnsafeBufferPointer(store.blockStatistics)) && store.histograms.allSatisfy { out.put($0) } && out.putChecksum()
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

        /// A metric column, in its own precision.
        mutating func put(_ column: ResultStore.Column) -> Bool {
            switch column {
            case .double(let values): return put(UnsafeBufferPointer(values))
            case .single(let values): return put(UnsafeBufferPointer(values))
            }
        }

        /// A histogram's occupied bins, ascending, each as (bin, count).
        mutating func put(_ histogram: ValueHistogram) -> Bool {
            var pairs: [UInt32] = []
            histogram.forEachBin { bin, count in
                pairs.append(UInt32(bin))
                pairs.append(count)
            }
            return pairs.withUnsafeBufferPointer { put($0) }
        }

        /// Values in little-endian order.
        mutating func put<T: BitPatternStorable>(_ values: UnsafeBufferPointer<T>) -> Bool {
            #if _endian(big)
            let swapped = values.map { $0.littleEndianBits }
            return swapped.withUnsafeBytes { put($0) }
            #else
            return put(UnsafeRawBufferPointer(values))
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
    /// The columns are checked when they are read (`load(into:)`).
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
        let blocks = Double(meta.shard.endBlock - meta.shard.firstBlock)
        let expected = 32 + Double(m) + lengths.dropLast().reduce(0) { $0 + Double($1) }
            + Double(meta.shard.trials) * Double(meta.columns.bytesPerTrial)
            + blocks * Double(meta.columns.summarised * ResultStore.statisticsPerBlock * 8) + 8 * meta.histogramBins.reduce(0) { $0 + Double($1) }
        guard lengths.allSatisfy({ $0 >= 0 }), meta.histogramBins.allSatisfy({ $0 >= 0 }), meta.histogramBins.count == meta.columns.cells,
              Double(source.size) == expected else {
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

    /// Reads the shard's outputs into `store` (which holds the whole run, laid out as the metadata says)
    /// and checks the file's final checksum.
    /// - Throws: `DealcastError` (exit 65) naming the file when the data are damaged, or 66 when the
    ///   file can no longer be read.
    func load(into store: ResultStore) throws(DealcastError) {
        var source = try Source(url, displayPath: displayPath)
        defer { source.release() }
        try source.seek(to: columnsOffset, checksum: headChecksum)
        let shard = metadata.shard
        for column in store.columns(from: shard.firstTrial, count: shard.trials) {
            switch column {
            case .double(let d): try source.readValues(d)
            case .single(let f): try source.readValues(f)
            }
        }
        try source.readValues(store.statistics(ofBlocks: shard.firstBlock ..< shard.endBlock))
        for (c, bins) in metadata.histogramBins.enumerated() {
            let pairs = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, 2 * bins))
            defer { pairs.deallocate() }
            try source.readValues(UnsafeMutableBufferPointer(rebasing: pairs[0 ..< 2 * bins]))
            var counted: UInt64 = 0, previous = -1
            for i in 0 ..< bins {
                let bin = Int(pairs[2 * i]), count = pairs[2 * i + 1]
                guard bin > previous, bin < ValueHistogram.binCount, count > 0 else {
                    throw DealcastError(.invalidData, "\(displayPath): corrupted partial result: the histogram of series cell \(c + 1) is out of order; rerun its shard to write it again")
                }
                previous = bin
                counted += UInt64(count)
                store.histograms[c].add(bin: bin, count: count)
            }
            guard counted == UInt64(shard.trials) else {
                throw DealcastError(.invalidData, "\(displayPath): corrupted partial result: the histogram of series cell \(c + 1) counts \(counted) values, not the shard's \(shard.trials) trials; rerun its shard to write it again")
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

        /// Fills `values` exactly from little-endian data.
        mutating func readValues<T: BitPatternStorable>(_ values: UnsafeMutableBufferPointer<T>) throws(DealcastError) {
            try fill(exactly: UnsafeMutableRawBufferPointer(values))
            #if _endian(big)
            for i in values.indices { values[i] = T(littleEndianBits: values[i].littleEndianBits) }
            #endif
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

/// A value written to a partial file by its bits, little-endian.
protocol BitPatternStorable {
    associatedtype Bits: FixedWidthInteger
    /// The value's bits in little-endian byte order.
    var littleEndianBits: Bits { get }
    /// The value whose little-endian bits are `bits`.
    init(littleEndianBits bits: Bits)
}

extension Double: BitPatternStorable {
    var littleEndianBits: UInt64 { bitPattern.littleEndian }
    init(littleEndianBits bits: UInt64) { self.init(bitPattern: UInt64(littleEndian: bits)) }
}

extension Float: BitPatternStorable {
    var littleEndianBits: UInt32 { bitPattern.littleEndian }
    init(littleEndianBits bits: UInt32) { self.init(bitPattern: UInt32(littleEndian: bits)) }
}

extension UInt32: BitPatternStorable {
    var littleEndianBits: UInt32 { littleEndian }
    init(littleEndianBits bits: UInt32) { self.init(littleEndian: bits) }
}
