import Foundation

/// How much memory a run of a plan needs, estimated before any trial runs, so that a `--trials`
/// count the machine cannot hold is refused up front instead of failing (or swapping) midway.
///
/// The engine keeps every trial of every metric (8 bytes each) and of every period of every series
/// (4 bytes: single precision), not the inputs' draws, which are replayed when needed (docs/design.md
/// explains why). After the run, the sensitivity analysis keeps the ranks of the headline metrics and
/// replays and ranks one input per thread at a time (about 48 bytes per trial per thread: the draws,
/// their ranks and the radix sort's buffers), and the statistics work on one column per thread: a fixed
/// set of working columns. On top of that comes a fixed allowance for the process itself: runtime,
/// generators, scenario, report text.
public struct MemoryEstimate: Sendable, Equatable {
    /// Metrics kept for every trial.
    public let metrics: Int
    /// Series values (periods summed over every series) kept for every trial.
    public let seriesValues: Int
    /// Uncertain inputs (replayed, not kept; reported for the message).
    public let uncertainInputs: Int
    /// Trials stored by this process.
    public let trials: Int
    /// Worker threads (columns ranked at the same time after the run).
    public let threads: Int

    /// Bytes of one stored value.
    public static let bytesPerValue = 8
    /// Working columns of the statistics pass: a sorted copy, orders and kept indices, and the ranks of
    /// up to 8 headline metrics.
    public static let workingColumns = 14
    /// Allowance for the process apart from per-trial storage: 256 MiB.
    public static let fixedBytes: Double = 256 * 1024 * 1024

    public init(metrics: Int, seriesValues: Int, uncertainInputs: Int, trials: Int, threads: Int) {
        self.metrics = metrics
        self.seriesValues = seriesValues
        self.uncertainInputs = uncertainInputs
        self.trials = trials
        self.threads = max(1, threads)
    }

    /// The estimate for running `plan` with `trials` trials on `threads` threads.
    public init(plan: RunPlan, trials: Int, threads: Int) {
        var metrics = 0, series = 0
        for (i, m) in plan.modules.enumerated() {
            metrics += m.metrics.count
            for spec in m.series { series += plan.index(module: i, series: spec).count }
        }
        self.init(metrics: metrics, seriesValues: series, uncertainInputs: plan.uncertainInputIndices.count,
                  trials: trials, threads: threads)
    }

    /// Bytes needed per trial.
    public var bytesPerTrial: Int {
        Self.bytesPerValue * (metrics + Self.workingColumns + 6 * threads) + Self.bytesPerSeriesValue * seriesValues
    }

    /// Bytes of one stored series value (single precision).
    public static let bytesPerSeriesValue = 4

    /// Bytes needed by the whole run (a Double: a huge `trials` must not overflow).
    public var totalBytes: Double { Double(bytesPerTrial) * Double(trials) + Self.fixedBytes }

    /// The most trials that fit in `available` bytes (0 if none do).
    public func maxTrials(available: Double) -> Int {
        let fit = (available - Self.fixedBytes) / Double(bytesPerTrial)
        return fit < 1 ? 0 : Int(min(fit, Double(Int32.max)))
    }

    /// Refuses a run that would need more than `available` bytes.
    /// - Throws: `DealcastError` with code `.usage` (exit 64) stating the estimate, what it is made of,
    ///   the memory available and the largest `--trials` that fits.
    public func check(available: Double = MemoryEstimate.availableBytes()) throws(DealcastError) {
        guard totalBytes > available else { return }
        let fit = maxTrials(available: available)
        let advice = fit > 0
            ? "use --trials \(Self.rounded(fit)) or fewer, or run fewer modules (--modules)"
            : "run fewer modules (--modules)"
        throw DealcastError(.usage, "--trials \(trials) needs about \(Self.gigabytes(totalBytes)) of memory "
            + "(\(bytesPerTrial) bytes per trial: \(metrics) metrics and \(seriesValues) series values "
            + "kept for every trial, with working space), more than the \(Self.gigabytes(available)) available; \(advice)")
    }

    /// The memory this process may use: the machine's physical memory, lowered by a control-group
    /// limit (containers) or an address-space / data-size resource limit (`ulimit -v`, `ulimit -d`)
    /// when one is set.
    public static func availableBytes() -> Double {
        var limit = Double(ProcessInfo.processInfo.physicalMemory)
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let bytes = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes > 0 {
                limit = min(limit, bytes)
            }
        }
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var r = rlimit()
            #if os(Linux)
            let status = getrlimit(__rlimit_resource_t(resource.rawValue), &r)
            let unlimited = rlim_t.max
            #else
            let status = getrlimit(resource, &r)
            let unlimited = RLIM_INFINITY
            #endif
            if status == 0, r.rlim_cur != unlimited { limit = min(limit, Double(r.rlim_cur)) }
        }
        return limit
    }

    /// "31.2 GB" (10⁹ bytes, one decimal).
    static func gigabytes(_ bytes: Double) -> String {
        "\(UnitFormat.fixed(bytes / 1e9, 1)) GB"
    }

    /// A trial count rounded down to two significant digits, so that the advice reads as a round number.
    static func rounded(_ n: Int) -> Int {
        guard n >= 100 else { return n }
        var scale = 1
        while n / scale >= 100 { scale *= 10 }
        return n / scale * scale
    }
}
