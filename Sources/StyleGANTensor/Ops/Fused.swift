import CKernels

/// Fused inference kernels and in-place buffer updates: single passes over memory that
/// the differentiable ops would take several for. None records a gradient.
public enum Fused {
    /// StyleGAN's epilogue in one pass (inference only): noise · strength → + bias →
    /// leaky ReLU(slope) → instance norm (ε) → · scale + shift.
    /// x [N, C, H, W]; noise [N, 1, H, W]; strength, bias [C]; scale, shift [N, C].
    public static func styleEpilogue(_ x: Tensor, noise: Tensor, strength: Tensor, bias: Tensor, scale: Tensor, shift: Tensor,
                                     slope: Float, epsilon: Float) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(noise.shape == [n, 1, h, w] && strength.count == c && bias.count == c
                     && scale.shape == [n, c] && shift.shape == [n, c], "styleEpilogue: shapes do not match x \(x.shape)")
        let y = Tensor.uninitialized(x.shape)
        ck_style_epilogue(x.data, noise.data, strength.data, bias.data, scale.data, shift.data,
                          y.data, Int64(n), Int64(c), Int64(h * w), slope, epsilon)
        return y
    }

    /// One Adam step in place over flat buffers of equal size (`step` counts from 1).
    public static func adamUpdate(parameters: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int64) {
        precondition(gradient.count == parameters.count && m.count == parameters.count && v.count == parameters.count,
                     "adamUpdate: buffers of \(parameters.count), \(gradient.count), \(m.count), \(v.count) values")
        ck_adam_update(parameters.data, gradient.data, m.data, v.data, Int64(parameters.count), learningRate, beta1, beta2, epsilon, step)
    }

    /// ema ← target + β·(ema − target), in place.
    public static func emaUpdate(_ ema: Tensor, toward target: Tensor, beta: Float) {
        precondition(ema.count == target.count, "emaUpdate: \(ema.count) vs \(target.count) values")
        ck_ema_update(ema.data, target.data, Int64(ema.count), beta)
    }

    /// Sorts each of `rows` contiguous rows of `values` ascending in place (IEEE order, a
    /// parallel radix sort). Returns false when the scratch memory could not be had.
    public static func sortRows(_ values: inout [Float], rows: Int) -> Bool {
        precondition(rows > 0 && values.count % rows == 0, "sortRows: \(values.count) values in \(rows) rows")
        let n = values.count / rows
        return values.withUnsafeMutableBufferPointer { ck_sort_rows($0.baseAddress!, Int64(rows), Int64(n)) } == 0
    }
}
