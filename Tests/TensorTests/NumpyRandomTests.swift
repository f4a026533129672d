import Foundation
import XCTest
@testable import StyleGANTensor

/// Seeds must give the same z as `np.random.RandomState(seed).randn(512)`; expected values
/// were printed by numpy (tools/make_numpy_random_fixture.py → Fixtures/numpy_random.json).
final class NumpyRandomTests: XCTestCase {
    private struct Fixture: Decodable {
        struct Case: Decodable { var seed: UInt32; var raw: [UInt32]; var head: [Double]; var tail: [Double] }
        var cases: [Case]
    }

    func testMatchesNumpyPrintedValues() throws {
        let url = Bundle.module.bundleURL.appendingPathComponent("Fixtures/numpy_random.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 5)
        for c in fixture.cases {
            var raw = NumpyRandomState(seed: c.seed)
            XCTAssertEqual((0..<8).map { _ in raw.nextUInt32() }, c.raw, "raw MT19937, seed \(c.seed)")
            var rng = NumpyRandomState(seed: c.seed)
            let z = (0..<512).map { _ in rng.nextGaussian() }
            for (i, expected) in c.head.enumerated() {
                XCTAssertEqual(z[i], expected, accuracy: 1e-12, "seed \(c.seed) z[\(i)]")
            }
            for (i, expected) in c.tail.enumerated() {
                XCTAssertEqual(z[504 + i], expected, accuracy: 1e-12, "seed \(c.seed) z[\(504 + i)]")
            }
        }
    }
}
