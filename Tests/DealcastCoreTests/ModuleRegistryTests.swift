@testable import DealcastCore
import XCTest

/// A module that declares what it reads and publishes, and does nothing else.
private struct Declared: AnalysisModule {
    let descriptor: ModuleDescriptor
    init(_ id: String, reads: [String] = [], publishes: [String] = ["x"]) {
        descriptor = ModuleDescriptor(id: id, version: "1", summary: id, reads: reads,
                                      metrics: publishes.map { MetricSpec($0, unit: "1", summary: $0) })
    }
    func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator { Nothing() }
    struct Nothing: ModuleEvaluator { func evaluate(_ block: BlockContext) throws {} }
}

final class ModuleRegistryTests: XCTestCase {
    func testModulesAreOrderedAfterTheModulesWhoseMetricsTheyRead() throws {
        let registry = try ModuleRegistry([
            Declared("outcome", reads: ["capex.x", "reg.x"]),
            Declared("capex", reads: ["reg.x"]),
            Declared("reg"),
        ])
        XCTAssertEqual(try registry.resolve(nil).map(\.descriptor.id), ["reg", "capex", "outcome"])
    }

    func testSelectingAModuleAddsTheModulesItDependsOn() throws {
        let registry = try ModuleRegistry([Declared("a"), Declared("b", reads: ["a.x"]), Declared("c")])
        XCTAssertEqual(try registry.resolve(["b"]).map(\.descriptor.id), ["a", "b"])
    }

    func testACycleIsRejectedNamingTheModulesInIt() throws {
        let registry = try ModuleRegistry([Declared("a", reads: ["b.x"]), Declared("b", reads: ["c.x"]), Declared("c", reads: ["a.x"])])
        XCTAssertThrowsError(try registry.resolve(nil)) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code, .invalidData)
            XCTAssertTrue(e.message.contains("cycle"), e.message)
            XCTAssertTrue(e.message.contains("a → b → c → a"), e.message)
        }
    }

    func testReadingAMetricNoModulePublishesIsRejected() throws {
        let registry = try ModuleRegistry([Declared("a", reads: ["ghost.metric"])])
        XCTAssertThrowsError(try registry.resolve(nil)) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 65)
            XCTAssertTrue(e.message.contains("'a' reads 'ghost.metric'"), e.message)
        }
    }

    func testTwoModulesWithTheSameIdAreRefused() {
        XCTAssertThrowsError(try ModuleRegistry([Declared("a"), Declared("a")])) { error in
            XCTAssertEqual((error as! DealcastError).code.exitStatus, 69)
        }
    }

    func testAnUnknownModuleIdIsAUsageErrorWithASuggestion() throws {
        let registry = try ModuleRegistry([Declared("capex_return")])
        XCTAssertThrowsError(try registry.resolve(["capex_retrun"])) { error in
            let e = error as! DealcastError
            XCTAssertEqual(e.code.exitStatus, 64)
            XCTAssertTrue(e.message.contains("did you mean 'capex_return'"), e.message)
        }
    }
}
