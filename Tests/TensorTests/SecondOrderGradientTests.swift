import XCTest
@testable import StyleGANTensor

/// Gradients of gradients against finite differences of first-order gradients.
///
/// For an op y = op(x; θ), the checked scalar is f(x, θ) = Σ q ⊙ (∇ₓ Σ r ⊙ y²)²-like
/// forms: the inner gradient is taken with `createGraph: true`, and the check then
/// differentiates f with respect to both x and θ — exactly the shape of R1.
final class SecondOrderGradientTests: XCTestCase {
    /// ‖∇ₓ s(x, θ…)‖² where s = Σ r ⊙ op(inputs)²; inputs[0] is x.
    private func gradientPenalty(_ op: @escaping ([Tensor]) -> Tensor) -> ([Tensor]) -> Tensor {
        { inputs in
            let s = weightedSum(square(op(inputs)))
            let gx = gradients(of: s, withRespectTo: [inputs[0]], createGraph: true)[0]
            return sum(square(gx))
        }
    }

    func testConv2dAndTransposedConv() {
        var r = TestRandom(seed: 11)
        let x = r.normal([2, 2, 5, 5]), w = r.normal([3, 2, 3, 3], scale: 0.5)
        assertGradients([x, w], step: 1e-2) { self.gradientPenalty { conv2d($0[0], $0[1], padding: 1) }($0) }
        let xs = r.normal([1, 2, 6, 6]), ws = r.normal([2, 2, 4, 4], scale: 0.5)
        assertGradients([xs, ws]) { self.gradientPenalty { conv2d($0[0], $0[1], stride: 2, padding: 1) }($0) }
        let y = r.normal([1, 3, 3, 3]), k = r.normal([3, 2, 4, 4], scale: 0.5)
        assertGradients([y, k]) { self.gradientPenalty { convTranspose2d($0[0], $0[1], stride: 2, padding: 1) }($0) }
    }

    func testResamplingAndLeakyRelu() {
        var r = TestRandom(seed: 12)
        let x = r.awayFromZero([1, 2, 4, 4], lo: 0.2)
        assertGradients([x]) { self.gradientPenalty { upsampleNearest2x($0[0]) }($0) }
        assertGradients([x]) { self.gradientPenalty { downsampleBox2x($0[0]) }($0) }
        assertGradients([x]) { self.gradientPenalty { blur($0[0]) }($0) }
        assertGradients([x]) { self.gradientPenalty { leakyRelu($0[0]) * $0[0] }($0) }
    }

    func testDenseReductionsAndInstanceNorm() {
        var r = TestRandom(seed: 13)
        let x = r.normal([3, 4]), w = r.normal([4, 5], scale: 0.5), b = r.normal([5])
        assertGradients([x, w, b]) { self.gradientPenalty { softplus(matmul($0[0], $0[1]) + $0[2]) }($0) }
        let t = r.normal([2, 3, 3, 3])
        assertGradients([t]) { self.gradientPenalty { exp(mean($0[0], axes: [2, 3]) * 0.5) + sum($0[0], axes: [1, 2, 3], keepDims: false).reshaped([2, 1]) * 0.1 }($0) }
        assertGradients([t], step: 5e-3) { self.gradientPenalty { instanceNorm($0[0]) * $0[0] }($0) }
    }

    /// The acceptance check: a small two-layer conv discriminator with blur,
    /// downsampling and minibatch stddev; ∇_θ ‖∇ₓ Σ D(x; θ)‖² against finite differences
    /// for every parameter.
    ///
    /// With leaky ReLU the penalty jumps wherever a pre-activation changes sign (the
    /// slope map inside ∇ₓD is piecewise constant), so central differences are only
    /// valid when no pre-activation sits within the step of zero: the leaky variant
    /// uses small inputs and biases of magnitude ≥ 0.5 so every sign is set by the
    /// bias. The softplus variant has no kinks at all.
    func testR1OfSmallDiscriminator() {
        for smooth in [false, true] {
            var r = TestRandom(seed: 14)
            let x = r.normal([4, 3, 8, 8], scale: smooth ? 1 : 0.1)
            let params = [r.normal([4, 3, 3, 3], scale: 0.4), r.awayFromZero([4], lo: 0.5),   // conv0
                          r.normal([4, 5, 3, 3], scale: 0.1), r.awayFromZero([4], lo: 0.5),   // conv1 after mbstd
                          r.normal([64, 1], scale: 0.2), r.normal([1])]                       // dense → score
            let act: (Tensor) -> Tensor = smooth ? { softplus($0) } : { leakyRelu($0) }
            func discriminator(_ x: Tensor, _ p: [Tensor]) -> Tensor {
                var h = act(conv2d(x, p[0], padding: 1) + reshape(p[1], [1, 4, 1, 1]))
                h = downsampleBox2x(blur(h))                                              // [4, 4, 4, 4]
                h = minibatchStddev(h, groupSize: 4)                                      // [4, 5, 4, 4]
                h = act(conv2d(h, p[2], padding: 1) + reshape(p[3], [1, 4, 1, 1]))
                return matmul(reshape(h, [4, 64]), p[4]) + p[5]                           // [4, 1]
            }
            let real = x.requiringGrad()
            let r1: ([Tensor]) -> Tensor = { weights in
                let scores = discriminator(real, weights)
                let gx = gradients(of: sum(scores), withRespectTo: [real], createGraph: true)[0]
                return sum(square(gx))
            }
            let report = GradientCheck.check(params, step: 5e-3, maxElements: 24, r1)
            XCTAssertTrue(report.passes(), "smooth \(smooth): \(report)")
            // The penalty must depend on the weights (a zero gradient would pass trivially).
            let leaves = params.map { $0.requiringGrad() }
            let g = gradients(of: r1(leaves), withRespectTo: leaves)
            XCTAssertGreaterThan(g[2].scalars.map(abs).max() ?? 0, 1e-4, "smooth \(smooth)")
        }
    }
}

extension Tensor {
    func reshaped(_ shape: [Int]) -> Tensor { reshape(self, shape) }
}
