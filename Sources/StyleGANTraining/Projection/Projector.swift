import Foundation
import StyleGANModel
import StyleGANTensor

/// Which latent projection fits.
public enum ProjectionSpace: String, CaseIterable, Sendable {
    /// One w shared by every layer (as the official StyleGAN2 projector).
    case w
    /// One w per layer ("W+"): closer fits, less editable results.
    case wplus
}

/// Settings of a projection; the defaults are the official StyleGAN2 projector's
/// schedule (Adam lr 0.1 ramped up over the first 5 % and down with a cosine over the
/// last 25 %, Gaussian noise on w of 0.05·σ_w decaying to zero at 75 %, noise-map
/// regularisation weight 1e5) with this project's loss in place of LPIPS.
public struct ProjectionOptions: Sendable {
    public var steps = 1000
    public var space: ProjectionSpace = .w
    /// Seeds the initial noise maps and the noise added to w.
    public var seed: UInt64 = 0
    public var learningRate: Float = 0.1
    public var learningRateRampUp: Float = 0.05
    public var learningRateRampDown: Float = 0.25
    public var wNoiseFactor: Float = 0.05
    public var wNoiseRampLength: Float = 0.75
    public var noiseRegularization: Float = 1e5
    /// Weight of the discriminator-feature distance (used when a discriminator is given).
    public var featureWeight: Float = 0.1
    /// Start the noise maps from Gaussian draws (the official projector) instead of the
    /// model's stored maps (what `generate` renders with by default).
    public var randomNoiseStart = false
    /// z samples mapped to estimate σ_w.
    public var wStatisticsSamples = 10_000

    public init() {}
}

/// One step's figures.
public struct ProjectionStep: Sendable {
    public let step: Int
    public let loss: Float
    public let pixelLoss: Float
    public let featureLoss: Float
    public let learningRate: Float
    /// PSNR (dB) of this step's rendered image (before the step's update) against the target.
    public let psnr: Double
}

/// Fits a latent (w or per-layer w) and the per-layer noise maps so the generator
/// reproduces a target image; the generator's and discriminator's weights stay fixed.
public final class Projector {
    public let generator: Generator
    public let discriminator: Discriminator?
    public let options: ProjectionOptions
    /// The target, [1, C, R, R] in [-1, 1].
    public let target: Tensor
    /// Optimised variables: `w` ([1, 1 or numLayers, D]) and `noise{ℓ}` ([1, 1, H, W]).
    let variables: ParameterSet
    private let adam: Adam
    let wStd: Float
    private let targetFeatures: [Tensor]
    private let frozenD: ParameterSet?
    public private(set) var stepsDone = 0

