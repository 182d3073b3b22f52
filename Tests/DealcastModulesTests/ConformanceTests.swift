import DealcastCore
import DealcastModules
import DealcastTestSupport
import Foundation
import XCTest

/// Every built-in module passes the module conformance test on the default scenario; and the test
/// itself catches each kind of broken module it is meant to catch.
final class ConformanceTests: XCTestCase {
    func testEveryBuiltinModuleConformsOnTheDefaultScenario() throws {
        let scenario = try ScenarioLoader.load(url: TestScenario.datasetsDirectory.appendingPathComponent("amazon-openai-2026.yaml"))
        let registry = try ModuleRegistry(BuiltinModules.all)
        XCTAssertEqual(registry.modules.count, 5)
        for module in registry.modules {
            ModuleConformance.check(module, scenario: scenario, registry: registry)
        }
    }

    func testTheDefaultScenarioAtTenMillionTrialsIsEstimatedWithinFourGigabytes() throws {
        let scenario = try ScenarioLoader.load(url: TestScenario.datasetsDirectory.appendingPathComponent("amazon-openai-2026.yaml"))
        let plan = try RunPlan(scenario: scenario, registry: try ModuleRegistry(BuiltinModules.all))
        let estimate = MemoryEstimate(plan: plan, trials: 10_000_000, threads: 2)
        // Headline metrics in double precision, the rest in single, series as histograms (issue 8's budget).
        XCTAssertEqual(estimate.exactMetrics, plan.headlineMetrics.count)
        XCTAssertEqual(estimate.exactMetrics + estimate.singleMetrics, plan.modules.reduce(0) { $0 + $1.metrics.count })
        XCTAssertLessThan(estimate.totalBytes, 4e9)
    }

    func testEveryBuiltinModuleHasItsModelDocument() {
        let docs = TestScenario.datasetsDirectory.deletingLastPathComponent().appendingPathComponent("docs/models")
        for module in BuiltinModules.all {
            let doc = docs.appendingPathComponent("\(module.descriptor.id).md")
            XCTAssertTrue(FileManager.default.fileExists(atPath: doc.path), "docs/models/\(module.descriptor.id).md is missing")
        }
    }

    // MARK: The check catches what it should

    let scenario = "id: t\nhorizon: {start: 2026Q1, end: 2026Q4}\n"

    func problems(_ module: any AnalysisModule, with others: [any AnalysisModule] = []) throws -> [String] {
        let registry = try ModuleRegistry(others + [module])
        return ModuleConformance.problems(module, scenario: try TestScenario.load(scenario), registry: registry)
    }

    func testAWellBehavedModulePasses() throws {
        XCTAssertEqual(try problems(Toy(id: "toy", reads: ["up.x"]) { b, out in
            let x = b.metric("up.x")
            for i in 0 ..< b.count { out[i] = x[i] + b.stream.uniform() }
        }, with: [FixedMetricsModule(id: "up", values: ["x": 1, "y": 2])]), [])
    }

    func testAMetricLeftUnwrittenIsFound() throws {
        let found = try problems(Toy(id: "toy", extra: ["forgotten"]) { b, out in out.update(repeating: 1) })
        XCTAssertTrue(found.contains { $0.hasPrefix("metric 'toy.forgotten' is not written in trial 1") }, "\(found)")
    }

    func testStateKeptBetweenBlocksIsFound() throws {
        let counter = Counter()
        let found = try problems(Toy(id: "toy") { b, out in out.update(repeating: Double(counter.next())) })
        XCTAssertTrue(found.contains { $0.hasPrefix("different numbers when run again: toy.value, trial 1") }, "\(found)")
    }

    func testRandomnessFromOutsideTheBlockStreamIsFound() throws {
        let found = try problems(Toy(id: "toy") { b, out in for i in 0 ..< b.count { out[i] = Double.random(in: 0 ..< 1) } })
        XCTAssertTrue(found.contains { $0.hasPrefix("different numbers at 1 and 2 threads") }, "\(found)")
    }

    func testAnUndeclaredReadIsFound() throws {
        let found = try problems(Toy(id: "toy", reads: ["up.x"]) { b, out in
            let x = b.metric("up.x"), y = b.metric("up.y")
            for i in 0 ..< b.count { out[i] = x[i] + y[i] }
        }, with: [FixedMetricsModule(id: "up", values: ["x": 1, "y": 2])])
        XCTAssertTrue(found.contains { $0.hasPrefix("reads metrics it does not declare") }, "\(found)")
    }

    func testAMalformedDescriptorIsFound() throws {
        let found = try problems(Toy(id: "toy", extra: ["Bad Name"], unit: "") { b, out in out.update(repeating: 1) })
        XCTAssertTrue(found.contains("metric name 'Bad Name' must be lowercase letters, digits and '_'"), "\(found)")
        XCTAssertTrue(found.contains("metric 'value' has no unit"), "\(found)")
    }

    func testANonFiniteValueIsFound() throws {
        let found = try problems(Toy(id: "toy") { b, out in out.update(repeating: .nan) })
        XCTAssertTrue(found.contains { $0.contains("failed") && $0.contains("non-finite") }, "\(found)")
    }
}

/// A module built from a closure, publishing `value` (and `extra` metrics it may leave unwritten).
private struct Toy: AnalysisModule {
    let descriptor: ModuleDescriptor
    let body: @Sendable (BlockContext, UnsafeMutableBufferPointer<Double>) -> Void

    init(id: String, reads: [String] = [], extra: [String] = [], unit: String = "1",
         _ body: @escaping @Sendable (BlockContext, UnsafeMutableBufferPointer<Double>) -> Void) {
        descriptor = ModuleDescriptor(id: id, version: "1", summary: "a toy module", reads: reads,
                                      metrics: (["value"] + extra).map { MetricSpec($0, unit: unit, summary: "a value") })
        self.body = body
    }

    func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator { Evaluator(body: body) }

    struct Evaluator: ModuleEvaluator {
        let body: @Sendable (BlockContext, UnsafeMutableBufferPointer<Double>) -> Void
        func evaluate(_ block: BlockContext) throws { body(block, block.output("value")) }
    }
}

/// State shared across blocks: exactly what a module must not have.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0

    func next() -> Int {
        lock.lock(); defer { lock.unlock() }
        n += 1
        return n
    }
}
