import DealcastTestSupport
import Foundation
import XCTest

/// A run that is interrupted (SIGINT), killed (SIGKILL) or cannot write (full disk, read-only
/// folder) leaves the previous report as it was: every output is staged as a dot-file beside its
/// target and renamed into place only when every file of the run is written.
final class InterruptTests: XCTestCase {
    /// A fast complete run (one block, two modules), used to lay down "the previous report".
    static let quickRun = ["run", "--quiet", "--trials", "4096", "--modules", "capex_return"]
    /// A run far too long to finish during a test (the whole default scenario, 500 000 trials).
    static let longRun = ["run", "--quiet", "--trials", "500000"]

    /// Every file under `dir` (dot-files included), by relative path.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return files }
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            files[String(url.path.dropFirst(dir.path.count + 1))] = try Data(contentsOf: url)
        }
        return files
    }

    /// The file without its wall-time lines, the only lines that differ between two identical runs.
    static func normalised(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("Wall time") && !$0.contains("wall_seconds") }.joined(separator: "\n")
    }

    /// Starts `dealcast args…`, its output discarded.
    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Waits for `p` to end, at most `seconds`; true if it ended.
    static func wait(_ p: Process, atMost seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        return !p.isRunning
    }

    /// Waits until process `pid` has taken over SIGINT: on Linux, libdispatch's signal source installs a
    /// handler, which /proc shows in `SigCgt`. (Not `SigIgn`: a test started from a background shell
    /// job inherits SIGINT ignored.) Where there is no /proc, waits a second.
    static func waitForInterruptHandler(_ pid: Int32) {
        let status = "/proc/\(pid)/status"
        guard FileManager.default.fileExists(atPath: status) else { return Thread.sleep(forTimeInterval: 1) }
        let bit = UInt64(1) << UInt64(SIGINT - 1)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: status, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("SigCgt:") {
                let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
                if mask & bit != 0 { return }
            }
            usleep(5_000)
        }
    }

    /// Writes a first report into a fresh folder and returns the folder and its files.
    func previousReport(seed: Int = 1) throws -> (URL, [String: Data]) {
        let dir = try CLI.temporaryDirectory(self).appendingPathComponent("report")
        let first = try CLI.run(Self.quickRun + ["--seed", "\(seed)", "--out", dir.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        let files = try Self.snapshot(dir)
        XCTAssertNotNil(files["report.md"])
        XCTAssertNotNil(files["results.json"])
        return (dir, files)
    }

    func testSIGINTStopsARunPromptlyWritesNothingAndExits130() throws {
        let (dir, before) = try previousReport()
        // As soon as the handler is in place (loading and binding the scenario), and mid-run.
        for delay in [0.0, 3.0] {
            let errors = Pipe()
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = Self.longRun + ["--out", dir.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = errors
            try p.run()
            Self.waitForInterruptHandler(p.processIdentifier)
            Thread.sleep(forTimeInterval: delay)
            XCTAssertTrue(p.isRunning, "the long run ended before it could be interrupted")
            let sent = Date()
            p.interrupt()
            let stopped = Self.wait(p, atMost: 10)
            let latency = Date().timeIntervalSince(sent)
            if !stopped { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
            XCTAssertTrue(stopped, "still running 10 s after SIGINT (sent \(delay) s after the handler was installed)")
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationReason, .exit, "killed by signal \(p.terminationStatus) instead of exiting")
            XCTAssertEqual(p.terminationStatus, 130, message)
            XCTAssertTrue(message.contains("interrupted (SIGINT)") && message.contains("wrote nothing"), message)
            XCTAssertEqual(try Self.snapshot(dir), before, "SIGINT \(delay) s after the handler was installed changed the output folder")
            print("SIGINT \(delay) s after the handler was installed: stopped \(String(format: "%.2f", latency)) s after the signal")
        }
    }

    func testSIGKILLInTheMiddleOfALongRunLeavesThePreviousReportIntact() throws {
        let (dir, before) = try previousReport()
        let p = try Self.start(Self.longRun + ["--seed", "2", "--out", dir.path])
        Thread.sleep(forTimeInterval: 3)
        XCTAssertTrue(p.isRunning, "the long run ended before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try Self.snapshot(dir), before, "a run killed midway changed the output folder")
    }

    /// Kills a run at ten points spread over its whole length, the write included: every report file
    /// is, each time, either the previous one or the new one, never a piece of one. Dot-files a
    /// killed run left behind are removed by the next run.
    func testSIGKILLAtAnyPointLeavesEveryReportFileWhole() throws {
        let (dir, before) = try previousReport(seed: 1)
        let reference = try CLI.temporaryDirectory(self).appendingPathComponent("reference")
        let started = Date()
        let complete = try CLI.run(Self.quickRun + ["--seed", "2", "--out", reference.path])
        let duration = Date().timeIntervalSince(started)
        XCTAssertEqual(complete.status, 0, complete.stderr)
        let new = try Self.snapshot(reference)
        var killedBeforeTheEnd = 0
        for k in 1 ... 10 {
            let p = try Self.start(Self.quickRun + ["--seed", "2", "--out", dir.path])
            Thread.sleep(forTimeInterval: duration * Double(k) / 10)
            if p.isRunning { killedBeforeTheEnd += 1 }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            for (name, data) in try Self.snapshot(dir) where !(name as NSString).lastPathComponent.hasPrefix(".") {
                let text = Self.normalised(data)
                let whole = before[name].map { Self.normalised($0) == text } == true || new[name].map { Self.normalised($0) == text } == true
                XCTAssertTrue(whole, "killed at \(k)/10 of the run: \(name) is neither the previous file nor the new one")
            }
            XCTAssertNotNil(try Self.snapshot(dir)["report.md"], "killed at \(k)/10 of the run: report.md is gone")
        }
        XCTAssertGreaterThan(killedBeforeTheEnd, 0, "no run was killed before it finished")
        let next = try CLI.run(Self.quickRun + ["--seed", "3", "--out", dir.path])
        XCTAssertEqual(next.status, 0, next.stderr)
        let left = try Self.snapshot(dir).keys.filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }
        XCTAssertEqual(left, [], "temporary files of killed runs survived the next run")
    }

    func testAFullDiskKeepsThePreviousReportAndExits73NamingTheFile() throws {
        let (dir, before) = try previousReport()
        // A file-size limit of 8 KiB makes every larger write fail with EFBIG, as a full disk fails
        // with ENOSPC; SIGXFSZ is ignored so that the write fails instead of killing the process.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "trap '' XFSZ; ulimit -f 16 && exec \"$0\" \"$@\"", CLI.binary.path] + Self.quickRun + ["--seed", "2", "--out", dir.path]
        let errors = Pipe()
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 73, message)
        XCTAssertTrue(message.contains("cannot write") && message.contains("previous outputs are unchanged"), message)
        XCTAssertEqual(try Self.snapshot(dir), before, "a failed write changed the output folder or left temporary files")
    }

    func testAReadOnlyOutputFolderKeepsThePreviousReportAndExits73NamingTheFolder() throws {
        let (dir, before) = try previousReport()
        for folder in [dir, dir.appendingPathComponent("charts")] {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        }
        defer {
            for folder in [dir, dir.appendingPathComponent("charts")] {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            }
        }
        var command = [CLI.binary.path] + Self.quickRun + ["--seed", "2", "--out", dir.path]
        if geteuid() == 0 {
            // Permissions do not bind root: run as nobody.
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                throw XCTSkip("running as root without setpriv: cannot make a folder read-only")
            }
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + command
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let errors = Pipe()
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 73, message)
        XCTAssertTrue(message.contains(dir.path) && message.contains("Permission denied") && message.contains("previous outputs are unchanged"), message)
        XCTAssertEqual(try Self.snapshot(dir), before, "a refused write changed the output folder")
    }
}
