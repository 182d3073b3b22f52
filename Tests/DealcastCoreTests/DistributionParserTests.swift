import XCTest
@testable import DealcastCore

/// The compact distribution syntax of scenario files: each form parses to its distribution and
/// dimension, and each malformed form throws a message that names the problem.
final class DistributionParserTests: XCTestCase {
    // MARK: - Plain amounts parse to fixed values in canonical units

    func testAmountsParseToFixedValuesInCanonicalUnits() {
        assertParses("15B USD", to: .fixed(15e9), .currency)
        assertParses("$15B", to: .fixed(15e9), .currency)
        assertParses("2 GW", to: .fixed(2), .power)
        assertParses("750 MW", to: .fixed(0.75), .power)
        assertParses("8%", to: .fixed(0.08), .ratio)
        assertParses("$80/MWh", to: .fixed(80), .energyPrice)
        assertParses("8.06 c/kWh", to: .fixed(80.6), .energyPrice)
        assertParses("$40B/GW", to: .fixed(40e9), .currencyPerPower)
        assertParses("6 years", to: .fixed(6), .duration)
        assertParses("18 months", to: .fixed(1.5), .duration)
        assertParses("fixed(15B USD)", to: .fixed(15e9), .currency)
    }

    // MARK: - "a to b"

    func testPositiveIntervalParsesToLognormalWithThoseFifthAndNinetyFifthPercentiles() throws {
        assertParses("35B USD/GW to 50B USD/GW", to: .lognormal(p5: 35e9, p95: 50e9), .currencyPerPower)
        let v = try DistributionParser.parse("35B USD/GW to 50B USD/GW")
        XCTAssertEqual(v.distribution.quantile(0.05), 35e9, accuracy: 35e9 * 1e-9)
        XCTAssertEqual(v.distribution.quantile(0.95), 50e9, accuracy: 50e9 * 1e-9)
    }

    func testIntervalReachingZeroParsesToNormalWithThatNinetyPercentInterval() {
        let sd = 0.08 / (2 * Distribution.z95)
        assertParses("-2% to 6%", to: .normal(mean: 0.02, sd: sd), .ratio)
    }

    // MARK: - Named distributions

    func testNormalParsesByNameAndByPosition() {
        assertParses("normal(mean=8%, sd=1.5%)", to: .normal(mean: 0.08, sd: 0.015), .ratio)
        assertParses("normal(8%, 1.5%)", to: .normal(mean: 0.08, sd: 0.015), .ratio)
        assertParses("normal(sd=1.5%, mean=8%)", to: .normal(mean: 0.08, sd: 0.015), .ratio)
    }

    func testEveryCatalogueNameParsesToItsDistribution() {
        assertParses("uniform(0.5, 0.9)", to: .uniform(min: 0.5, max: 0.9), .ratio)
        assertParses("lognormal(40B USD, 6B USD)", to: .lognormal(mean: 40e9, sd: 6e9), .currency)
        assertParses("lognormal(p5=35B USD, p95=50B USD)", to: .lognormal(p5: 35e9, p95: 50e9), .currency)
        assertParses("lognormal(mu=0, sigma=0.5)", to: .lognormal(mu: 0, sigma: 0.5), .ratio)
        assertParses("triangular(60, 80, 120)", to: .triangular(min: 60, mode: 80, max: 120), .ratio)
        assertParses("pert(600 MW, 800 MW, 1.2 GW)", to: .pert(min: 0.6, mode: 0.8, max: 1.2), .power)
        assertParses("beta(2, 5)", to: .beta(alpha: 2, beta: 5), .ratio)
        assertParses("gamma(2, 3 months)", to: .gamma(shape: 2, scale: 0.25), .duration)
        assertParses("bernoulli(30%)", to: .bernoulli(p: 0.3), .ratio)
    }

    func testDiscreteParsesValueWeightPairs() {
        assertParses("discrete(0 GW: 20%, 2 GW: 80%)", to: .discrete(values: [0, 2], probabilities: [0.2, 0.8]), .power)
        assertParses("discrete(0 GW: 20%, 1 GW: 50%, 2 GW: 30%)",
                     to: .discrete(values: [0, 1, 2], probabilities: [0.2, 0.5, 0.3]), .power)
    }

    func testDiscreteNormalisesWholeNumberWeights() {
        assertParses("discrete(0 GW: 1, 2 GW: 3)", to: .discrete(values: [0, 2], probabilities: [0.25, 0.75]), .power)
    }

