import XCTest
import Foundation
import CKernels
@testable import StyleGANTensor

/// The element-wise, reduction, normalisation and optimiser kernels against plain
/// Swift reference loops, on odd shapes and on sizes large enough to run in parallel.
/// Each test runs at every kernel level this machine supports (portable, avx2, avx512).
final class ElementwiseKernelTests: XCTestCase {
    /// Reference broadcasting binary op by explicit index arithmetic.
    private func referenceBinary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> [Float] {
        let shape = Shape.broadcast(a.shape, b.shape, op: "ref")
        let sa = Shape.broadcastStrides(a.shape, to: shape), sb = Shape.broadcastStrides(b.shape, to: shape)
        var out: [Float] = []
        for flat in 0..<Shape.count(shape) {
            var rem = flat, ia = 0, ib = 0
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                let i = rem % shape[d]
                rem /= shape[d]
                ia += i * Int(sa[d]); ib += i * Int(sb[d])
            }
            out.append(f(a.data[ia], b.data[ib]))
        }
        return out
    }

    /// `permuteCopy` (both of its paths: the element-wise copy, and the tap transpose for
    /// conv weights from a file, order [3, 2, 0, 1]) against an index-by-index reference.
    func testPermuteCopyMatchesReference() {
        let cases: [([Int], [Int])] = [([3, 3, 5, 20], [3, 2, 0, 1]), ([3, 3, 64, 17], [3, 2, 0, 1]), ([1, 1, 1, 9], [3, 2, 0, 1]),
                                       ([4, 33], [1, 0]), ([2, 3, 8], [2, 0, 1]), ([2, 3, 8], [1, 2, 0]), ([5, 7, 3], [1, 0, 2]),
                                       ([4, 5], [1, 0]), ([6], [0])]
        for (shape, order) in cases {
            let count = Shape.count(shape)
            let source = (0..<count).map { Float($0) }
            let inStrides = Shape.strides(shape), outShape = order.map { shape[$0] }
            var expected = [Float](repeating: -1, count: count)
            for flat in 0..<count {   // output index → source offset
                var rem = flat, offset = 0
                for d in stride(from: outShape.count - 1, through: 0, by: -1) {
                    offset += rem % outShape[d] * inStrides[order[d]]
                    rem /= outShape[d]
                }
                expected[flat] = source[offset]
            }
            var out = [Float](repeating: -1, count: count)
            source.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { permuteCopy(src, shape: shape, order: order, into: $0) }
            }
            XCTAssertEqual(out, expected, "\(shape) by \(order)")
        }
    }

    func testBinaryBroadcastMatchesReference() {
        atEveryKernelLevel {
            var r = TestRandom(seed: 21)
            let pairs: [([Int], [Int])] = [
                ([2, 3, 5, 7], [2, 3, 5, 7]), ([2, 3, 5, 7], [1, 3, 1, 1]), ([2, 3, 5, 7], [7]),
                ([2, 1, 5, 7], [2, 3, 1, 1]), ([3, 1], [1, 4]), ([], [2, 3]), ([4, 64, 33, 33], [4, 1, 33, 33]),
                ([1, 1, 70_000], [1]),
            ]
            for (sa, sb) in pairs {
                let a = r.normal(sa), b = r.uniform(sb, 0.5, 2)
                assertClose((a + b).scalars, referenceBinary(a, b, +), "add \(sa) \(sb)")
                assertClose((a - b).scalars, referenceBinary(a, b, -), "sub \(sa) \(sb)")
                assertClose((a * b).scalars, referenceBinary(a, b, *), "mul \(sa) \(sb)")
                assertClose((b * a).scalars, referenceBinary(b, a, *), "mul swapped \(sa) \(sb)")
                assertClose((a / b).scalars, referenceBinary(a, b, /), "div \(sa) \(sb)")
            }
        }
    }

    func testUnaryOpsMatchReference() {
        atEveryKernelLevel {
            var r = TestRandom(seed: 22)
            let x = r.normal([3, 40_001], scale: 3)   // odd, and large enough to go parallel
            let v = x.scalars
            assertClose(softplus(x).scalars, v.map { Float(Foundation.log1p(Foundation.exp(Double($0)))) }, tolerance: 1e-6)
            assertClose(sigmoid(x).scalars, v.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }, tolerance: 1e-6)
            assertClose(leakyRelu(x).scalars, v.map { $0 > 0 ? $0 : 0.2 * $0 })
            assertClose(affine(x, scale: 2, shift: -1).scalars, v.map { 2 * $0 - 1 })
            XCTAssertEqual(softplus(Tensor(shape: [2], values: [200, -200])).scalars, [200, 0], "softplus must not overflow")
            XCTAssertEqual(sigmoid(Tensor(shape: [2], values: [200, -200])).scalars, [1, 0])
        }
    }

    func testReductionsMatchReference() {
        atEveryKernelLevel {
            var r = TestRandom(seed: 23)
            let x = r.normal([3, 4, 5, 6])
            let v = x.scalars
            var expected = [Float](repeating: 0, count: 4 * 6)
            for a in 0..<3 { for b in 0..<4 { for c in 0..<5 { for d in 0..<6 {
                expected[b * 6 + d] += v[((a * 4 + b) * 5 + c) * 6 + d]
            } } } }
            let s = sum(x, axes: [0, 2])
            XCTAssertEqual(s.shape, [4, 6])
            assertClose(s.scalars, expected, tolerance: 1e-5)
            XCTAssertEqual(sum(x).item, v.reduce(0, +), accuracy: 1e-3)
            let big = Tensor.ones([1_000_003])
            XCTAssertEqual(sum(big).item, 1_000_003)
        }
    }

    func testFusedInstanceNormMatchesComposite() {
        atEveryKernelLevel {
            var r = TestRandom(seed: 24)
            let x = affine(r.normal([2, 5, 9, 7]), scale: 3, shift: 1)
            let fused = withoutGradients { instanceNorm(x) }
            let composite = instanceNorm(x.requiringGrad())
            assertClose(fused.scalars, composite.scalars, tolerance: 1e-5)
            // Each plane has mean 0 and unit variance.
            let m = mean(fused, axes: [2, 3]).scalars
            XCTAssertLessThan(m.map(abs).max()!, 1e-5)
        }
    }

    /// The fused synthesis epilogue against a float64 loop, on odd plane sizes (vector tails)
    /// and planes large enough to run in parallel.
    func testStyleEpilogueMatchesReference() {
        atEveryKernelLevel {
            var r = TestRandom(seed: 25)
            for (n, c, h, w) in [(2, 3, 5, 7), (1, 2, 3, 1), (3, 4, 33, 17), (2, 8, 64, 64)] {
                let x = r.normal([n, c, h, w]), noise = r.normal([n, 1, h, w])
                let strength = r.normal([c]), bias = r.normal([c]), scale = r.normal([n, c]), shift = r.normal([n, c])
                let y = Fused.styleEpilogue(x, noise: noise, strength: strength, bias: bias, scale: scale, shift: shift,
                                            slope: 0.2, epsilon: 1e-8).scalars
                let hw = h * w
                var ref = [Float](repeating: 0, count: y.count)
                for p in 0..<(n * c) {
                    let (i, ch) = (p / c, p % c)
                    var v = [Double](repeating: 0, count: hw)
                    for k in 0..<hw {
                        let t = Double(x.data[p * hw + k]) + Double(noise.data[i * hw + k]) * Double(strength.data[ch]) + Double(bias.data[ch])
                        v[k] = t > 0 ? t : 0.2 * t
                    }
                    let mean = v.reduce(0, +) / Double(hw)
                    let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(hw)
                    for k in 0..<hw {
                        ref[p * hw + k] = Float((v[k] - mean) / (variance + 1e-8).squareRoot() * Double(scale.data[p]) + Double(shift.data[p]))
                    }
                }
                assertClose(y, ref, tolerance: 1e-4)
            }
        }
    }

    func testAdamAndEmaUpdates() {
        atEveryKernelLevel {
            var p: [Float] = [1, -2, 3], m: [Float] = [0.1, 0, -0.2], v: [Float] = [0.01, 0.02, 0.03]
            let g: [Float] = [0.5, -1, 2]
            let (lr, b1, b2, eps) = (Float(0.01), Float(0.0), Float(0.99), Float(1e-8))
            var ep = p, em = m, ev = v
            for i in 0..<3 {
                em[i] = b1 * m[i] + (1 - b1) * g[i]
                ev[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let lrT = lr * (1 - Foundation.pow(b2, 3)).squareRoot() / (1 - Foundation.pow(b1, 3))
                ep[i] = p[i] - lrT * em[i] / (ev[i].squareRoot() + eps)
            }
            ck_adam_update(&p, g, &m, &v, 3, lr, b1, b2, eps, 3)
            assertClose(p, ep, tolerance: 1e-6)
            assertClose(m, em)
            assertClose(v, ev)
            var ema: [Float] = [1, 1, 1]
            ck_ema_update(&ema, [3, 1, -1], 3, 0.75)
            assertClose(ema, [1.5, 1, 0.5])
            XCTAssertEqual(ck_all_finite([1, 2, .nan], 3), 0)
            XCTAssertEqual(ck_all_finite([1, 2, 3], 3), 1)
        }
    }
}

/// Counter-based Gaussian noise: right moments, and the same values for any thread count.
final class RandomNormalTests: XCTestCase {
    func testMomentsAndThreadIndependence() {
        atEveryKernelLevel {
            let previous = Threads.current
            defer { Threads.configure(previous) }
            Threads.configure(1)
            let one = Tensor.randomNormal([200_001], seed: 42).scalars
            Threads.configure(max(Threads.cores, 2))
            let many = Tensor.randomNormal([200_001], seed: 42).scalars
            XCTAssertEqual(one, many)
            let n = Double(one.count)
            let m = one.reduce(0.0) { $0 + Double($1) } / n
            let v = one.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / n
            XCTAssertEqual(m, 0, accuracy: 0.01)
            XCTAssertEqual(v, 1, accuracy: 0.02)
            XCTAssertNotEqual(Tensor.randomNormal([8], seed: 43).scalars, Array(one.prefix(8)))
            XCTAssertEqual(Tensor.randomNormal([8], seed: 42).scalars, Array(one.prefix(8)), "a prefix does not depend on the length")
        }
    }
}
