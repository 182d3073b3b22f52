import XCTest
@testable import DealcastCore

/// Amounts written the way analysts write them, read into canonical units.
final class QuantityParserTests: XCTestCase {
    func testCurrencyWithScaleWordOrDollarSign() {
        assertQuantity("15B USD", 15e9, .currency)
        assertQuantity("$15B", 15e9, .currency)
        assertQuantity("$15 bn", 15e9, .currency)
        assertQuantity("650m USD", 650e6, .currency)
        assertQuantity("1.2 trillion USD", 1.2e12, .currency)
        assertQuantity("$1_500", 1500, .currency)
        assertQuantity("-$450M", -450e6, .currency)
        assertQuantity("$-450M", -450e6, .currency)
    }

    func testPowerIsCanonicallyGigawatts() {
        assertQuantity("2 GW", 2, .power)
        assertQuantity("750 MW", 0.75, .power)
        assertQuantity("1_500 MW", 1.5, .power)
        // A comma is never a thousands separator: inside a distribution it separates parameters.
        XCTAssertNil(QuantityParser.parse("1,500 MW"))
        assertQuantity("1.5e3 MW", 1.5, .power)
    }

    func testRatiosFromPercentagesBasisPointsAndMultiples() {
        assertQuantity("8%", 0.08, .ratio)
        assertQuantity("-5%", -0.05, .ratio)
        assertQuantity("250 bps", 0.025, .ratio)
        assertQuantity("2.5x", 2.5, .ratio)
        assertQuantity("0.4", 0.4, .ratio)
    }

    func testEnergyPricesAreCanonicallyDollarsPerMegawattHour() {
        assertQuantity("$80/MWh", 80, .energyPrice)
        assertQuantity("80 USD/MWh", 80, .energyPrice)
        assertQuantity("8.06 c/kWh", 80.6, .energyPrice)
        assertQuantity("$0.12/kWh", 120, .energyPrice)
    }

    func testCostPerPowerIsCanonicallyDollarsPerGigawatt() {
        assertQuantity("$40B/GW", 40e9, .currencyPerPower)
        assertQuantity("35B USD/GW", 35e9, .currencyPerPower)
        assertQuantity("$1.2M/MW", 1.2e9, .currencyPerPower)
    }

    func testDurationsAreCanonicallyYears() {
        assertQuantity("6 years", 6, .duration)
        assertQuantity("18 months", 1.5, .duration)
        assertQuantity("2 quarters", 0.5, .duration)
        assertQuantity("1 year", 1, .duration)
    }

    /// "15B" alone is a count: Dealcast asks for the currency to be written rather than guessing it.
    func testScaleWithoutCurrencyIsAPlainNumber() {
        assertQuantity("15B", 15e9, .ratio)
    }

    func testTextThatIsNotAQuantityGivesNil() {
        for text in ["", "abc", "12 furlongs", "$2 GW", "650 m", "15B USD extra", "$", "-", "1.2.3"] {
            XCTAssertNil(QuantityParser.parse(text), "'\(text)'")
        }
    }

    func testUnitFormatWritesCanonicalValuesForPeople() {
        XCTAssertEqual(UnitFormat.format(15e9, .currency), "$15.0B")
        XCTAssertEqual(UnitFormat.format(-450e6, .currency), "−$450M")
        XCTAssertEqual(UnitFormat.format(0.75, .power), "750 MW")
        XCTAssertEqual(UnitFormat.format(2, .power), "2.00 GW")
        XCTAssertEqual(UnitFormat.format(80, .energyPrice), "$80.0/MWh")
        XCTAssertEqual(UnitFormat.format(40e9, .currencyPerPower), "$40.0B/GW")
        XCTAssertEqual(UnitFormat.percent(0.085), "8.5%")
        XCTAssertEqual(UnitFormat.fixed(-0.00001, 2), "0.00")
    }

    func assertQuantity(_ text: String, _ value: Double, _ dimension: DealcastCore.Dimension,
                        file: StaticString = #filePath, line: UInt = #line) {
        guard let q = QuantityParser.parse(text) else {
            return XCTFail("'\(text)' did not parse", file: file, line: line)
        }
        XCTAssertEqual(q.dimension, dimension, "'\(text)'", file: file, line: line)
        // Unit factors such as 0.01 and 1/12 are not exact in binary: compare to 1e-12 relative.
        XCTAssertEqual(q.value, value, accuracy: abs(value) * 1e-12, "'\(text)'", file: file, line: line)
    }
}
