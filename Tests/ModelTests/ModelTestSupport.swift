import Foundation
import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor

/// A tiny configuration: 16 px, few channels, small latents.
func tinyConfig(resolution: Int = 16) -> StyleGANConfig {
    var c = StyleGANConfig()
    c.resolution = resolution
    c.latentSize = 8
    c.dlatentSize = 8
    c.mappingFmaps = 8
    c.mappingLayers = 2
    c.fmapBase = 32
    c.fmapMax = 8
    c.truncationCutoff = 2
    return c
}

func assertClose(_ a: Tensor, _ b: Tensor, relative: Float = 1e-5, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "shape \(message)", file: file, line: line)
    guard a.shape == b.shape else { return }
    let (x, y) = (a.scalars, b.scalars)
    let scale = max(y.map(abs).max() ?? 0, 1e-6)
    let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst / scale, relative, "max diff \(worst), scale \(scale) \(message)", file: file, line: line)
}

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Random non-trivial values for every parameter (official init leaves biases and noise
/// strengths at zero, which would hide errors in those paths).
func randomize(_ set: ParameterSet, seed: UInt64, scale: Float = 0.5) {
    let r = Tensor.randomNormal([set.count], seed: seed, scale: scale)
    set.flat.withMutableData { $0.baseAddress!.update(from: r.data, count: r.count) }
}
