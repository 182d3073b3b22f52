import DealcastCore
import DealcastReport
import Dispatch
import Foundation

/// SIGINT (Ctrl-C) during `dealcast run`: stop within a second, write nothing, exit 130.
///
/// SIGINT is ignored as a signal and delivered to a dispatch source instead, whose handler raises the
/// run's `CancellationFlag`. The engine checks the flag before every block, so the run stops after the
/// blocks in flight and `Engine.run` throws `.interrupted`; `Run` checks it again before it renames its
/// outputs into place, so a run interrupted after its last block writes nothing either.
///
/// Work that does not check the flag (binding a scenario, the statistics after the last block) is cut
/// short by a grace timer: if the process is still running `grace` seconds after the signal, the
/// handler removes the temporary files this process staged and exits with status 130 itself. A second
/// SIGINT does the same at once. Renaming the outputs into place holds a lock that a forced exit
/// waits for, so the files of one run are never half renamed.
final class InterruptHandler: @unchecked Sendable {
    /// Raised on the first SIGINT; pass it to `Engine.run`.
    let flag = CancellationFlag()
    /// The error a run stopped by SIGINT ends with (exit 130).
    static let error = DealcastError(.interrupted, "interrupted (SIGINT); the run stopped and wrote nothing")

    private let grace: Double
    private let queue = DispatchQueue(label: "dealcast.interrupt")
    /// Held while outputs are renamed into place, and taken (never released) by a forced exit.
    private let commitLock = NSLock()
    private let stateLock = NSLock()
    private var source: DispatchSourceSignal?
    private var outputFolders: [URL] = []
    private var received = 0

    /// - Parameter grace: seconds between the first SIGINT and a forced exit, if the run has not
    ///   stopped by then.
    init(grace: Double = 0.5) {
        self.grace = grace
    }

    /// Starts handling SIGINT for the rest of the process.
    func install() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: queue)
        source.setEventHandler { [self] in interrupted() }
        source.resume()
        self.source = source
    }

    /// Records the folders where the run stages its outputs, so that a forced exit removes its
    /// temporary files there and in their subfolders (such as `charts/`).
    func willWrite(to folders: [URL]) {
        stateLock.lock(); defer { stateLock.unlock() }
        outputFolders = folders
    }

    /// Runs `body` (renaming the staged outputs into place) unless the run was interrupted, in a way
    /// that a forced exit cannot cut in two.
    /// - Throws: `InterruptHandler.error` without running `body` if SIGINT arrived, or what `body` throws.
    func commit(_ body: () throws(DealcastError) -> Void) throws(DealcastError) {
        commitLock.lock(); defer { commitLock.unlock() }
        if flag.isCancelled { throw Self.error }
        try body()
    }

    /// Runs on `queue` for every SIGINT.
    private func interrupted() {
        received += 1
        flag.cancel()
        if received > 1 { forceExit() }
        queue.asyncAfter(deadline: .now() + grace) { [self] in forceExit() }
    }

    private func forceExit() -> Never {
        commitLock.lock()
        stateLock.lock()
        let folders = outputFolders
        stateLock.unlock()
        for folder in folders {
            let subfolders = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
            for f in [folder] + subfolders { OutputWriter.removeTemporaries(in: f, ownedBy: getpid()) }
        }
        FileHandle.standardError.write(Data("dealcast: \(Self.error.message)\n".utf8))
        _exit(Self.error.code.exitStatus)
    }
}
