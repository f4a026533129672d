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
        // take the fused inference kernel inside `inferring` only.
        for (input, weight) in [([2, 64, 32, 32], [64, 64, 3, 3]), ([2, 64, 64, 64], [32, 64, 3, 3])] {
            XCTAssertTrue(inferring { upsampledConv3x3IsFused(input: input, weight: weight) }, "\(input)")
            XCTAssertFalse(withoutGradients { upsampledConv3x3IsFused(input: input, weight: weight) }, "\(input) no-grad")
            XCTAssertFalse(upsampledConv3x3IsFused(input: input, weight: weight), "\(input) recording")
        }

        let recorded = g.synthesize(d)
        let inferred = inferring { g.synthesize(d) }
        assertClose(inferred, recorded, relative: 1e-4, "inference vs training kernels")
        XCTAssertTrue(inferred.scalars != recorded.scalars, "the inference kernels did not run")
        XCTAssertTrue(g.render(d).scalars == inferred.scalars, "render runs the inference kernels")
    }

    /// The inference entry point plans as the forward, so a 3x3 conv gives the same bytes
    /// inside `inferring`, without gradients and recorded; and backpropagation called inside
    /// `inferring` (the R1 term's second-order pass goes through conv2d without recording)
    /// gives the same gradients as outside it.
    func testInferenceAndTrainingConvsAgreeBitwise() {
        let w = Tensor.randomNormal([64, 64, 3, 3], seed: 1, scale: 0.05)
        let g = Tensor.randomNormal([8, 64, 16, 16], seed: 2).requiringGrad()
        let h = Tensor.randomNormal([8, 64, 16, 16], seed: 3)
        let training = conv2d(h, w, padding: 1).scalars
        XCTAssertTrue(inferring { conv2d(h, w, padding: 1) }.scalars == training, "inference kernels")
        XCTAssertTrue(withoutGradients { conv2d(h, w, padding: 1) }.scalars == training, "no-grad")
        let gx = convTranspose2d(g, w, stride: 1, padding: 1)   // a recorded node, as in R1
        let outside = gradients(of: gx, withRespectTo: [g], seed: h)[0].scalars
        XCTAssertTrue(outside == training, "backpropagation through the transposed conv runs conv2d")
        XCTAssertTrue(inferring { gradients(of: gx, withRespectTo: [g], seed: h)[0].scalars } == outside,
                      "backpropagation inside inferring")
    }

    /// A frozen generator keeps its scaled weights and transformed filters across renders
    /// and renders the same bytes as a live one (a kept filter changes no plan: F(4x4, 3x3)
    /// starts at 16 tiles either way), at batch 2 and at batch 1, where the 16² layer has
    /// just 16 tiles. Kept values never outlive a change of mode (recorded passes and other
    /// tensors go through unchanged).
    func testFrozenWeightsKeepWhatRendersDerive() {
        var c = tinyConfig(resolution: 128)
        c.fmapBase = 2048
        c.fmapMax = 64
        let g = Generator(config: c, seed: 3)
        randomize(g.params, seed: 4, scale: 0.2)
        let d = withoutGradients { g.dlatents(from: g.map(Tensor.randomNormal([2, c.latentSize], seed: 5))) }
        let one = slice(d, axis: 0, start: 0, length: 1)
        let live = g.render(d).scalars, liveOne = g.render(one)
        // (ConvPlanTests pins the plans: 64 channels @16² batch 1 on F(4x4, 3x3), kept or not.)
        g.freeze()
        let kept = g.frozenWeights!
        XCTAssertEqual(kept.keptFloats, 0)
        XCTAssertTrue(g.render(d).scalars == live, "first frozen render")
        let afterFirst = kept.keptFloats
        XCTAssertGreaterThan(afterFirst, 0, "nothing was kept")
        let computed = kept.computedCount
        XCTAssertTrue(g.render(d).scalars == live, "second frozen render (kept values)")
        XCTAssertEqual(kept.keptFloats, afterFirst, "a second render kept more")
        XCTAssertEqual(kept.computedCount, computed, "a second render recomputed kept values")
        let frozenOne = g.render(one)
        XCTAssertTrue(frozenOne.scalars == liveOne.scalars, "batch 1, the 16² layer on F(4x4, 3x3) with its kept filter")
        XCTAssertTrue(g.render(one).scalars == frozenOne.scalars, "frozen renders repeat")
        // The same weight outside `use`, or with gradients on, is not served from the cache.
        let w = g.params.tensors.first { $0.rank == 4 && $0.shape[2] == 3 }!
        XCTAssertFalse(FrozenWeights.scaled(w, by: 2) === FrozenWeights.scaled(w, by: 2))
        kept.use {
            XCTAssertFalse(FrozenWeights.scaled(w, by: 2) === FrozenWeights.scaled(w, by: 2), "gradients on")
            withoutGradients {
                XCTAssertTrue(FrozenWeights.scaled(w, by: 2) === FrozenWeights.scaled(w, by: 2), "kept")
                let other = w * 1
                XCTAssertFalse(FrozenWeights.scaled(other, by: 2) === FrozenWeights.scaled(other, by: 2), "not frozen")
            }
        }
    }

    /// Renders in a loop (serve, interpolate) reuse the memory of the render before: once
    /// every size is pooled, a render asks the system for nothing (fresh pages are zeroed
    /// one by one by the kernel, a cost per render if the pool let them go).
    func testRepeatedRendersAllocateNothingNew() {
        var c = tinyConfig(resolution: 64)
        c.fmapBase = 1024
        c.fmapMax = 32
        let g = Generator(config: c, seed: 3)
        g.freeze()
        let d = withoutGradients { g.dlatents(from: g.map(Tensor.randomNormal([1, c.latentSize], seed: 5))) }
        _ = g.render(d)
        _ = g.render(d)
        let before = BufferPool.sharedStatistics
        for _ in 0..<3 { _ = g.render(d) }
        let after = BufferPool.sharedStatistics
        XCTAssertEqual(after.allocatedBytes, before.allocatedBytes, "renders after the first allocated fresh buffers")
        XCTAssertEqual(after.freedBytes, before.freedBytes, "renders after the first freed pooled buffers")
    }
}