    func testTruncatedParsesWithOneOrBothBounds() {
        assertParses("truncated(normal(8%, 3%), min=0%)",
                     to: .truncated(base: .normal(mean: 0.08, sd: 0.03), lower: 0, upper: .infinity), .ratio)
        assertParses("truncated(normal(8%, 3%), min=0%, max=20%)",
                     to: .truncated(base: .normal(mean: 0.08, sd: 0.03), lower: 0, upper: 0.2), .ratio)
        assertParses("truncated(lognormal(40B USD, 6B USD), max=45B USD)",
                     to: .truncated(base: .lognormal(mean: 40e9, sd: 6e9), lower: -.infinity, upper: 45e9), .currency)
    }

    func testEmpiricalParsesAListAndSortsIt() {
        assertParses("empirical(1, 2, 3)", to: .empirical(sorted: [1, 2, 3]), .ratio)
        assertParses("empirical(3 GW, 1 GW, 2 GW)", to: .empirical(sorted: [1, 2, 3]), .power)
    }

    func testEmpiricalFromAFileReadsTheColumnAndAppliesTheUnit() {
        var asked: (String, String)?
        let loader: DistributionParser.ColumnLoader = { file, column in
            asked = (file, column)
            return [3, 1, 2]
        }
        do {
            let v = try DistributionParser.parse("empirical(\"capex.csv\", \"cost\", unit=1M USD)", loadColumn: loader)
            XCTAssertEqual(v.dimension, .currency)
            XCTAssertEqual(v.distribution, .empirical(sorted: [1e6, 2e6, 3e6]))
            XCTAssertEqual(asked?.0, "capex.csv")
            XCTAssertEqual(asked?.1, "cost")
        } catch {
            XCTFail("parse failed: \(error.message)")
        }
    }

    // MARK: - Malformed forms

    func testMinAboveMaxIsRejected() {
        assertRejects("uniform(0.9, 0.5)", mentioning: "min < max")
        assertRejects("triangular(60, 130, 120)", mentioning: "min ≤ mode ≤ max")
        assertRejects("truncated(normal(0, 1), min=2, max=1)", mentioning: "min < max")
        assertRejects("50 to 20", mentioning: "a must be below b")
    }

    func testNonPositiveShapeParametersAreRejected() {
        assertRejects("beta(0, 2)", mentioning: "alpha > 0")
        assertRejects("beta(-1, 2)", mentioning: "alpha > 0")
        assertRejects("gamma(0, 1)", mentioning: "shape > 0")
        assertRejects("normal(0, -1)", mentioning: "positive sd")
        assertRejects("lognormal(-5B USD, 1B USD)", mentioning: "positive mean")
    }

    func testBernoulliProbabilityOutsideZeroToOneIsRejected() {
        assertRejects("bernoulli(1.5)", mentioning: "between 0 and 1")
        assertRejects("bernoulli(-10%)", mentioning: "between 0 and 1")
    }

    func testDiscreteWeightsMustBeNonNegativeAndSumToOne() {
        assertRejects("discrete(0 GW: 20%, 2 GW: 70%)", mentioning: "sum to 1")
        assertRejects("discrete(1: 120%, 2: -20%)", mentioning: "non-negative")
        assertRejects("discrete()", mentioning: "at least one")
        assertRejects("discrete(1, 2)", mentioning: "'value: weight' pairs")
    }

    func testMixedUnitsAreRejected() {
        assertRejects("uniform(1 GW, 5B USD)", mentioning: "different units")
        assertRejects("normal(mean=8%, sd=1.5 GW)", mentioning: "different units")
        assertRejects("10 GW to 20B USD", mentioning: "different units")
        assertRejects("discrete(0 GW: 50%, 2B USD: 50%)", mentioning: "different units")
        assertRejects("empirical(1 GW, 2 years)", mentioning: "different units")
        assertRejects("truncated(normal(1 GW, 1 GW), min=0%)", mentioning: "bound")
    }

    func testUnknownDistributionNameSuggestsTheClosest() {
        assertRejects("normla(0, 1)", mentioning: "unknown distribution 'normla'", "did you mean 'normal'?")
        assertRejects("lognrmal(1, 2)", mentioning: "did you mean 'lognormal'?")
        assertRejects("zzzzzzzz(1)", mentioning: "unknown distribution", "known: bernoulli, beta")
        assertNoSuggestion("zzzzzzzz(1)")
    }

    func testTrailingGarbageIsRejected() {
        assertRejects("15B USD extra", mentioning: "unexpected 'extra' after a complete value")
        assertRejects("normal(0, 1) 5", mentioning: "after a complete value")
        assertRejects("normal(0, 1) @", mentioning: "unexpected character '@'")
    }

