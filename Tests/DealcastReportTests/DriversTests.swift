import DealcastCore
@testable import DealcastReport
import DealcastTestSupport
import Foundation
import XCTest

/// The tornado's numbers: the metric's mean over the trials whose draw of an input lies in its lowest
/// and highest tenth, against closed forms.
final class DriversTests: XCTestCase {
    func testTenthMeansMatchTheirClosedFormsWithinFourStandardErrors() throws {
        // value = gain − cost with gain ~ U(0, 10B) and cost ~ N(6B, 1B), independent.
        // Gain in its lowest tenth: E[value] = 0.5B − 6B; highest: 9.5B − 6B.
        // Cost in its lowest tenth (below 6B − 1.2816B): E[value] = 5B − (6B − 1B·φ(1.2816)/0.1).
        let trials = 40_000
        let results = try ToyModule.run(trials: trials, seed: 11)
        let drivers = Driver.of(results, metric: "toy.value_usd")
        XCTAssertEqual(drivers.map(\.input), ["toy.gain", "toy.cost"], "largest swing first")
        let gain = drivers[0], cost = drivers[1]
        // Standard error of a tenth's mean: the value's sd within the tenth over √(n/10).
        // Within a gain tenth: sd² = (1B)²/12 + (1B)² (uniform width 1B, plus the cost); within a cost tenth it is at most the gain's sd.
        let tenth = Double(trials) / 10
        let seGain = (1.0 / 12 + 1).squareRoot() * 1e9 / tenth.squareRoot()
        let seCost = (100.0 / 12 + 1).squareRoot() * 1e9 / tenth.squareRoot()
        XCTAssertEqual(gain.meanIfLow, -5.5e9, accuracy: 4 * seGain)
        XCTAssertEqual(gain.meanIfHigh, 3.5e9, accuracy: 4 * seGain)
        let tail = 1e9 * exp(-1.2815515655446004 * 1.2815515655446004 / 2) / (2 * Double.pi).squareRoot() / 0.1
        XCTAssertEqual(cost.meanIfLow, 5e9 - (6e9 - tail), accuracy: 4 * seCost)
        XCTAssertEqual(cost.meanIfHigh, 5e9 - (6e9 + tail), accuracy: 4 * seCost)
        XCTAssertGreaterThan(gain.spearman, 0)
        XCTAssertLessThan(cost.spearman, 0)
    }

    func testAConstantMetricHasNoDrivers() throws {
        let results = try ToyModule.run(trials: 500)
        XCTAssertEqual(Driver.of(results, metric: "toy.unknown"), [])
    }
}
