import DealcastCore
@testable import DealcastReport
import DealcastTestSupport
import Foundation
import XCTest

/// samples.csv: one row per trial, every uncertain input and metric, numbers that read back exactly.
final class SamplesCSVTests: XCTestCase {
    func testEveryTrialIsARowWhoseNumbersReadBackBitForBit() throws {
        // More trials than one chunk and one buffer flush, and not a multiple of either.
        let results = try ToyModule.run(trials: 3 * SamplesCSV.chunk + 17)
        let dir = try CLI.temporaryDirectory(self)
        let url = dir.appendingPathComponent("samples.csv")
        var writer = try OutputWriter(directory: dir, displayPath: "out")
        try writer.stage(file: url, displayPath: "samples.csv") { out throws(DealcastError) in try SamplesCSV.write(results, to: &out) }
        try writer.commit()
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "", "the file ends with a line break")
        XCTAssertEqual(lines.first, "trial,toy.gain,toy.cost,toy.value_usd,toy.gain_usd,toy.cost_usd,toy.win")
        XCTAssertEqual(lines.count - 2, results.config.trials)
        let gain = try XCTUnwrap(results.inputValues("toy.gain")), value = try XCTUnwrap(results.values("toy.value_usd"))
        let win = try XCTUnwrap(results.values("toy.win"))
        for t in [0, 1, SamplesCSV.chunk - 1, SamplesCSV.chunk, results.config.trials - 1] {
            let cells = lines[t + 1].split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(cells.count, 7)
            XCTAssertEqual(cells[0], Substring(String(t + 1)))
            XCTAssertEqual(Double(cells[1])?.bitPattern, gain[t].bitPattern, "trial \(t + 1)")
            XCTAssertEqual(Double(cells[3])?.bitPattern, value[t].bitPattern, "trial \(t + 1)")
            XCTAssertEqual(cells[6], win[t] == 1 ? "1" : "0", "a whole number is written without a decimal point")
        }
    }

    /// A metric kept in single precision (not headline) is written as the shortest text of its Float,
    /// which reads back as that Float; a headline one as the shortest text of its Double.
    func testAMetricKeptInSinglePrecisionIsWrittenAsItsFloat() throws {
        let results = try ToyModule.run(trials: 100)
        XCTAssertEqual(results.keepsInDoublePrecision("toy.value_usd"), true)
        XCTAssertEqual(results.keepsInDoublePrecision("toy.gain_usd"), false)
        let gain = try XCTUnwrap(results.values("toy.gain_usd"))
        for v in gain where v != v.rounded() {
            var line: [UInt8] = []
            SamplesCSV.append(v, single: true, to: &line)
            let text = String(decoding: line, as: UTF8.self)
            XCTAssertEqual(Float(text), Float(v), text)
            XCTAssertEqual(text, Float(v).description)
        }
        var line: [UInt8] = []
        SamplesCSV.append(Double(Float(1.331)), single: true, to: &line)
        XCTAssertEqual(String(decoding: line, as: UTF8.self), "1.331")
    }

    func testUndefinedValuesAreEmptyCellsAndOddHeadersAreQuoted() {
        var line: [UInt8] = []
        SamplesCSV.append(.nan, to: &line)
        XCTAssertEqual(line, [])
        SamplesCSV.append(-0.1, to: &line)
        SamplesCSV.append(15e9, to: &line)
        SamplesCSV.append(1e300, to: &line)
        XCTAssertEqual(String(decoding: line, as: UTF8.self), "-0.1" + "15000000000" + "1e+300")
        XCTAssertEqual(SamplesCSV.field("a,b"), "\"a,b\"")
        XCTAssertEqual(SamplesCSV.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(SamplesCSV.field("deal.tranches[1].amount"), "deal.tranches[1].amount")
    }
}
