import XCTest
@testable import StyleGANTensor

/// Seeds must give the same z as `np.random.RandomState(seed).randn(512)`.
final class NumpyRandomTests: XCTestCase {
    func testMatchesNumpyPrintedValues() {
        for c in NumpyRandomFixture.cases {
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
