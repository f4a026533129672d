import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor

final class ProgressiveTests: XCTestCase {
    func testProgressionFromLod() {
        XCTAssertEqual(Progression(lod: 0, log2Resolution: 6), Progression(lod: -1, log2Resolution: 6))
        let p = Progression(lod: 2.25, log2Resolution: 6)
        XCTAssertEqual(p.top, 4)
        XCTAssertEqual(p.fade, 0.25)
        XCTAssertEqual(Progression(lod: 9, log2Resolution: 6).resolution, 4)
        XCTAssertEqual(p.activeLayers, 6)                                        // 4², 8², 16²
        XCTAssertEqual(Progression(lod: 0, log2Resolution: 6).activeLayers, 10)  // all of a 64² model
    }

    /// Output sizes follow the lod, and a fade is continuous at its ends: lod → k⁺ equals
    /// lod = k, and lod → (k+1)⁻ equals the upsampled image of lod = k+1.
    func testFadeIsContinuous() {
        let config = tinyConfig(resolution: 16)
        let g = Generator(config: config, seed: 2)
        randomize(g.params, seed: 3, scale: 0.3)
        let d = g.dlatents(from: withoutGradients { g.map(Tensor.randomNormal([2, config.latentSize], seed: 4)) })
        let at = { (lod: Float) in withoutGradients { g.synthesize(d, noise: .constant, lod: lod) } }
        XCTAssertEqual(at(0).shape, [2, 3, 16, 16])
        XCTAssertEqual(at(1).shape, [2, 3, 8, 8])
        XCTAssertEqual(at(1.5).shape, [2, 3, 8, 8])
        XCTAssertEqual(at(2).shape, [2, 3, 4, 4])
        assertClose(at(1.0001), at(1), relative: 1e-3)
        assertClose(at(1.9999), withoutGradients { upsampleNearest2x(at(2)) }, relative: 1e-3)

        let disc = Discriminator(config: config, seed: 5)
        let dp = disc.params
        randomize(dp, seed: 6, scale: 0.3)
        let img8 = Tensor.randomNormal([4, 3, 8, 8], seed: 7)
        let s = { (lod: Float) in withoutGradients { disc(img8, params: dp, lod: lod) } }
        assertClose(s(1.0001), s(1), relative: 1e-3)
        assertClose(s(1.9999), withoutGradients { disc(downsampleBox2x(img8), params: dp, lod: 2) }, relative: 1e-3)
    }

    /// A generator mid-progression (`lod` > 0) renders at its native resolution and
    /// pixel-replicates to full size, so `generate` always returns full-size images; the
    /// lod survives a save and load.
    func testGeneratorRendersAtItsLod() throws {
        let config = tinyConfig(resolution: 16)
        let g = Generator(config: config, seed: 2)
        randomize(g.params, seed: 3, scale: 0.3)
        g.lod = 1.25
        let z = Tensor.randomNormal([2, config.latentSize], seed: 4)
        let d = withoutGradients { g.dlatents(from: g.map(z)) }
        let native = withoutGradients { g.synthesize(d, noise: .constant) }
        XCTAssertEqual(native.shape, [2, 3, 8, 8])
        let full = g.generate(z)
        XCTAssertEqual(full.shape, [2, 3, 16, 16])
        XCTAssertEqual(full.scalars, withoutGradients { upsampleNearest2x(native) }.scalars)
        XCTAssertNotEqual(full.scalars, withoutGradients { g.synthesize(d, noise: .constant, lod: 0) }.scalars)

        let path = "\(try temporaryDirectory(self))/mid.safetensors"
        try ModelWeights(config: config, emaGenerator: g).save(to: path)
        let loaded = try XCTUnwrap(ModelWeights.load(path: path).emaGenerator)
        XCTAssertEqual(loaded.lod, 1.25)
        XCTAssertEqual(loaded.generate(z).scalars, full.scalars)
    }

    func testTruncationAndMixing() {
        let config = tinyConfig()
        let g = Generator(config: config, seed: 1)
        g.dlatentAvg = Tensor.randomNormal([config.dlatentSize], seed: 2)
        let w = Tensor.randomNormal([3, config.dlatentSize], seed: 3)
        let full = g.dlatents(from: w, psi: 0.5, cutoff: 2)
        XCTAssertEqual(full.shape, [3, config.numLayers, config.dlatentSize])
        let (avg, wv, fv) = (g.dlatentAvg.scalars, w.scalars, full.scalars)
        let d = config.dlatentSize
        for layer in 0..<config.numLayers {
            let expected = layer < 2 ? avg[1] + 0.5 * (wv[d + 1] - avg[1]) : wv[d + 1]
            XCTAssertEqual(fv[(config.numLayers + layer) * d + 1], expected, accuracy: 1e-6, "layer \(layer)")
        }
        XCTAssertEqual(g.dlatents(from: w, psi: 1).scalars, g.dlatents(from: w).scalars)
        let a = g.dlatents(from: w), b = g.dlatents(from: Tensor.randomNormal([3, d], seed: 4))
        let m = g.mix(a, b, crossover: 3)
        XCTAssertEqual(slice(m, axis: 1, start: 0, length: 3).scalars, slice(a, axis: 1, start: 0, length: 3).scalars)
        XCTAssertEqual(slice(m, axis: 1, start: 3, length: config.numLayers - 3).scalars,
                       slice(b, axis: 1, start: 3, length: config.numLayers - 3).scalars)
    }

    func testSeedLatentMatchesNumpy() {
        let g = Generator(config: .official(resolution: 4))
        let z = g.latent(seed: 0)
        XCTAssertEqual(z.count, 512)
        XCTAssertEqual(z[0], 1.764052345967664, accuracy: 1e-6)     // np.random.RandomState(0).randn(512)[0]
        XCTAssertEqual(z[511], 1.3749640663929898, accuracy: 1e-6)
    }
}
