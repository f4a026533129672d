import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor

/// The generator's inference forward (F(4x4, 3x3) Winograd, up-convs read through the
/// upsampling instead of the upsampled map or the transposed 4x4 conv) against its recorded
/// forward, which runs the training kernels.
final class InferencePathTests: XCTestCase {
    func testInferenceForwardMatchesTrainingForward() {
        var c = tinyConfig(resolution: 128)
        c.fmapBase = 2048
        c.fmapMax = 64   // 64 channels up to 64², 32 at 128² (the fused-scale block)
        let g = Generator(config: c, seed: 3)
        randomize(g.params, seed: 4, scale: 0.2)
        let d = withoutGradients { g.dlatents(from: g.map(Tensor.randomNormal([2, c.latentSize], seed: 5))) }

        // The blocks at 64² (upsample + conv) and 128² (fused transposed conv in training)
        // take the fused inference kernel; recording never does.
        for (input, weight) in [([2, 64, 32, 32], [64, 64, 3, 3]), ([2, 64, 64, 64], [32, 64, 3, 3])] {
            XCTAssertTrue(withoutGradients { upsampledConv3x3IsFused(input: input, weight: weight) }, "\(input)")
            XCTAssertFalse(upsampledConv3x3IsFused(input: input, weight: weight), "\(input) recording")
        }

        let recorded = g.synthesize(d)
        let inferred = withoutGradients { g.synthesize(d) }
        assertClose(inferred, recorded, relative: 1e-4, "inference vs training kernels")
        XCTAssertNotEqual(inferred.scalars, recorded.scalars, "the inference kernels did not run")
    }
}
