import StyleGANTensor

/// Equalized learning rate (ProGAN/StyleGAN "wscale"): weights are stored N(0, 1/lrMul²)
/// and multiplied at run time by gain/√fanIn · lrMul; biases are stored at 1/lrMul scale
/// and multiplied by lrMul. The √2 gain of leaky-ReLU layers lives here, not in the
/// activation.
public enum EqualizedLR {
    public static let reluGain = Float(2).squareRoot()

    /// Run-time weight multiplier.
    public static func weightScale(fanIn: Int, gain: Float, lrMul: Float = 1) -> Float {
        gain / Float(fanIn).squareRoot() * lrMul
    }

    /// Specs of a dense layer `scope/weight` [in, out] (+ `scope/bias` [out]).
    public static func denseSpecs(_ scope: String, inputs: Int, outputs: Int, lrMul: Float = 1,
                                  bias: Bool = true) -> [ParameterSpec] {
        var s = [ParameterSpec("\(scope)/weight", [inputs, outputs], .normal(std: 1 / lrMul))]
        if bias { s.append(ParameterSpec("\(scope)/bias", [outputs], .constant(0))) }
        return s
    }

    /// Spec of a conv weight `scope/weight`, run-time [out, in, k, k].
    public static func convSpec(_ scope: String, inputs: Int, outputs: Int, kernel: Int) -> ParameterSpec {
        ParameterSpec("\(scope)/weight", [outputs, inputs, kernel, kernel], .normal(std: 1), fileLayout: .convHWIO)
    }

    public static func biasSpec(_ scope: String, channels: Int) -> ParameterSpec {
        ParameterSpec("\(scope)/bias", [channels], .constant(0))
    }
}

/// x [N, in] · (W · scale) [in, out] + b · lrMul → [N, out].
/// Inference scales the product instead when it is smaller than W (a few latents
/// through 512×512 layers): the same value up to rounding, one pass over N·out floats
/// instead of a scaled copy of W. While recording, W · scale is used, as always.
public func equalizedDense(_ x: Tensor, weight: Tensor, bias: Tensor?, gain: Float, lrMul: Float = 1) -> Tensor {
    let scale = EqualizedLR.weightScale(fanIn: weight.shape[0], gain: gain, lrMul: lrMul)
    let y = !GradMode.isEnabled && x.shape[0] * weight.shape[1] < weight.count
        ? matmul(x, weight) * scale : matmul(x, weight * scale)
    guard let bias else { return y }
    return y + (lrMul == 1 ? bias : bias * lrMul)
}

/// The effective (scaled) conv weight [out, in, k, k].
public func equalizedConvWeight(_ weight: Tensor, gain: Float) -> Tensor {
    FrozenWeights.scaled(weight, by: EqualizedLR.weightScale(fanIn: weight.shape[1] * weight.shape[2] * weight.shape[3], gain: gain))
}

/// Stride-1 conv with an equalized-lr weight [out, in, k, k], "same" padding `padding`:
/// x [N, in, H, W] → [N, out, H, W]. Inference scales the output instead of the weight
/// when the output is smaller (the 512-channel layers at 4²–16²), as `equalizedDense`.
public func equalizedConv2d(_ x: Tensor, weight: Tensor, gain: Float, padding: Int) -> Tensor {
    let scale = EqualizedLR.weightScale(fanIn: weight.shape[1] * weight.shape[2] * weight.shape[3], gain: gain)
    let outputCount = x.shape[0] * weight.shape[0] * x.shape[2] * x.shape[3]
    if !GradMode.isEnabled && outputCount < weight.count { return conv2d(x, weight, padding: padding) * scale }
    return conv2d(x, FrozenWeights.scaled(weight, by: scale), padding: padding)
}

/// `equalizedConv2d(upsampleNearest2x(x), weight:, gain:, padding: 1)` for a 3x3 weight
/// [out, in, 3, 3]: x [N, in, H, W] → [N, out, 2H, 2W], without the upsampled map where the
/// inference kernels take the shape (`upsampledConv3x3`); training runs the two ops.
public func equalizedUpsampledConv3x3(_ x: Tensor, weight: Tensor, gain: Float) -> Tensor {
    guard upsampledConv3x3IsFused(input: x.shape, weight: weight.shape) else {
        return equalizedConv2d(upsampleNearest2x(x), weight: weight, gain: gain, padding: 1)
    }
    return upsampledConv3x3(x, equalizedConvWeight(weight, gain: gain))
}

/// Adds a per-channel bias [C] to x [N, C, H, W].
public func addChannelBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
    x + reshape(bias, [1, bias.count, 1, 1])
}

/// The 4×4 kernel of StyleGAN's fused resampling convs, built from a 3×3 kernel
/// [A, B, 3, 3]: zero-pad to 5×5 and sum the four 4×4 corner windows.
public func fusedResamplingKernel(_ w: Tensor) -> Tensor {
    let p = pad(pad(w, axis: 2, before: 1, after: 1), axis: 3, before: 1, after: 1)   // [A, B, 5, 5]
    func window(_ dy: Int, _ dx: Int) -> Tensor {
        slice(slice(p, axis: 2, start: dy, length: 4), axis: 3, start: dx, length: 4)
    }
    return window(0, 0) + window(0, 1) + window(1, 0) + window(1, 1)
}

/// Fused nearest 2× upsampling + 3×3 conv (G, output ≥ 128 px): a stride-2 transposed
/// conv with the 4×4 kernel; effective weight [out, in, 3, 3] → x [N, in, H, W] →
/// [N, out, 2H, 2W]. No 1/4 factor (the official `upscale2d_conv2d`). It equals nearest
/// upsampling + a 3×3 conv with w rotated by 180°, which is what runs inside `inferring`
/// where the inference kernels take the shape (F(4×4, 3×3), 9/4 of the MACs per input
/// pixel instead of 16).
public func fusedUpsampleConv(_ x: Tensor, effectiveWeight w: Tensor) -> Tensor {
    if let y = upsampledConv3x3Inference(x, w, rotated: true) { return y }
    let kernel = fusedResamplingKernel(permute(w, [1, 0, 2, 3]))                       // [in, out, 4, 4]
    return convTranspose2d(x, kernel, stride: 2, padding: 1,
                           outputSize: (x.shape[2] * 2, x.shape[3] * 2))
}

/// Fused 3×3 conv + 2× box downsampling (D, input ≥ 128 px): a stride-2 conv with the
/// 4×4 kernel × 1/4; effective weight [out, in, 3, 3].
public func fusedConvDownsample(_ x: Tensor, effectiveWeight w: Tensor) -> Tensor {
    conv2d(x, fusedResamplingKernel(w) * 0.25, stride: 2, padding: 1)
}
