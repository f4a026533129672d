import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Projection: each loss term's gradient, the target's preparation, and a tiny fit.
final class ProjectionTests: XCTestCase {
    private var tinyConfig: StyleGANConfig { tinyOptions(data: "", resolution: 16).config }

    func testPyramidLossGradientAndValue() {
        let x = Tensor.randomNormal([1, 3, 16, 16], seed: 1), t = Tensor.randomNormal([1, 3, 16, 16], seed: 2)
        let report = GradientCheck.check([x]) { ProjectionLoss.pyramid($0[0], t) }
        XCTAssertTrue(report.passes(), "\(report)")
        XCTAssertEqual(ProjectionLoss.pyramid(t, t).item, 0)
        // A constant offset lives only in the coarsest level: its mean square, once.
        XCTAssertEqual(ProjectionLoss.pyramid(t + 0.5, t).item, 0.25, accuracy: 1e-6)
    }

    func testFeatureLossGradient() {
        let d = Discriminator(config: tinyConfig, seed: 4)
        let target = Tensor.randomNormal([1, 3, 16, 16], seed: 5, scale: 0.5)
        let targetFeatures = d.features(target)
        XCTAssertEqual(targetFeatures.map { $0.shape[2] }, [16, 8, 4], "FromRGB, then each block down to 4×4")
        let frozen = d.params.frozen()
        let x = Tensor.randomNormal([1, 3, 16, 16], seed: 6, scale: 0.5)
        let report = GradientCheck.check([x], step: 2e-3) {
            ProjectionLoss.features($0[0], discriminator: d, frozen: frozen, targetFeatures: targetFeatures)
        }
        XCTAssertTrue(report.passes(), "\(report)")
        XCTAssertEqual(ProjectionLoss.features(target, discriminator: d, frozen: frozen, targetFeatures: targetFeatures).item, 0)
    }

    func testNoiseRegularizationGradientAndWhiteNoise() {
        let maps = [Tensor.randomNormal([1, 1, 16, 16], seed: 7), Tensor.randomNormal([1, 1, 4, 4], seed: 8)]
        let report = GradientCheck.check(maps, step: 1e-2) { ProjectionLoss.noiseRegularization($0) }
        XCTAssertTrue(report.passes(), "\(report)")
        // Smooth maps (pixel pairs equal) are penalised far more than white noise.
        let white = [Tensor.randomNormal([1, 1, 64, 64], seed: 9)]
        let smooth = white.map { m in withoutGradients { upsampleNearest2x(downsampleBox2x(m)) * 2 } }
        XCTAssertGreaterThan(ProjectionLoss.noiseRegularization(smooth).item, 20 * ProjectionLoss.noiseRegularization(white).item)
        XCTAssertEqual(ProjectionLoss.roll(Tensor(shape: [1, 1, 1, 3], values: [1, 2, 3]), axis: 3).scalars, [3, 1, 2])
    }

    func testTargetIsCentreCroppedResizedAndQuantised() {
        // 12×8: the centre 8×8 square is columns 2…9; a ramp along x shows which were kept.
        var photo = RGBImage(width: 12, height: 8)
        for c in 0..<3 { for y in 0..<8 { for x in 0..<12 { photo[channel: c, y: y, x: x] = Float(x) / 11 } } }
        let target = ImageResize.trainingImage(photo, resolution: 4)
        XCTAssertEqual([target.width, target.height], [4, 4])
        // Box 2×2 over columns 2,3 → mean of 2/11 and 3/11, quantised to a byte.
        XCTAssertEqual(target[channel: 0, y: 0, x: 0], (2.5 / 11 * 255).rounded() / 255, accuracy: 1e-7)
        XCTAssertEqual(target[channel: 1, y: 3, x: 3], (8.5 / 11 * 255).rounded() / 255, accuracy: 1e-7)
        XCTAssertTrue(target.pixels.allSatisfy { ($0 * 255 - ($0 * 255).rounded()).magnitude < 1e-4 }, "bytes, as the dataset stores")
    }

    func testScheduleRampsAsTheOfficialProjector() {
        let g = Generator(config: tinyConfig, seed: 1)
        var options = ProjectionOptions()
        options.steps = 100
        options.wStatisticsSamples = 100
        let p = Projector(generator: g, discriminator: nil, target: Tensor.zeros([1, 3, 16, 16]), options: options)
        XCTAssertEqual(p.schedule(0).learningRate, 0)
        XCTAssertEqual(p.schedule(5).learningRate, 0.1, accuracy: 1e-6, "ramped up after 5 %")
        XCTAssertEqual(p.schedule(50).learningRate, 0.1, accuracy: 1e-6)
        XCTAssertEqual(p.schedule(99).learningRate, 0.1 * (0.5 - 0.5 * cos(0.04 * .pi)), accuracy: 1e-6)
        XCTAssertGreaterThan(p.schedule(0).wNoise, 0)
        XCTAssertEqual(p.schedule(75).wNoise, 0, "w noise ends at 75 %")
    }

    /// A tiny model reproduces its own image: PSNR rises, the weights do not move.
    func testTinyProjectionImproves() {
        let g = Generator(config: tinyConfig, seed: 11)
        // A fresh tiny G's images span about ±7; scale ToRGB so they lie near [-1, 1] as a
        // trained model's do (PSNR clamps to that range).
        for name in g.params.specs.map(\.name) where name.contains("ToRGB") && name.hasSuffix("weight") {
            g.params[name].withMutableData { for i in 0..<$0.count { $0[i] *= 0.15 } }
        }
        let d = Discriminator(config: tinyConfig, seed: 12)
        let before = g.params.flat.scalars
        // w̄ as training tracks it, and a target at ψ 0.5 as `generate` would make one.
        g.dlatentAvg = withoutGradients { mean(g.map(Tensor.randomNormal([1000, 8], seed: 14)), axes: [0]) }
        let w = withoutGradients { g.map(Tensor.randomNormal([1, 8], seed: 13)) }
        let target = g.render(g.dlatents(from: w, psi: 0.5, cutoff: g.config.numLayers))
        for space in ProjectionSpace.allCases {
            var options = ProjectionOptions()
            options.steps = 100
            options.space = space
            options.wStatisticsSamples = 500
            let p = Projector(generator: g, discriminator: d, target: target, options: options)
            XCTAssertNotNil(p.discriminator)
            let first = p.step().psnr
            for _ in 1..<options.steps { p.step() }
            let last = ProjectionLoss.psnr(p.image(), target)
            XCTAssertGreaterThan(last, first + 6, "\(space): PSNR \(first) → \(last)")
            XCTAssertEqual(p.dlatents.shape, [1, g.config.numLayers, 8])
        }
        XCTAssertEqual(g.params.flat.scalars, before, "the generator's weights are frozen")
    }
}
