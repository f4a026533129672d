import StyleGANTensor

/// Parameter specs of one synthesis layer's epilogue in `scope` with C channels:
/// `Noise/weight` [C], `bias` [C], `StyleMod/weight` [dlatent, 2C], `StyleMod/bias` [2C].
func epilogueSpecs(_ scope: String, channels c: Int, dlatentSize: Int) -> [ParameterSpec] {
    [ParameterSpec("\(scope)/Noise/weight", [c], .constant(0)),
     EqualizedLR.biasSpec(scope, channels: c)]
        + EqualizedLR.denseSpecs("\(scope)/StyleMod", inputs: dlatentSize, outputs: 2 * c)
}

/// StyleGAN's per-layer epilogue, in the official order: noise (per-channel strength)
/// → bias → leaky ReLU 0.2 → instance norm (ε 1e-8) → style modulation
/// x · (y_s + 1) + y_b with y = dense(w) (gain 1).
///
/// x [N, C, H, W]; w [N, dlatent]; noise [N or 1, 1, H, W]. While recording it is built
/// from differentiable ops; otherwise one fused kernel does the whole epilogue.
func styledEpilogue(_ x: Tensor, params: ParameterSet, scope: String, dlatent w: Tensor, noise: Tensor) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let strength = params["\(scope)/Noise/weight"], bias = params["\(scope)/bias"]
    let style = equalizedDense(w, weight: params["\(scope)/StyleMod/weight"],
                               bias: params["\(scope)/StyleMod/bias"], gain: 1)        // [N, 2C]
    let scale = slice(style, axis: 1, start: 0, length: c) + 1                          // y_s + 1
    let shift = slice(style, axis: 1, start: c, length: c)
    if GradMode.isEnabled && (x.requiresGrad || style.requiresGrad || strength.requiresGrad) {
        var y = x + noise * reshape(strength, [1, c, 1, 1])
        y = leakyRelu(addChannelBias(y, bias), slope: 0.2)
        y = instanceNorm(y, epsilon: 1e-8)
        return y * reshape(scale, [n, c, 1, 1]) + reshape(shift, [n, c, 1, 1])
    }
    return Fused.styleEpilogue(x, noise: broadcast(noise, to: [n, 1, h, wd]), strength: strength, bias: bias,
                               scale: scale, shift: shift, slope: 0.2, epsilon: 1e-8)
}
