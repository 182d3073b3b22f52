import DealcastCore
import DealcastModules
@testable import DealcastReport
import DealcastTestSupport
import Foundation
import XCTest

/// Compares text with a file under `Snapshots/`, as swift-argument-parser's `assertSnapshot` does.
///
/// With `DEALCAST_RECORD_SNAPSHOTS=1` in the environment the file is (re)written and the test passes.
/// A missing snapshot is recorded and the test fails, so that a new snapshot is never taken for
/// granted. On a mismatch the failure names the first differing line.
func assertSnapshot(_ actual: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    let url = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Snapshots").appendingPathComponent(name)
    let record = ProcessInfo.processInfo.environment["DEALCAST_RECORD_SNAPSHOTS"] == "1"
    guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            XCTFail("cannot record snapshot \(url.path): \(error)", file: file, line: line)
        }
        if !record { XCTFail("no snapshot \(name) yet: recorded it; check it and run again", file: file, line: line) }
        return
    }
    guard actual != expected else { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false), e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let i = (0 ..< min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
    XCTFail("""
        \(name) differs from its snapshot at line \(i + 1) (re-record with DEALCAST_RECORD_SNAPSHOTS=1 if the change is intended):
          expected: \(i < e.count ? String(e[i]) : "<end of file>")
          actual:   \(i < a.count ? String(a[i]) : "<end of file>")
        """, file: file, line: line)
}

/// The embedded default scenario run once per test process, small and seeded, shared by the tests
/// that read a real report.
enum DefaultRun {
    static let trials = 3000
    static let seed: UInt64 = 7

    static let shared: Result<RunResults, DealcastError> = {
        do throws(DealcastError) {
            let url = TestScenario.datasetsDirectory.appendingPathComponent("amazon-openai-2026.yaml")
            let scenario = try ScenarioLoader.load(url: url, displayPath: "datasets/amazon-openai-2026.yaml")
            let plan = try RunPlan(scenario: scenario, registry: try ModuleRegistry(BuiltinModules.all))
            return .success(try Engine.run(plan, RunConfiguration(trials: trials, seed: seed, threads: 2)))
        } catch {
            return .failure(error)
        }
    }()

    static func results() throws -> RunResults { try shared.get() }

    /// A manifest without the parts that change from run to run (wall time, commit, thread count).
    static func manifest(_ results: RunResults) -> RunManifest {
        var m = RunManifest(results: results, version: "test", gitCommit: nil, options: [:])
        m.wallSeconds = 0
        m.threads = 1
        return m
    }
}

/// A module with known answers: `value_usd = gain_usd − cost_usd`, where the gain is the input
/// `toy.gain` and the cost the input `toy.cost`; `win` is the event value > 0.
struct ToyModule: AnalysisModule {
    var id = "toy"
    var headline = true

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(id: id, version: "test", summary: "gain minus cost", metrics: [
            MetricSpec("value_usd", unit: "USD", summary: "Value of the toy deal: gain minus cost", headline: headline,
                       bridge: [.plus("\(id).gain_usd"), .minus("\(id).cost_usd")]),
            MetricSpec("gain_usd", unit: "USD", summary: "Gain"),
            MetricSpec("cost_usd", unit: "USD", summary: "Cost"),
            MetricSpec("win", unit: "1", kind: .event, summary: "The toy deal makes money", headline: headline),
        ])
    }

    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        Evaluator(gain: b.input("\(id).gain", .currency, summary: "What the toy deal earns"),
                  cost: b.input("\(id).cost", .currency, summary: "What the toy deal costs"))
    }

    struct Evaluator: ModuleEvaluator {
        let gain, cost: InputHandle
        func evaluate(_ block: BlockContext) throws {
            let g = block.input(gain), c = block.input(cost)
            let value = block.output("value_usd"), gOut = block.output("gain_usd"), cOut = block.output("cost_usd"), win = block.output("win")
            for i in 0 ..< block.count {
                value[i] = g[i] - c[i]
                gOut[i] = g[i]
                cOut[i] = c[i]
                win[i] = g[i] - c[i] > 0 ? 1 : 0
            }
        }
    }

    /// A scenario for the module: the gain uniform on [0, 10B], the cost normal(6B, 1B).
    static func yaml(id: String = "toy") -> String {
        """
        \(id):
          gain:
            value: uniform(0 USD, 10B USD)
            source: "A made-up source"
          cost:
            value: normal(6B USD, 1B USD)
            assumption: "made up"

        """
    }

    static func run(_ modules: [ToyModule] = [ToyModule()], trials: Int = 20_000, seed: UInt64 = 3, sampling: SamplingMethod = .random) throws -> RunResults {
        let yaml = "id: toy\ntitle: Toy deal\nhorizon: {start: 2026Q1, end: 2026Q4}\n" + modules.map { Self.yaml(id: $0.id) }.joined()
        return try TestScenario.run(yaml, modules: modules, trials: trials, seed: seed, threads: 2, sampling: sampling)
    }
}
