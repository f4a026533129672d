import StyleGANModel
import StyleGANTensor

/// Adam over a whole parameter set (one flat buffer each for m and v), TensorFlow's
/// form as in the official code: β1 0, β2 0.99, ε 1e-8 by default.
public final class Adam: @unchecked Sendable {
    public let beta1: Float, beta2: Float, epsilon: Float
    /// First and second moments, [count] each.
    public let m: Tensor, v: Tensor
    /// Updates since the last reset.
    public private(set) var step: Int64 = 0

    public init(count: Int, beta1: Float = 0, beta2: Float = 0.99, epsilon: Float = 1e-8) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        m = Tensor.zeros([count])
        v = Tensor.zeros([count])
    }

    /// Zeroes the moments and the step counter (done at every phase change).
    public func reset() {
        m.withMutableData { $0.initialize(repeating: 0) }
        v.withMutableData { $0.initialize(repeating: 0) }
        step = 0
    }

    /// One update of `params` with the flat gradient `grad` ([count]).
    public func update(_ params: ParameterSet, gradient grad: Tensor, learningRate lr: Float) {
        precondition(grad.count == params.count && m.count == params.count, "Adam: gradient \(grad.count) vs parameters \(params.count)")
        step += 1
        Fused.adamUpdate(parameters: params.flat, gradient: grad, m: m, v: v, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
    }

    /// Restores state saved with `m`, `v` and `step`.
    public func restore(m mValues: [Float], v vValues: [Float], step: Int64) {
        precondition(mValues.count == m.count && vValues.count == v.count, "Adam.restore: size mismatch")
        m.withMutableData { _ = $0.update(from: mValues) }
        v.withMutableData { _ = $0.update(from: vValues) }
        self.step = step
    }
}
