import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor

/// Library-level latent logic: walks, interpolation, style layer ranges and mixing, grids.
final class LatentsTests: XCTestCase {
    func testWalkFramesAndCount() {
        let keys: [[Float]] = [[1, 0], [0, 1], [-1, 0]]
        let walk = LatentWalk(keys: keys, framesPerKey: 4, loop: false, mode: .lerp)
        XCTAssertEqual(walk.frameCount, 9)
        XCTAssertEqual(walk.frame(0), [1, 0])
        XCTAssertEqual(walk.frame(2), [0.5, 0.5])
        XCTAssertEqual(walk.frame(4), [0, 1])
        XCTAssertEqual(walk.frame(8), [-1, 0], "ends on the last key")
        let loop = LatentWalk(keys: keys, framesPerKey: 4, loop: true, mode: .lerp)
        XCTAssertEqual(loop.frameCount, 12)
        XCTAssertEqual(loop.frame(9), [-0.5, 0], "the last leg returns to the first key")
    }

    func testSlerpKeepsTheNormAndEndpoints() {
        let a: [Float] = [3, 0, 0], b: [Float] = [0, 3, 0]
        for t: Float in [0, 0.25, 0.5, 0.9, 1] {
            let p = LatentInterpolation.slerp(a, b, t)
            XCTAssertEqual(sqrt(p.reduce(0) { $0 + $1 * $1 }), 3, accuracy: 1e-5, "t \(t)")
        }
        XCTAssertEqual(LatentInterpolation.slerp(a, b, 0), a)
        XCTAssertEqual(LatentInterpolation.slerp(a, b, 1)[1], 3, accuracy: 1e-6)
        let lerped = LatentInterpolation.lerp(a, b, 0.5)
        XCTAssertEqual(lerped, [1.5, 1.5, 0])
        XCTAssertEqual(LatentInterpolation.slerp([0, 0, 0], b, 0.5), [0, 1.5, 0], "a zero vector falls back to lerp")
    }

    func testStyleLayerNames() throws {
        XCTAssertEqual(try StyleLayers.named("coarse", numLayers: 18), 0...3)
        XCTAssertEqual(try StyleLayers.named("middle", numLayers: 18), 4...7)
        XCTAssertEqual(try StyleLayers.named("fine", numLayers: 18), 8...17)
        XCTAssertEqual(try StyleLayers.named("2-5", numLayers: 18), 2...5)
        for bad in ["-1-3", "3-2", "1-", "x", "0-18", "1-2-3"] {
            XCTAssertThrowsError(try StyleLayers.named(bad, numLayers: 18), bad)
        }
    }

    func testRangeMixingTakesTheSourceLayers() {
        let g = Generator(config: tinyConfig(), seed: 1)   // 6 layers
        let (n, layers, d) = (2, g.config.numLayers, g.config.dlatentSize)
        let a = Tensor.randomNormal([n, layers, d], seed: 1), b = Tensor.randomNormal([n, layers, d], seed: 2)
        let mixed = g.mix(a, b, layers: 2...3)
        for i in 0..<n {
            for l in 0..<layers {
                let row = Array(mixed.scalars[((i * layers + l) * d)..<((i * layers + l + 1) * d)])
                let from = (2...3).contains(l) ? b : a
                XCTAssertEqual(row, Array(from.scalars[((i * layers + l) * d)..<((i * layers + l + 1) * d)]), "image \(i) layer \(l)")
            }
        }
        XCTAssertEqual(g.mix(a, b, crossover: 4).scalars, g.mix(a, b, layers: 4...(layers - 1)).scalars)
        XCTAssertEqual(g.mix(a, b, layers: 0...(layers - 1)).scalars, b.scalars)
    }

    func testGridCanvasPlacesCellsAndBoundsItsSize() throws {
        var canvas = try GridCanvas(cellWidth: 2, cellHeight: 1, count: 3, columns: 2, spacing: 1, background: 0.5)
        canvas.place(RGBImage(width: 2, height: 1, fill: 1), at: 2)
        XCTAssertEqual([canvas.image.width, canvas.image.height], [5, 3])
        XCTAssertEqual(canvas.image[channel: 0, y: 2, x: 1], 1)
        XCTAssertEqual(canvas.image[channel: 0, y: 0, x: 1], 0.5)
        XCTAssertThrowsError(try GridCanvas(cellWidth: 1024, cellHeight: 1024, count: 100, columns: 100)) {
            XCTAssertTrue("\($0)".contains("over the limit"), "\($0)")
        }
        XCTAssertThrowsError(try GridCanvas(cellWidth: Int.max / 2, cellHeight: 4, count: 4, columns: 4), "overflow is an error, not a trap")
    }

