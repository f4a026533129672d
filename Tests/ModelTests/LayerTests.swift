import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor

final class LayerTests: XCTestCase {
    /// Reference §2.2/§3 [derived]: the fused up conv equals nearest-up + 3×3 conv with
    /// the spatially flipped kernel; the fused down conv equals 3×3 conv + 2×2 average.
    func testFusedResamplingIdentities() {
        let x = Tensor.randomNormal([2, 3, 5, 4], seed: 1)
        let w = Tensor.randomNormal([4, 3, 3, 3], seed: 2)                                 // [out, in, 3, 3]
        let v = w.scalars
        var f = v
        for o in 0..<4 { for i in 0..<3 { for ky in 0..<3 { for kx in 0..<3 {
            f[((o * 3 + i) * 3 + ky) * 3 + kx] = v[((o * 3 + i) * 3 + (2 - ky)) * 3 + (2 - kx)]
        } } } }
        let up = fusedUpsampleConv(x, effectiveWeight: w)
        let expectedUp = conv2d(upsampleNearest2x(x), Tensor(shape: w.shape, values: f), padding: 1)
        assertClose(up, expectedUp, relative: 1e-5, "fused up")

        let big = Tensor.randomNormal([2, 3, 8, 6], seed: 3)
        let down = fusedConvDownsample(big, effectiveWeight: w)
        let expectedDown = downsampleBox2x(conv2d(big, w, padding: 1))
        assertClose(down, expectedDown, relative: 1e-5, "fused down")
    }

    /// The fused inference epilogue equals the differentiable composition.
    func testFusedEpilogueMatchesComposite() {
        let c = 5
        let specs = epilogueSpecs("layer", channels: c, dlatentSize: 6)
        let params = ParameterSet(specs: specs)
        randomize(params, seed: 9)
        let x = Tensor.randomNormal([3, c, 7, 6], seed: 4), w = Tensor.randomNormal([3, 6], seed: 5)
        for noise in [Tensor.randomNormal([3, 1, 7, 6], seed: 6), Tensor.randomNormal([1, 1, 7, 6], seed: 7)] {
            let composite = styledEpilogue(x, params: params, scope: "layer", dlatent: w, noise: noise)
            XCTAssertTrue(composite.requiresGrad, "parameters require grad, so the composite path ran")
            let fused = withoutGradients { styledEpilogue(x, params: params, scope: "layer", dlatent: w, noise: noise) }
            assertClose(fused, composite, relative: 2e-5)
        }
    }

    /// Networks are differentiable end to end: G's and D's parameter gradients against
    /// finite differences on a tiny model, at full resolution and mid-fade.
    func testNetworkGradients() {
        let config = tinyConfig(resolution: 8)
        let g = Generator(config: config, seed: 3)
        randomize(g.params, seed: 11, scale: 0.4)
        let d = Discriminator(config: config, seed: 4)
        let dParams = d.params
        randomize(dParams, seed: 12, scale: 0.4)
        let z = Tensor.randomNormal([4, config.latentSize], seed: 13)
        for lod in [Float(0), 0.5] {
            let report = GradientCheck.check(g.params.tensors + dParams.tensors, step: 1e-2, maxElements: 3) { _ in
                let images = g.synthesize(g.dlatents(from: g.map(z)), noise: .constant, lod: lod)
                return mean(softplus(-d(images, params: dParams, lod: lod)))
            }
            XCTAssertLessThan(report.relativeError, 3e-2, "lod \(lod): \(report)")
        }
    }
}
