import Foundation

/// How much memory a run of a plan needs, estimated before any trial runs, so that a `--trials`
/// count the machine cannot hold is refused up front instead of failing (or swapping) midway.
///
/// The engine keeps every trial of every metric: 8 bytes for the exact ones (`RunPlan.exactMetrics`),
/// 4 for the others (single precision). It keeps no trial of a series, only each period's block
/// statistics and histogram (docs/engine.md, "What a run keeps"), nor the inputs' draws, which are
/// replayed when needed. After the run, each thread summarises one metric at a time from a copy of its
/// column, and the report reads a few columns at a time: working columns of 8 bytes per trial. On top
/// of that come the series histograms (one per period per worker, and the run's) and a fixed allowance
/// for the process itself: runtime, generators, scenario, the rank correlations' working space (over
/// at most `RunResults.sensitivityTrialLimit` trials), report text.
public struct MemoryEstimate: Sendable, Equatable {
    /// Metrics kept for every trial in double precision.
    public let exactMetrics: Int
    /// Metrics kept for every trial in single precision.
    public let singleMetrics: Int
    /// Series periods (summed over every series), each summarised by a histogram, not kept per trial.
    public let seriesCells: Int
    /// Uncertain inputs (replayed, not kept; reported for the message).
    public let uncertainInputs: Int
    /// Trials stored by this process.
    public let trials: Int
    /// Worker threads.
    public let threads: Int

    /// Working columns of the statistics after the run besides one per thread: the report's reads.
    public static let workingColumns = 2
    /// Allowance for the process apart from per-trial storage and histograms: 256 MiB.
    public static let fixedBytes: Double = 256 * 1024 * 1024
    /// Allowance for one histogram: its page table (64 KiB), 112 pages of 4 KiB (seven binades of
    /// values) and a worker's queue of 32 768 bins (128 KiB, `HistogramBatches`).
    public static let histogramBytes: Double = 640 * 1024

    public init(exactMetrics: Int, singleMetrics: Int, seriesCells: Int, uncertainInputs: Int, trials: Int, threads: Int) {
        self.exactMetrics = exactMetrics
        self.singleMetrics = singleMetrics
        self.seriesCells = seriesCells
        self.uncertainInputs = uncertainInputs
        self.trials = trials
        self.threads = max(1, threads)
    }

    /// The estimate for running `plan` with `trials` trials on `threads` threads.
    public init(plan: RunPlan, trials: Int, threads: Int) {
        let layout = OutputLayout(plan: plan)
        let exact = layout.exact.filter { $0 }.count
        self.init(exactMetrics: exact, singleMetrics: layout.exact.count - exact, seriesCells: layout.cells,
                  uncertainInputs: plan.uncertainInputIndices.count, trials: trials, threads: threads)
    }

    /// Bytes needed per trial.
    public var bytesPerTrial: Int {
        8 * (exactMetrics + Self.workingColumns + threads) + 4 * singleMetrics
    }

    /// Bytes that do not grow with the trials: the process allowance and the series histograms.
    public var fixedBytes: Double { Self.fixedBytes + Double(seriesCells * (threads + 1)) * Self.histogramBytes }

    /// Bytes needed by the whole run (a Double: a huge `trials` must not overflow).
    public var totalBytes: Double { Double(bytesPerTrial) * Double(trials) + fixedBytes }

    /// The most trials that fit in `available` bytes (0 if none do).
    public func maxTrials(available: Double) -> Int {
        let fit = (available - fixedBytes) / Double(bytesPerTrial)
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
            + "(\(bytesPerTrial) bytes per trial: \(exactMetrics + singleMetrics) metrics kept for every trial, with working space; "
            + "\(seriesCells) series periods summarised), more than the \(Self.gigabytes(available)) available; \(advice)")
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