    func testCubicWalkPassesThroughKeysSmoothly() {
        let keys: [[Float]] = [[0, 0], [1, 2], [3, 1], [4, 4]]
        for loop in [false, true] {
            let walk = LatentWalk(keys: keys, framesPerKey: 8, loop: loop, mode: .cubic)
            for k in 0..<keys.count { XCTAssertEqual(walk.frame(8 * k), keys[k], "key \(k) loop \(loop)") }
        }
        // C1: the one-sided difference quotients at an inner key agree (they would
        // not for lerp, whose direction jumps there).
        let p = { (t: Float) in LatentInterpolation.catmullRom(keys[0], keys[1], keys[2], keys[3], t) }
        let q = { (t: Float) in LatentInterpolation.catmullRom(keys[1], keys[2], keys[3], keys[3], t) }
        // p runs keys[1] → keys[2] and q keys[2] → keys[3]: both leave/arrive at keys[2].
        let h: Float = 1e-3
        for i in 0..<2 {
            XCTAssertEqual((p(1)[i] - p(1 - h)[i]) / h, (q(h)[i] - q(0)[i]) / h, accuracy: 2e-2)
        }
        // Tangent at key 2 is (key3 − key1)/2.
        XCTAssertEqual((p(1)[0] - p(1 - h)[0]) / h, 1.5, accuracy: 1e-2)
        // Collinear, evenly spaced keys give evenly spaced points.
        let line = LatentWalk(keys: [[0], [1], [2], [3]], framesPerKey: 4, loop: false, mode: .cubic)
        XCTAssertEqual(line.frame(5)[0], 1.25, accuracy: 1e-6)
    }

    func testEasingSlowsTheEndsOfEveryLeg() {
        XCTAssertEqual(LatentEasing.smooth(0), 0)
        XCTAssertEqual(LatentEasing.smooth(1), 1)
        XCTAssertEqual(LatentEasing.smooth(0.5), 0.5)
        XCTAssertEqual(LatentEasing.smooth(0.1), 0.028, accuracy: 1e-6)
        XCTAssertEqual(LatentEasing.linear(0.1), 0.1)
        let walk = LatentWalk(keys: [[0], [1], [2]], framesPerKey: 10, loop: false, mode: .lerp, easing: .smooth)
        XCTAssertEqual(walk.frame(11)[0], 1.028, accuracy: 1e-6)
        XCTAssertEqual(walk.frame(10)[0], 1)
    }

    func testTruncationOfArbitraryDlatents() {
        let g = Generator(config: tinyConfig(), seed: 3)
        g.dlatentAvg = Tensor.randomNormal([8], seed: 9)
        let w = Tensor.randomNormal([2, 8], seed: 4)
        let rows = broadcast(reshape(w, [2, 1, 8]), to: [2, g.config.numLayers, 8])
        assertClose(g.truncate(rows, psi: 0.5), g.dlatents(from: w, psi: 0.5), relative: 0)
        let truncated = g.truncate(rows, psi: 0.5, cutoff: 1)
        let (avg, x) = (g.dlatentAvg.scalars[3], w.scalars[3])
        XCTAssertEqual(truncated.scalars[3], avg + 0.5 * (x - avg), accuracy: 1e-6, "layer 0 truncated")
        XCTAssertEqual(truncated.scalars[8 + 3], x, "layer 1 above the cutoff unchanged")
        assertClose(g.truncate(rows, psi: 1), rows, relative: 0)
    }
}

/// `generate`'s default batch follows a memory budget instead of a fixed 8, and stops
/// where batching no longer pays.
final class DefaultBatchTests: XCTestCase {
    func testBatchFitsTheBudget() {
        for (resolution, expected) in [(1024, 1), (256, 4), (64, 16), (16, 16)] {
            let g = Generator(config: .official(resolution: resolution), initialize: false)
            XCTAssertEqual(g.defaultBatch(memoryBudget: 1 << 30), expected, "\(resolution)²")
        }
        XCTAssertEqual(Generator(config: .official(resolution: 64), initialize: false).defaultBatch(memoryBudget: 1), 1)
        XCTAssertEqual(Generator(config: .official(resolution: 64), initialize: false).defaultBatch(memoryBudget: 3 * 8 * (4 << 20)), 3)
    }
}
