import StyleGANTensor

/// The StyleGAN (ProGAN) discriminator with FromRGB per resolution.
///
/// Blocks 2^r (r = L … 3): 3×3 conv → lrelu; blur → 3×3 conv → 2× box down (fused
/// stride-2 4×4 conv at ≥ 128 px input) → bias → lrelu. Head (4×4): minibatch stddev
/// (strided groups) → 3×3 conv → dense → lrelu → dense (gain 1) → score.
/// Official names: `FromRGB_lod{k}/…`, `{R}x{R}/Conv0/…`, `{R}x{R}/Conv1_down/…`,
/// `4x4/Conv/…`, `4x4/Dense0/…`, `4x4/Dense1/…`.
///
/// Like `Generator`, a discriminator owns its parameters (one flat `ParameterSet`).
public final class Discriminator: @unchecked Sendable {
    public let config: StyleGANConfig
    /// Trainable parameters, official names.
    public let params: ParameterSet

    /// A freshly initialised discriminator (official initialisation), deterministic in
    /// `seed`; with `initialize` false every value is zero (to be filled from a file).
    public init(config: StyleGANConfig, seed: UInt64 = 0, initialize: Bool = true) {
        self.config = config
        params = ParameterSet(specs: Self.parameterSpecs(config: config), seed: seed, initialize: initialize)
    }

    /// A discriminator whose parameters the caller fills completely before any use (the
    /// weights file loader).
    init(unfilledConfig config: StyleGANConfig) {
        self.config = config
        params = ParameterSet(unfilledSpecs: Self.parameterSpecs(config: config))
    }

    /// The parameters' names and shapes for `config`, computed without allocating them.
    public static func parameterSpecs(config: StyleGANConfig) -> [ParameterSpec] { DiscriminatorLayout(config: config).parameterSpecs }

    /// Trainable parameters a discriminator of `config` has.
    public static func parameterCount(config: StyleGANConfig) -> Int { parameterSpecs(config: config).reduce(0) { $0 + Shape.count($1.shape) } }

    public var parameterSpecs: [ParameterSpec] { params.specs }

    /// Scores images with the discriminator's own parameters (see `callAsFunction(_:params:lod:)`).
    public func callAsFunction(_ images: Tensor, lod: Float = 0) -> Tensor { DiscriminatorLayout(config: config)(images, params: params, lod: lod) }

    /// The activations before the head (FromRGB's output, then each block's, finest
    /// first), for feature distances such as projection's; `params` as for scoring.
    public func features(_ images: Tensor, params: ParameterSet? = nil, lod: Float = 0) -> [Tensor] {
        DiscriminatorLayout(config: config).features(images, params: params ?? self.params, lod: lod)
    }

    /// Scores images with `params` (e.g. `params.frozen()`, so no gradient reaches them).
    public func callAsFunction(_ images: Tensor, params: ParameterSet, lod: Float = 0) -> Tensor {
        DiscriminatorLayout(config: config)(images, params: params, lod: lod)
    }
}

/// The discriminator's structure: parameter specs and the forward pass over a set.
private struct DiscriminatorLayout {
    let config: StyleGANConfig

    private var l: Int { config.log2Resolution }
    private func res(_ r: Int) -> String { "\(1 << r)x\(1 << r)" }
    private func fromRGBScope(_ r: Int) -> String { "FromRGB_lod\(l - r)" }
    private var headInputs: Int { config.nf(1) + (config.mbstdGroupSize > 1 ? 1 : 0) }

