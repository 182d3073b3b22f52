import DealcastCore
import DealcastTestSupport
import Foundation
import XCTest

/// Scenario variants (`variants:` and `set:` by field path) and the trial-by-trial comparison of two
/// runs with common random numbers.
final class VariantsTests: XCTestCase {
    /// A module that publishes 2x + y, reading `toy.x` and `toy.y`, and reads the list `toy.weights`.
    struct ToyModule: AnalysisModule {
        let descriptor = ModuleDescriptor(id: "toy", version: "test", summary: "2x + y", metrics: [
            MetricSpec("value", unit: "USD", summary: "2x + y", headline: true),
            MetricSpec("y_only", unit: "USD", summary: "y"),
        ])

        func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator {
            _ = binder.fixedList("toy.weights", .ratio)
            return Evaluator(x: binder.input("toy.x", .currency, summary: "x"), y: binder.input("toy.y", .currency, summary: "y"))
        }

        struct Evaluator: ModuleEvaluator {
            let x, y: InputHandle
            func evaluate(_ block: BlockContext) throws {
                let x = block.input(x), y = block.input(y), out = block.output("value"), yOut = block.output("y_only")
                for i in 0 ..< block.count { out[i] = 2 * x[i] + y[i]; yOut[i] = y[i] }
            }
        }
    }

    static let yaml = """
        id: toy
        horizon: {start: 2026Q1, end: 2026Q4}
        toy:
          x:
            value: uniform(0 USD, 1 USD)
            source: "A made-up source"
          y: normal(10 USD, 3 USD)
          weights: {value: [0.2, 0.8], assumption: "made up"}
        variants:
          - name: x shifted up
            description: "x one dollar higher"
            set:
              toy.x: uniform(1 USD, 2 USD)
          - name: second weight
            set:
              toy.weights[1]: 0.7
          - name: annotated
            set:
              toy.x: {value: 3 USD, source: "Another source"}

        """

    func scenario(_ text: String = yaml) throws -> Scenario { try TestScenario.load(text) }

    func run(_ s: Scenario, seed: UInt64 = 1, sampling: SamplingMethod = .lhs) throws -> RunResults {
        let plan = try RunPlan(scenario: s, registry: try ModuleRegistry([ToyModule()]))
        return try Engine.run(plan, RunConfiguration(trials: 10_000, seed: seed, threads: 2, sampling: sampling))
    }

    // MARK: Declaring and applying

    func testVariantsAreReadInFileOrderAndTheSectionIsNotAnUnknownKey() throws {
        let s = try scenario()
        XCTAssertEqual(try s.variants().map(\.name), ["x shifted up", "second weight", "annotated"])
        XCTAssertEqual(try s.variant(named: "x shifted up").overrides.map(\.path), ["toy.x"])
        XCTAssertEqual(try s.variant(named: "second weight").slug, "second-weight")
        XCTAssertNoThrow(try run(s), "a scenario with variants still runs")
    }

    func testAPlainOverrideReplacesTheValueAndRecordsTheVariantAsItsProvenance() throws {
        let s = try scenario()
        let v = try s.applying(s.variant(named: "x shifted up"))
        XCTAssertEqual(v.node(at: "toy.x")?["value"]?.scalar, "uniform(1 USD, 2 USD)")
        XCTAssertEqual(v.sha256, s.sha256)
        XCTAssertTrue(v.title.hasSuffix("variant: x shifted up"), v.title)
        let input = try XCTUnwrap(try run(v).plan.inputs.first { $0.path == "toy.x" })
        XCTAssertEqual(input.value.distribution, .uniform(min: 1, max: 2))
        XCTAssertEqual(input.provenance.kind, .assumption)
        XCTAssertEqual(input.provenance.text, "set by variant 'x shifted up' (the base scenario has 'uniform(0 USD, 1 USD)')")
        XCTAssertEqual(v.line(of: "toy.x"), 13, "errors about the new value point at the variant's line")
    }

    func testAnAnnotatedOverrideKeepsItsOwnSource() throws {
        let s = try scenario()
        let input = try XCTUnwrap(try run(s.applying(s.variant(named: "annotated"))).plan.inputs.first { $0.path == "toy.x" })
        XCTAssertEqual(input.value.distribution, .fixed(3))
        XCTAssertEqual(input.provenance.kind, .source)
        XCTAssertEqual(input.provenance.text, "Another source")
    }

    func testAnOverrideCanReachIntoAnAnnotatedList() throws {
        let s = try scenario()
        let v = try s.applying(s.variant(named: "second weight"))
        XCTAssertEqual(v.node(at: "toy.weights[0]")?.scalar, "0.2")
        XCTAssertEqual(v.node(at: "toy.weights[1]")?.scalar, "0.7")
        XCTAssertEqual(try run(v).plan.fixedInputs.first { $0.path == "toy.weights" }?.written, "[0.2, 0.7]")
    }

    // MARK: Errors

    func variantError(_ variants: String) -> DealcastError? {
        let text = Self.yaml.components(separatedBy: "variants:")[0] + "variants:\n" + variants
        do {
            _ = try scenario(text).variants()
            return nil
        } catch {
            return error as? DealcastError
        }
    }

