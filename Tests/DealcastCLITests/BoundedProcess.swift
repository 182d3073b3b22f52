import DealcastTestSupport
import Foundation

/// Runs the built `dealcast` binary under limits, so that a hostile input that makes it hang or
/// allocate without bound fails the test instead of stalling or swapping the machine.
///
/// The child runs under `ulimit -v` (its address space is capped: an unbounded allocation makes it
/// crash, which the test reports as a crash) and is killed when it outlives its deadline (reported
/// as a hang). Output is read on background threads, so a child that writes a lot cannot block.
enum BoundedProcess {
    struct Outcome {
        /// Exit status; meaningful only when `exited`.
        let status: Int32
        /// True when the process called exit (false: killed by a signal, or by the deadline).
        let exited: Bool
        /// True when the deadline passed and the process was killed.
        let timedOut: Bool
        let stdout: String
        let stderr: String

        /// A one-line account of how the process ended, for failure messages.
        var summary: String {
            if timedOut { return "did not finish before its deadline (a hang?)" }
            if !exited { return "was killed by signal \(status) (a crash?)" }
            return "exited \(status)"
        }
    }

    /// Address space allowed to the child: 3 GiB, far above what validating or refusing any scenario
    /// needs, far below what an unbounded allocation would reach.
    static let addressSpaceKiB = 3 * 1024 * 1024

    /// Runs `dealcast args…` in `directory`, killing it after `timeout` seconds.
    static func run(_ args: [String], in directory: URL? = nil, timeout: Double = 60,
                    addressSpaceKiB: Int = addressSpaceKiB) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v \(addressSpaceKiB) && exec \"$0\" \"$@\"", CLI.binary.path] + args
        if let directory { p.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        let reads = DispatchGroup()
        let collected = Collected()
        for (pipe, isErr) in [(out, false), (err, true)] {
            DispatchQueue.global().async(group: reads) {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.store(data, isErr: isErr)
            }
        }
        try p.run()
        let timedOut = done.wait(timeout: .now() + timeout) == .timedOut
        if timedOut {
            kill(p.processIdentifier, SIGKILL)
            done.wait()
        }
        reads.wait()
        return Outcome(status: p.terminationStatus, exited: !timedOut && p.terminationReason == .exit, timedOut: timedOut,
                       stdout: String(decoding: collected.out, as: UTF8.self), stderr: String(decoding: collected.err, as: UTF8.self))
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var out = Data()
        private(set) var err = Data()

        func store(_ data: Data, isErr: Bool) {
            lock.lock(); defer { lock.unlock() }
            if isErr { err = data } else { out = data }
        }
    }
}