    /// Starts at w̄ with Gaussian noise maps. `discriminator` (optional) adds the feature
    /// distance; it is ignored for a model below full detail (lod > 0).
    public init(generator g: Generator, discriminator d: Discriminator?, target: Tensor, options: ProjectionOptions) {
        let r = g.config.resolution
        precondition(target.shape == [1, g.config.numChannels, r, r], "projector: target \(target.shape), expected [1, \(g.config.numChannels), \(r), \(r)]")
        generator = g
        self.options = options
        self.target = target
        discriminator = g.lod == 0 && options.featureWeight > 0 ? d : nil
        let rows = options.space == .w ? 1 : g.config.numLayers
        let d = g.config.dlatentSize
        let specs = [ParameterSpec("w", [1, rows, d], .constant(0))]
            + g.synthesis.noiseShapes.enumerated().map { ParameterSpec("noise\($0.offset)", $0.element, .constant(0)) }
        variables = ParameterSet(specs: specs, initialize: false)
        let avg = g.dlatentAvg.scalars
        variables["w"].withMutableData { w in for i in 0..<w.count { w[i] = avg[i % d] } }
        for (i, shape) in g.synthesis.noiseShapes.enumerated() {
            let start = options.randomNoiseStart
                ? Tensor.randomNormal(shape, seed: options.seed &* 0x9e37_79b9 &+ 0x70726f6a &+ UInt64(i)) : g.noiseMaps[i]
            variables["noise\(i)"].withMutableData { _ = $0.update(from: start.scalars) }
        }
        adam = Adam(count: variables.count, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        wStd = Self.wStandardDeviation(g, samples: options.wStatisticsSamples)
        frozenD = discriminator?.params.frozen()
        if let d = self.discriminator, let frozenD {
            targetFeatures = withoutGradients { d.features(target, params: frozenD).map { $0.copy() } }
        } else {
            targetFeatures = []
        }
    }

    /// σ_w as the official projector measures it: √(Σ‖w − w̄‖² / n) over n mapped
    /// z ~ N(0, I) (a fixed stream, so projections are reproducible).
    static func wStandardDeviation(_ g: Generator, samples n: Int) -> Float {
        let (latent, d) = (g.config.latentSize, g.config.dlatentSize)
        let avg = g.dlatentAvg.scalars
        var sum = 0.0
        for start in stride(from: 0, to: n, by: 1000) {
            let count = min(1000, n - start)
            let z = Tensor.randomNormal([count, latent], seed: 0x7773_7464 &+ UInt64(start))
            let w = withoutGradients { g.map(z) }.scalars
            for (k, v) in w.enumerated() { let e = Double(v - avg[k % d]); sum += e * e }
        }
        return Float((sum / Double(max(n, 1))).squareRoot())
    }

    /// The learning rate and the std of the noise added to w at step `step`.
    func schedule(_ step: Int) -> (learningRate: Float, wNoise: Float) {
        let t = Float(step) / Float(max(options.steps, 1))
        let noise = wStd * options.wNoiseFactor * pow(max(0, 1 - t / options.wNoiseRampLength), 2)
        var ramp = min(1, (1 - t) / options.learningRateRampDown)
        ramp = 0.5 - 0.5 * cos(ramp * .pi)
        ramp *= min(1, t / options.learningRateRampUp)
        return (options.learningRate * ramp, noise)
    }

    /// The current dlatents [1, numLayers, D] (no noise added).
    public var dlatents: Tensor {
        let w = variables["w"].copy()
        let (layers, d) = (generator.config.numLayers, generator.config.dlatentSize)
        return w.shape[1] == layers ? w : broadcast(w, to: [1, layers, d]).copy()
    }

    /// The current noise maps, one per layer.
    public var noiseMaps: [Tensor] { (0..<generator.config.numLayers).map { variables["noise\($0)"].copy() } }

    /// The image of the current latents and noise, [1, C, R, R].
    public func image() -> Tensor { withoutGradients { generator.synthesize(dlatents, noiseMaps: noiseMaps) } }

    /// One optimisation step.
    @discardableResult
    public func step() -> ProjectionStep {
        let (lr, wNoise) = schedule(stepsDone)
        let (layers, d) = (generator.config.numLayers, generator.config.dlatentSize)
        let wVar = variables["w"]
        let noiseVars = (0..<layers).map { variables["noise\($0)"] }
        var w = wVar
        if wNoise > 0 {
            w = w + Tensor.randomNormal(wVar.shape, seed: options.seed &+ 0x776e &+ UInt64(stepsDone) &* 0x9e37_79b9, scale: wNoise)
        }
        if w.shape[1] != layers { w = broadcast(w, to: [1, layers, d]) }
        let image = generator.synthesize(w, noiseMaps: noiseVars)
        let pixel = ProjectionLoss.pyramid(image, target)
        var loss = pixel
        var featureValue: Float = 0
        if let discriminator, let frozenD {
            let feature = ProjectionLoss.features(image, discriminator: discriminator, frozen: frozenD, targetFeatures: targetFeatures)
            featureValue = feature.scalars[0]
            loss = loss + feature * options.featureWeight
        }
        if options.noiseRegularization > 0 {
            loss = loss + ProjectionLoss.noiseRegularization(noiseVars) * options.noiseRegularization
        }
        let report = ProjectionStep(step: stepsDone, loss: loss.scalars[0], pixelLoss: pixel.scalars[0], featureLoss: featureValue,
                                    learningRate: lr, psnr: ProjectionLoss.psnr(image, target))
        let grads = gradients(of: loss, withRespectTo: variables.tensors)
        adam.update(variables, gradient: variables.flatten(grads), learningRate: lr)
        normalizeNoise()
        stepsDone += 1
        return report
    }

    /// Keeps every noise map at zero mean and unit variance, as the official projector does.
    private func normalizeNoise() {
        for i in 0..<generator.config.numLayers {
            variables["noise\(i)"].withMutableData { n in
                let count = Float(n.count)
                let m = n.reduce(0, +) / count
                for k in 0..<n.count { n[k] -= m }
                let rms = (n.reduce(0) { $0 + $1 * $1 } / count).squareRoot()
                if rms > 0 { for k in 0..<n.count { n[k] /= rms } }
            }
        }
    }
}
