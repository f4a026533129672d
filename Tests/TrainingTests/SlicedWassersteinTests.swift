import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

final class SlicedWassersteinTests: XCTestCase {
    private func set(_ seeds: Range<Int>, blurred: Bool = false, desaturate: Float = 0) -> Tensor {
        ImageConversion.tensor(from: seeds.map { syntheticImage(size: 32, seed: UInt64($0), blurred: blurred, desaturate: desaturate) })
    }

    func testIdenticalSetsScoreZeroAndDistortionsScoreWorse() {
        let swd = SlicedWasserstein(resolution: 32)
        XCTAssertEqual(swd.levels, [32, 16])
        let a = set(0..<32), b = set(32..<64)
        let same = swd.distance(reals: a, fakes: a, seed: 1)
        XCTAssertLessThan(same.average, 1e-6)
        let sample = swd.distance(reals: a, fakes: b, seed: 1)
        let blurred = swd.distance(reals: a, fakes: set(32..<64, blurred: true), seed: 1)
        let tinted = swd.distance(reals: a, fakes: set(32..<64, desaturate: 0.8), seed: 1)
        XCTAssertGreaterThan(blurred.perLevel[32]!, 2 * sample.perLevel[32]!, "blur must hurt the finest level: \(blurred.perLevel) vs \(sample.perLevel)")
        XCTAssertGreaterThan(tinted.average, 1.5 * sample.average, "a colour shift must hurt: \(tinted.average) vs \(sample.average)")
    }

    func testPyramidMatchesScipyMirrorConvention() {
        // mirror(-1) = 1, mirror(n) = n - 2 (scipy.ndimage mode 'mirror').
        XCTAssertEqual(SlicedWasserstein.mirror(-1, 5), 1)
        XCTAssertEqual(SlicedWasserstein.mirror(-2, 5), 2)
        XCTAssertEqual(SlicedWasserstein.mirror(5, 5), 3)
        XCTAssertEqual(SlicedWasserstein.mirror(6, 5), 2)
        // pyrUp(pyrDown(constant)) is the same constant.
        let c = [Float](repeating: 3, count: 64)
        let up = SlicedWasserstein.pyrUp(SlicedWasserstein.pyrDown(c, planes: 1, size: 8), planes: 1, size: 4)
        XCTAssertTrue(up.allSatisfy { abs($0 - 3) < 1e-5 })
    }
}