    var parameterSpecs: [ParameterSpec] {
        var specs: [ParameterSpec] = []
        for r in stride(from: l, through: 2, by: -1) {
            let c = config.nf(r - 1)
            specs.append(EqualizedLR.convSpec(fromRGBScope(r), inputs: config.numChannels, outputs: c, kernel: 1))
            specs.append(EqualizedLR.biasSpec(fromRGBScope(r), channels: c))
            if r > 2 {
                for (name, out) in [("Conv0", c), ("Conv1_down", config.nf(r - 2))] {
                    let scope = "\(res(r))/\(name)"
                    specs.append(EqualizedLR.convSpec(scope, inputs: c, outputs: out, kernel: 3))
                    specs.append(EqualizedLR.biasSpec(scope, channels: out))
                }
            }
        }
        specs.append(EqualizedLR.convSpec("4x4/Conv", inputs: headInputs, outputs: config.nf(1), kernel: 3))
        specs.append(EqualizedLR.biasSpec("4x4/Conv", channels: config.nf(1)))
        specs += EqualizedLR.denseSpecs("4x4/Dense0", inputs: config.nf(1) * 16, outputs: config.nf(0))
        specs += EqualizedLR.denseSpecs("4x4/Dense1", inputs: config.nf(0), outputs: 1)
        return specs
    }

    /// Scores images [N, C, 2^top, 2^top] at the native resolution of `lod` → [N, 1].
    func callAsFunction(_ images: Tensor, params: ParameterSet, lod: Float = 0) -> Tensor {
        var x = features(images, params: params, lod: lod).last!
        if config.mbstdGroupSize > 1 { x = minibatchStddev(x, groupSize: config.mbstdGroupSize) }
        x = act(conv(x, "4x4/Conv", params, padding: 1), "4x4/Conv", params)
        x = reshape(x, [x.shape[0], -1])
        x = leakyRelu(equalizedDense(x, weight: params["4x4/Dense0/weight"], bias: params["4x4/Dense0/bias"], gain: EqualizedLR.reluGain), slope: 0.2)
        return equalizedDense(x, weight: params["4x4/Dense1/weight"], bias: params["4x4/Dense1/bias"], gain: 1)
    }

    /// Activations before the head, finest first: FromRGB's output, then each block's
    /// ([N, nf(r−2), 2^(r−1), 2^(r−1)]), ending at 4×4.
    func features(_ images: Tensor, params: ParameterSet, lod: Float = 0) -> [Tensor] {
        let p = Progression(lod: lod, log2Resolution: l)
        precondition(images.rank == 4 && images.shape[1] == config.numChannels
                     && images.shape[2] == p.resolution && images.shape[3] == p.resolution,
                     "discriminator: images have shape \(images.shape), expected [N, \(config.numChannels), \(p.resolution), \(p.resolution)] at lod \(lod)")
        func fromRGB(_ r: Int, _ img: Tensor) -> Tensor {
            act(conv(img, fromRGBScope(r), params, padding: 0), fromRGBScope(r), params)
        }
        func block(_ r: Int, _ x: Tensor) -> Tensor {
            let conv0 = "\(res(r))/Conv0", conv1 = "\(res(r))/Conv1_down"
            var y = act(conv(x, conv0, params, padding: 1), conv0, params)
            y = blur(y)
            let weight = equalizedConvWeight(params["\(conv1)/weight"], gain: EqualizedLR.reluGain)
            y = StyleGANConfig.usesFusedScale(log2Resolution: r)
                ? fusedConvDownsample(y, effectiveWeight: weight)
                : downsampleBox2x(conv2d(y, weight, padding: 1))
            return act(y, conv1, params)
        }

        var x = fromRGB(p.top, images)
        var out = [x]
        if p.top > 2 {
            x = block(p.top, x)
            if p.fade > 0 { x = lerp(x, fromRGB(p.top - 1, downsampleBox2x(images)), p.fade) }
            out.append(x)
            for r in stride(from: p.top - 1, through: 3, by: -1) {
                x = block(r, x)
                out.append(x)
            }
        }
        return out
    }

    /// Equalized-lr 3×3 or 1×1 convolution of `scope` (He gain √2).
    private func conv(_ x: Tensor, _ scope: String, _ params: ParameterSet, padding: Int) -> Tensor {
        conv2d(x, equalizedConvWeight(params["\(scope)/weight"], gain: EqualizedLR.reluGain), padding: padding)
    }

    /// Bias then leaky ReLU 0.2.
    private func act(_ x: Tensor, _ scope: String, _ params: ParameterSet) -> Tensor {
        leakyRelu(addChannelBias(x, params["\(scope)/bias"]), slope: 0.2)
    }
}
