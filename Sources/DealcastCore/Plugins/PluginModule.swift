internal import CDealcastPlugin
import Foundation

/// An analysis module provided by a plugin library, adapted to `AnalysisModule` so that it sits in the
/// registry next to the built-in modules: its inputs are bound by the same binder (and shared with
/// built-in modules that read the same paths), it reads other modules' metrics and publishes its own.
///
/// Per block, the adapter gathers the plugin's input columns and the metrics it reads into one
/// column-major matrix, calls the plugin's `evaluate`, checks what it wrote and copies it into the
/// run's result columns. A plugin's error, an output it left unwritten, a non-finite value (unless the
/// metric declares what undefined means) or an event that is not 0 or 1 stops the run with the
/// plugin's id, file and message; nothing is written.
public struct PluginModule: AnalysisModule {
    public let descriptor: ModuleDescriptor
    let library: PluginLibrary

    init(_ library: PluginLibrary) {
        self.library = library
        descriptor = library.description.descriptor
    }

    /// The plugin file as the user named it.
    public var path: String { library.file.displayPath }
    /// The plugin file with symbolic links resolved.
    public var resolvedPath: String { library.file.resolvedPath }
    /// SHA-256 of the plugin file.
    public var sha256: String { library.file.sha256 }
    /// The ABI version the plugin was built for.
    public var abiVersion: Int { PluginLibrary.abiVersion }

    public func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator {
        let d = library.description
        let handles = d.inputs.map { i in
            if let f = i.fallback {
                return binder.input(i.path, i.dimension, i.constraint, summary: i.summary, fallback: f.value,
                                    rationale: "default of plugin \(d.id) \(d.version): \(f.rationale)")
            }
            return binder.input(i.path, i.dimension, i.constraint, summary: i.summary)
        }
        return Evaluator(library: library, inputs: handles)
    }

    struct Evaluator: ModuleEvaluator {
        let library: PluginLibrary
        let inputs: [InputHandle]

        /// Marks output cells before the call, to find the ones the plugin left unwritten. A quiet NaN
        /// with a payload no arithmetic produces.
        static let unwritten = Double(nan: 0xDEA1CA57, signaling: false)
        static let messageCapacity = 1024

        func evaluate(_ block: BlockContext) throws {
            let d = library.description
            let n = block.count
            let inColumns = inputs.count + d.reads.count, outColumns = d.metrics.count
            let matrixIn = UnsafeMutableBufferPointer<Double>.allocate(capacity: Swift.max(1, inColumns * n))
            let matrixOut = UnsafeMutableBufferPointer<Double>.allocate(capacity: outColumns * n)
            let message = UnsafeMutableBufferPointer<CChar>.allocate(capacity: Self.messageCapacity)
            defer { matrixIn.deallocate(); matrixOut.deallocate(); message.deallocate() }
            for (j, h) in inputs.enumerated() {
                _ = UnsafeMutableBufferPointer(rebasing: matrixIn[j * n ..< (j + 1) * n]).initialize(fromContentsOf: block.input(h))
            }
            for (k, key) in d.reads.enumerated() {
                let j = inputs.count + k
                _ = UnsafeMutableBufferPointer(rebasing: matrixIn[j * n ..< (j + 1) * n]).initialize(fromContentsOf: block.metric(key))
            }
            matrixOut.initialize(repeating: Self.unwritten)
            message.initialize(repeating: 0)

            var c = dealcast_block()
            c.struct_size = UInt32(MemoryLayout<dealcast_block>.size)
            c.count = Int64(n)
            c.block_index = Int64(block.blockIndex)
            c.first_trial = Int64(block.firstTrial)
            c.seed = Self.seed(block.stream)
            c.input_columns = Int64(inColumns)
            c.inputs = UnsafePointer(matrixIn.baseAddress)
            c.output_columns = Int64(outColumns)
            c.outputs = matrixOut.baseAddress
            let status = library.evaluate(&c, message.baseAddress, message.count)

            let trials = "trials \(block.firstTrial + 1)–\(block.firstTrial + n)"
            let who = "plugin '\(d.id)' (\(library.file.displayPath))"
            guard status == DEALCAST_OK else {
                message[message.count - 1] = 0
                let text = String(cString: message.baseAddress!).trimmingCharacters(in: .whitespacesAndNewlines)
                let why = text.isEmpty ? "it returned status \(status) without a message" : text
                throw DealcastError(.internalError, "\(who) failed in \(trials): \(why); the run stopped and wrote nothing")
            }
            for (k, spec) in d.metrics.enumerated() {
                let column = UnsafeMutableBufferPointer(rebasing: matrixOut[k * n ..< (k + 1) * n])
                let key = descriptorKey(spec)
                if let i = column.firstIndex(where: { $0.bitPattern == Self.unwritten.bitPattern }) {
                    throw DealcastError(.internalError, "\(who) did not write metric '\(key)' for trial \(block.firstTrial + i + 1); the run stopped and wrote nothing")
                }
                if spec.undefinedMeaning == nil, let i = column.firstIndex(where: { !$0.isFinite }) {
                    throw DealcastError(.internalError, "\(who) wrote a non-finite value (\(column[i])) for metric '\(key)' in trial \(block.firstTrial + i + 1); the run stopped and wrote nothing")
                }
                if spec.kind == .event, let i = column.firstIndex(where: { $0 != 0 && $0 != 1 && !$0.isNaN }) {
                    throw DealcastError(.internalError, "\(who) wrote \(column[i]) for event metric '\(key)' in trial \(block.firstTrial + i + 1); an event must be 0 or 1. The run stopped and wrote nothing")
                }
                _ = block.output(spec.name).update(fromContentsOf: column)
            }
        }

        private func descriptorKey(_ spec: MetricSpec) -> String { "\(library.description.id).\(spec.name)" }

        /// The block's 64-bit seed for the plugin: two draws of the module's own stream, which the
        /// engine seeds from (run seed, block index, module id), mixed by SplitMix64. The same block
        /// gets the same seed on any thread.
        static func seed(_ stream: RandomStream) -> UInt64 {
            let high = UInt64(stream.uniform() * 4_294_967_296), low = UInt64(stream.uniform() * 4_294_967_296)
            return SeedDerivation.mix(high << 32 | low)
        }
    }
}
