import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-train-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Procedural images: a smooth colour gradient plus one random disc, [0, 1].
/// `desaturate` mixes each pixel towards its gray value (a colour change that survives
/// SWD's per-channel normalisation, unlike a uniform tint).
func syntheticImage(size: Int, seed: UInt64, blurred: Bool = false, desaturate: Float = 0) -> RGBImage {
    let rng = CounterRandom(seed: seed)
    var image = RGBImage(width: size, height: size)
    let base = (0..<3).map { Float(rng.uniform(1, UInt64($0))) }
    let (cx, cy) = (Float(rng.uniform(2, 0)) * Float(size), Float(rng.uniform(2, 1)) * Float(size))
    let radius = Float(size) * (0.15 + 0.25 * Float(rng.uniform(2, 2)))
    let disc = (0..<3).map { Float(rng.uniform(3, UInt64($0))) }
    for c in 0..<3 {
        for y in 0..<size {
            for x in 0..<size {
                let inside = (Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy) < radius * radius
                let v = inside ? disc[c] : base[c] * Float(x + y) / Float(2 * size)
                image[channel: c, y: y, x: x] = min(max(v, 0), 1)
            }
        }
    }
    if desaturate > 0 {
        let plane = size * size
        for i in 0..<plane {
            let gray = (image.pixels[i] + image.pixels[plane + i] + image.pixels[2 * plane + i]) / 3
            for c in 0..<3 { image.pixels[c * plane + i] += desaturate * (gray - image.pixels[c * plane + i]) }
        }
    }
    guard blurred else { return image }
    let t = withoutGradients { blur(blur(blur(ImageConversion.tensor(from: [image])))) }
    var out = ImageConversion.images(from: t)[0]
    out.pixels = t.scalars.map { ($0 + 1) / 2 }
    return out
}

/// Writes `count` synthetic PNGs into `dir`.
func writeSyntheticDataset(_ dir: String, count: Int, size: Int) throws {
    for i in 0..<count {
        try PNG.write(syntheticImage(size: size, seed: UInt64(i)), to: "\(dir)/img\(i).png")
    }
}

/// Tiny training options for tests.
func tinyOptions(data: String, resolution: Int = 8) -> TrainingOptions {
    var c = StyleGANConfig()
    c.resolution = resolution; c.latentSize = 8; c.dlatentSize = 8; c.mappingFmaps = 8; c.mappingLayers = 2
    c.fmapBase = 32; c.fmapMax = 8
    var o = TrainingOptions(dataDirectory: data, config: c)
    o.schedule.startResolution = 4
    o.schedule.stableKimg = 0.016
    o.schedule.fadeKimg = 0.016
    o.schedule.defaultMinibatch = 4
    o.totalKimg = 0.2
    o.tickKimg = 0.04
    o.emaHalfLifeKimg = 0.05
    o.seed = 5
    return o
}

/// Asserts that `body` throws an error whose message contains `fragment`.
func assertThrows<T>(_ body: @autoclosure () throws -> T, containing fragment: String,
                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertTrue("\(error)".contains(fragment), "message was: \(error)", file: file, line: line)
    }
}