    func testAnUnknownPathIsLocatedWithADidYouMean() throws {
        let e = try XCTUnwrap(variantError("  - name: typo\n    set:\n      toy.xx: 1 USD\n"))
        XCTAssertEqual(e.code, .invalidData)
        XCTAssertEqual(e.issues.first?.line, 12)
        XCTAssertEqual(e.issues.first?.path, "variants[0].set")
        XCTAssertTrue(e.message.contains("'toy' has no key 'xx'; did you mean 'toy.x'?"), e.message)
    }

    func testAListIndexOutOfRangeSaysHowManyItemsThereAre() throws {
        let e = try XCTUnwrap(variantError("  - name: too far\n    set:\n      toy.weights[2]: 0.1\n"))
        XCTAssertTrue(e.message.contains("'toy.weights' has 2 item(s), indices 0 to 1"), e.message)
    }

    func testMetadataMalformedPathsAndMalformedEntriesAreAllReported() throws {
        let e = try XCTUnwrap(variantError("""
              - name: meta
                set:
                  horizon.end: 2027Q4
              - name: meta
                sett:
                  toy.x: 1 USD
              - name: bad path
                set:
                  "toy..x": 1 USD
              - just text

            """))
        let messages = e.issues.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("a variant cannot change 'horizon', which is read when the file is loaded") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("'meta' is used by an earlier variant") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("unknown key 'sett' in a variant; did you mean 'set'?") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("'toy..x' is not a field path") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("expected a mapping with 'name:' and 'set:', got a value") }, "\(messages)")
        XCTAssertTrue(e.issues.allSatisfy { $0.line != nil })
    }

    func testAnUnknownVariantNameIsAUsageErrorNamingTheVariants() throws {
        let s = try scenario()
        XCTAssertThrowsError(try s.variant(named: "x shifted")) { e in
            let e = e as! DealcastError
            XCTAssertEqual(e.code, .usage)
            XCTAssertTrue(e.message.contains("did you mean 'x shifted up'?"), e.message)
            XCTAssertTrue(e.message.contains("'second weight'"), e.message)
        }
        XCTAssertThrowsError(try scenario(Self.yaml.components(separatedBy: "variants:")[0]).variant(named: "x")) { e in
            XCTAssertTrue("\(e)".contains("declares no variants"), "\(e)")
        }
    }

    // MARK: Comparison with common random numbers

    func testUnchangedInputsDrawTheSameNumbersSoTheDifferenceIsExactlyTheChange() throws {
        let s = try scenario()
        for sampling in SamplingMethod.allCases {
            let a = try run(s, sampling: sampling), b = try run(s.applying(s.variant(named: "x shifted up")), sampling: sampling)
            let c = Comparison.of(a, b)
            XCTAssertEqual(c.sharedUnchangedInputs, 1, "toy.y")
            XCTAssertEqual(c.identicallyDrawn, 1)
            XCTAssertEqual(c.inputChanges.map(\.path), ["toy.x"])
            // Both uniforms map the same uniform draw (flat: a + (b − a)u; LHS: the inverse CDF), so the
            // draws are comonotone and B − A = 2 · 1 USD in every trial.
            XCTAssertEqual(try XCTUnwrap(c.inputChanges[0].drawRankCorrelation), 1, accuracy: 1e-12)
            let m = try XCTUnwrap(c.metrics.first { $0.key == "toy.value" })
            XCTAssertEqual(m.difference.mean, 2, accuracy: 1e-12)
            XCTAssertEqual(m.difference.sd, 0, accuracy: 1e-12)
            XCTAssertEqual(m.probabilityBGreater, 1)
            XCTAssertGreaterThan(m.varianceRatio, 1e12)
            XCTAssertTrue(try XCTUnwrap(c.metrics.first { $0.key == "toy.y_only" }).identical)
            XCTAssertFalse(m.identical)
        }
    }

    func testIndependentRunsPairNothingAndGiveTheIndependentStandardError() throws {
        let s = try scenario()
        let a = try run(s, seed: 1, sampling: .random), b = try run(s.applying(s.variant(named: "x shifted up")), seed: 2, sampling: .random)
        let c = Comparison.of(a, b)
        XCTAssertEqual(c.identicallyDrawn, 0)
        let m = try XCTUnwrap(c.metrics.first { $0.key == "toy.value" })
        // Independent sides: correlation within 4/√n of 0, and sd(B − A)/√n agrees with √((var A + var B)/n)
        // to within the sampling error of a standard deviation (≈ 1/√(2n) relative; 4 of them).
        let n = Double(m.paired)
        XCTAssertEqual(m.correlation, 0, accuracy: 4 / n.squareRoot())
        XCTAssertEqual(m.stderrPaired / m.stderrIndependent, 1, accuracy: 4 / (2 * n).squareRoot() + 4 / n.squareRoot())
        // The mean difference is still 2, within 4 standard errors.
        XCTAssertEqual(m.difference.mean, 2, accuracy: 4 * m.stderrPaired)
    }
}
