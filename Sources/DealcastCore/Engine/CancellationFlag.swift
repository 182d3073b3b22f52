import Foundation

/// A request to stop a run, raised from another thread (the command line raises it on SIGINT).
///
/// The engine checks it before every block; once it is raised, no further block starts, the blocks
/// already running finish, and `Engine.run` throws `DealcastError` with code `.interrupted` (exit
/// 130) instead of returning results. Raising it never changes a number of a run that completes.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    public init() {}

    /// Asks the run to stop. Safe to call from any thread, any number of times.
    public func cancel() {
        lock.lock(); defer { lock.unlock() }
        raised = true
    }

    /// True once `cancel()` has been called.
    public var isCancelled: Bool {
        lock.lock(); defer { lock.unlock() }
        return raised
    }
}