    func testMalformedArgumentListsAreRejected() {
        assertRejects("", mentioning: "got nothing")
        assertRejects("normal(1, 2", mentioning: "expected ')'")
        assertRejects("normal(1, 2, 3)", mentioning: "takes 2 parameters")
        assertRejects("normal(mean=1, spread=2)", mentioning: "no parameter 'spread'")
        assertRejects("normal(1)", mentioning: "needs its parameter 'sd'")
        assertRejects("uniform(1, normal(0, 1))", mentioning: "plain amount, not a distribution")
        assertRejects("normal(\"x\", 1)", mentioning: "got a string")
        assertRejects("truncated(normal(0, 1))", mentioning: "min=, max= or both")
        assertRejects("normal(0, 1) to 5", mentioning: "two plain amounts")
        assertRejects("empirical()", mentioning: "at least one value")
    }

    func testUnreadableAmountsAreRejected() {
        assertRejects("12 furlongs", mentioning: "could not read a number with its unit")
        assertRejects("normal(\"unterminated, 1)", mentioning: "unterminated string")
    }

    func testTruncationKeepingNoProbabilityIsRejected() {
        assertRejects("truncated(normal(0, 1), min=50)", mentioning: "keeps no probability")
    }

    func testEmpiricalFileWithoutALoaderIsRejected() {
        assertRejects("empirical(\"capex.csv\", \"cost\")", mentioning: "not available here")
    }

    func testEmpiricalFileLoaderFailureIsReported() {
        struct Missing: Error, CustomStringConvertible { var description: String { "no such file" } }
        do {
            _ = try DistributionParser.parse("empirical(\"capex.csv\", \"cost\")", loadColumn: { _, _ in throw Missing() })
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.message.contains("no such file"), error.message)
        }
    }

    // MARK: - Helpers

    func assertParses(_ text: String, to expected: Distribution, _ dimension: DealcastCore.Dimension,
                      file: StaticString = #filePath, line: UInt = #line) {
        do {
            let v = try DistributionParser.parse(text)
            XCTAssertEqual(v.dimension, dimension, "'\(text)'", file: file, line: line)
            XCTAssertTrue(approximatelyEqual(v.distribution, expected),
                          "'\(text)' parsed to \(v.distribution), expected \(expected)", file: file, line: line)
        } catch {
            XCTFail("'\(text)' failed to parse: \(error.message)", file: file, line: line)
        }
    }

    func assertRejects(_ text: String, mentioning fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        do {
            let v = try DistributionParser.parse(text)
            XCTFail("'\(text)' parsed to \(v.distribution) but should have been rejected", file: file, line: line)
        } catch {
            for f in fragments {
                XCTAssertTrue(error.message.contains(f), "'\(text)': message \"\(error.message)\" does not mention \"\(f)\"", file: file, line: line)
            }
        }
    }

    func assertNoSuggestion(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try DistributionParser.parse(text)
            XCTFail("'\(text)' should have been rejected", file: file, line: line)
        } catch {
            XCTAssertFalse(error.message.contains("did you mean"), error.message, file: file, line: line)
        }
    }

    /// Same case and parameters equal to 1e-12 relative: unit factors such as 0.01 for "%" are not
    /// exact in binary, so "8%" is 8 × 0.01, which may differ from the literal 0.08 in the last bit.
    func approximatelyEqual(_ a: Distribution, _ b: Distribution) -> Bool {
        let (na, pa) = parameters(a), (nb, pb) = parameters(b)
        guard na == nb, pa.count == pb.count else { return false }
        return zip(pa, pb).allSatisfy { x, y in x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y)) }
    }

    func parameters(_ d: Distribution) -> (String, [Double]) {
        switch d {
        case .fixed(let v): return ("fixed", [v])
        case .uniform(let a, let b): return ("uniform", [a, b])
        case .normal(let m, let s): return ("normal", [m, s])
        case .lognormal(let mu, let s): return ("lognormal", [mu, s])
        case .triangular(let a, let c, let b): return ("triangular", [a, c, b])
        case .pert(let a, let c, let b): return ("pert", [a, c, b])
        case .beta(let a, let b): return ("beta", [a, b])
        case .gamma(let k, let t): return ("gamma", [k, t])
        case .bernoulli(let p): return ("bernoulli", [p])
        case .discrete(let v, let p): return ("discrete/\(v.count)", v + p)
        case .empirical(let xs): return ("empirical", xs)
        case .truncated(let base, let lo, let hi):
            let (n, p) = parameters(base)
            return ("truncated(\(n))", p + [lo, hi])
        }
    }
}

extension DistributionParserTests {
    func testACommaWithoutSpacesSeparatesParameters() throws {
        let v = try DistributionParser.parse("uniform(1,2)")
        XCTAssertEqual(v.distribution, .uniform(min: 1, max: 2))
    }
}
