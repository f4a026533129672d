import StyleGANTensor

/// g: w (one row per layer) → image, growing from 4×4 to `resolution`.
///
/// Layer ℓ = 0 … 2L−3 lives at resolution 2^(ℓ/2 + 2). Blocks: 4×4 = learned constant →
/// epilogue → 3×3 conv → epilogue; 2^r = 2× upsample + 3×3 conv (nearest + conv below
/// 128 px, fused transposed conv at ≥ 128) → blur → epilogue → 3×3 conv → epilogue.
/// ToRGB (1×1, gain 1, linear) per resolution. Official names under `synthesis/`:
/// `4x4/Const/const`, `{R}x{R}/Conv0_up/…`, `{R}x{R}/Conv1/…`, `ToRGB_lod{k}/…`.
public struct SynthesisNetwork: Sendable {
    public let config: StyleGANConfig
    public let scope = "synthesis"

    public init(config: StyleGANConfig) { self.config = config }

    private var l: Int { config.log2Resolution }
    private func res(_ r: Int) -> String { "\(1 << r)x\(1 << r)" }
    private func layerScopes(_ r: Int) -> (String, String) {
        r == 2 ? ("\(scope)/4x4/Const", "\(scope)/4x4/Conv")
               : ("\(scope)/\(res(r))/Conv0_up", "\(scope)/\(res(r))/Conv1")
    }
    private func toRGBScope(_ r: Int) -> String { "\(scope)/ToRGB_lod\(l - r)" }

    /// Specs in the official creation order.
    public var parameterSpecs: [ParameterSpec] {
        let d = config.dlatentSize
        var specs: [ParameterSpec] = []
        for r in 2...l {
            let c = config.channels(atLog2Resolution: r)
            let (first, second) = layerScopes(r)
            if r == 2 {
                specs.append(ParameterSpec("\(first)/const", [1, c, 4, 4], .constant(1)))
            } else {
                specs.append(EqualizedLR.convSpec(first, inputs: config.channels(atLog2Resolution: r - 1), outputs: c, kernel: 3))
            }
            specs += epilogueSpecs(first, channels: c, dlatentSize: d)
            specs.append(EqualizedLR.convSpec(second, inputs: c, outputs: c, kernel: 3))
            specs += epilogueSpecs(second, channels: c, dlatentSize: d)
            specs.append(EqualizedLR.convSpec(toRGBScope(r), inputs: c, outputs: config.numChannels, kernel: 1))
            specs.append(EqualizedLR.biasSpec(toRGBScope(r), channels: config.numChannels))
        }
        return specs
    }

    /// Shapes of the per-layer noise inputs, [1, 1, H, W] for ℓ = 0 … numLayers−1.
    public var noiseShapes: [[Int]] {
        (0..<config.numLayers).map { let s = 1 << ($0 / 2 + 2); return [1, 1, s, s] }
    }

    /// Official names of the stored constant noise maps (`synthesis/noise{ℓ}`).
    public var noiseNames: [String] { (0..<config.numLayers).map { "\(scope)/noise\($0)" } }

    /// Renders images.
    /// - Parameters:
    ///   - dlatents: [N, numLayers, dlatentSize] (rows beyond the active layers are unused).
    ///   - noise: one tensor per layer, [N or 1, 1, H, W] (only active layers are read).
    ///   - lod: level of detail; 0 = full resolution; fractional during a fade.
    /// - Returns: [N, numChannels, 2^top, 2^top] at the lod's native resolution.
    public func callAsFunction(_ dlatents: Tensor, params: ParameterSet, noise: [Tensor], lod: Float = 0) -> Tensor {
        precondition(dlatents.rank == 3 && dlatents.shape[1] == config.numLayers && dlatents.shape[2] == config.dlatentSize,
                     "synthesis: dlatents have shape \(dlatents.shape), expected [N, \(config.numLayers), \(config.dlatentSize)]")
        precondition(noise.count == config.numLayers, "synthesis: \(noise.count) noise inputs for \(config.numLayers) layers")
        let n = dlatents.shape[0]
        let p = Progression(lod: lod, log2Resolution: l)
        func w(_ layer: Int) -> Tensor {
            reshape(slice(dlatents, axis: 1, start: layer, length: 1), [n, config.dlatentSize])
        }
        func epilogue(_ x: Tensor, _ scope: String, _ layer: Int) -> Tensor {
            styledEpilogue(x, params: params, scope: scope, dlatent: w(layer), noise: noise[layer])
        }
        func conv3x3(_ x: Tensor, _ scope: String) -> Tensor {
            equalizedConv2d(x, weight: params["\(scope)/weight"], gain: EqualizedLR.reluGain, padding: 1)
        }
        func block(_ r: Int, _ x: Tensor?) -> Tensor {
            let (first, second) = layerScopes(r)
            var y: Tensor
            if r == 2 {
                let const = params["\(first)/const"]
                y = broadcast(const, to: [n] + Array(const.shape.dropFirst()))
            } else {
                let weight = params["\(first)/weight"]
                y = StyleGANConfig.usesFusedScale(log2Resolution: r)
                    ? fusedUpsampleConv(x!, effectiveWeight: equalizedConvWeight(weight, gain: EqualizedLR.reluGain))
                    : equalizedUpsampledConv3x3(x!, weight: weight, gain: EqualizedLR.reluGain)
                y = blur(y)
            }
            y = epilogue(y, first, 2 * r - 4)
            return epilogue(conv3x3(y, second), second, 2 * r - 3)
        }
        func toRGB(_ r: Int, _ x: Tensor) -> Tensor {
            let s = toRGBScope(r)
            return addChannelBias(equalizedConv2d(x, weight: params["\(s)/weight"], gain: 1, padding: 0), params["\(s)/bias"])
        }

        var x = block(2, nil)
        guard p.top > 2 else { return toRGB(2, x) }
        for r in 3..<p.top { x = block(r, x) }
        let y = block(p.top, x)
        let image = toRGB(p.top, y)
        guard p.fade > 0 else { return image }
        return lerp(image, upsampleNearest2x(toRGB(p.top - 1, x)), p.fade)
    }
}
