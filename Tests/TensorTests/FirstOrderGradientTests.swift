import XCTest
@testable import StyleGANTensor

/// Every primitive's first derivative against central finite differences.
final class FirstOrderGradientTests: XCTestCase {
    func testUnaryOps() {
        var r = TestRandom(seed: 1)
        let x = r.awayFromZero([2, 3, 4])
        let positive = r.uniform([2, 3, 4], 0.5, 2)
        assertGradients([x]) { weightedSum(affine($0[0], scale: -1.5, shift: 0.3)) }
        assertGradients([x]) { weightedSum(exp($0[0])) }
        assertGradients([x]) { weightedSum(-$0[0]) }
        assertGradients([x]) { weightedSum(square($0[0])) }
        assertGradients([x]) { weightedSum(sigmoid($0[0] * 3)) }
        assertGradients([x]) { weightedSum(softplus($0[0] * 4)) }
        assertGradients([x]) { weightedSum(leakyRelu($0[0], slope: 0.2)) }
        assertGradients([positive]) { weightedSum(log($0[0])) }
        assertGradients([positive]) { weightedSum(sqrt($0[0])) }
        assertGradients([positive]) { weightedSum(rsqrt($0[0])) }
        assertGradients([positive]) { weightedSum(reciprocal($0[0])) }
    }

    func testBroadcastingBinaryOps() {
        var r = TestRandom(seed: 2)
        let a = r.normal([2, 3, 4, 5])
        let bias = r.normal([1, 3, 1, 1])
        let row = r.normal([5])
        let perSample = r.uniform([2, 1, 1, 1], 0.5, 1.5)
        assertGradients([a, bias]) { weightedSum($0[0] + $0[1]) }
        assertGradients([a, row]) { weightedSum($0[0] - $0[1]) }
        assertGradients([a, bias]) { weightedSum($0[0] * $0[1]) }
        assertGradients([a, perSample]) { weightedSum($0[0] / $0[1]) }
        assertGradients([bias]) { weightedSum(broadcast($0[0], to: [2, 3, 4, 5])) }
    }

    func testReductionsAndShapes() {
        var r = TestRandom(seed: 3)
        let x = r.normal([2, 3, 4, 5])
        assertGradients([x]) { weightedSum(sum($0[0], axes: [1, 3])) }
        assertGradients([x]) { weightedSum(mean($0[0], axes: [2, 3], keepDims: true)) }
        assertGradients([x]) { sum($0[0]) * 0.1 }
        assertGradients([x]) { weightedSum(sum($0[0], to: [3, 1, 5])) }
        assertGradients([x]) { weightedSum(reshape($0[0], [6, -1])) }
        assertGradients([x]) { weightedSum(slice($0[0], axis: 1, start: 1, length: 2)) }
        assertGradients([x]) { weightedSum(pad($0[0], axis: 2, before: 1, after: 2)) }
        let y = r.normal([2, 1, 4, 5])
        assertGradients([x, y]) { weightedSum(concat([$0[0], $0[1]], axis: 1)) }
        assertGradients([x]) { weightedSum(permute($0[0], [2, 0, 3, 1])) }
        XCTAssertEqual(permute(x, [3, 2, 1, 0]).shape, [5, 4, 3, 2])
        // x [2, 3, 4, 5] → [3, 2, 4, 5]: element (c 1, n 0, h 3, w 4) is x's (n 0, c 1, h 3, w 4).
        let swapped = permute(x, [1, 0, 2, 3]).scalars
        let (at, from): (Int, Int) = (40 + 15 + 4, 20 + 15 + 4)
        XCTAssertEqual(swapped[at], x.scalars[from])
    }

    func testMatmulAllTranspositions() {
        var r = TestRandom(seed: 4)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = r.normal(ta ? [5, 3] : [3, 5])
            let b = r.normal(tb ? [4, 5] : [5, 4])
            assertGradients([a, b]) { weightedSum(matmul($0[0], $0[1], transposeA: ta, transposeB: tb)) }
        }
    }

    func testConvolutions() {
        var r = TestRandom(seed: 5)
        // (input, weight, stride, padding): 3x3 same, stride 2 with odd size, 1x1, 4x4 stride 2 (fused down).
        let cases: [([Int], [Int], Int, Int)] = [
            ([2, 3, 5, 6], [4, 3, 3, 3], 1, 1),
            ([1, 2, 7, 7], [3, 2, 3, 3], 2, 1),
            ([2, 3, 4, 4], [2, 3, 1, 1], 1, 0),
            ([1, 2, 8, 8], [2, 2, 4, 4], 2, 1),
        ]
        for (xs, ws, stride, padding) in cases {
            let x = r.normal(xs), w = r.normal(ws, scale: 0.5)
            assertGradients([x, w]) { weightedSum(conv2d($0[0], $0[1], stride: stride, padding: padding)) }
        }
        // Transposed conv as G's fused 2x upsampling: 4x4 kernel, stride 2, padding 1.
        let y = r.normal([2, 3, 4, 4]), k = r.normal([3, 2, 4, 4], scale: 0.5)
        assertGradients([y, k]) { weightedSum(convTranspose2d($0[0], $0[1], stride: 2, padding: 1)) }
    }

    func testResampling() {
        var r = TestRandom(seed: 6)
        let x = r.normal([2, 3, 5, 6])
        let even = r.normal([1, 2, 6, 4])
        assertGradients([x]) { weightedSum(upsampleNearest2x($0[0])) }
        assertGradients([even]) { weightedSum(downsampleBox2x($0[0])) }
        assertGradients([x]) { weightedSum(blur($0[0])) }
        let odd = FIRResampling(upX: 2, upY: 1, downX: 1, downY: 2, padX0: 2, padX1: 1, padY0: 1, padY1: -1,
                                filterX: [0.1, 0.7, -0.3, 0.5], filterY: [0.6, 0.4])
        assertGradients([x]) { weightedSum(upfirdn2d($0[0], odd)) }
    }

    func testNormalisationAndMinibatchStddev() {
        var r = TestRandom(seed: 7)
        let x = r.normal([2, 3, 4, 4])
        assertGradients([x]) { weightedSum(instanceNorm($0[0])) }
        let batch = r.normal([8, 2, 3, 3])
        assertGradients([batch]) { weightedSum(minibatchStddev($0[0], groupSize: 4)) }
    }

    func testGradientOfIntermediateAndUnreachableInputs() {
        var r = TestRandom(seed: 8)
        let x = r.normal([3]).requiringGrad()
        let unused = r.normal([2]).requiringGrad()
        let h = x * 2
        let y = sum(square(h))
        let g = gradients(of: y, withRespectTo: [h, x, unused])
        assertClose(g[0].scalars, h.scalars.map { 2 * $0 })
        assertClose(g[1].scalars, x.scalars.map { 8 * $0 })
        XCTAssertEqual(g[2].scalars, [0, 0])
    }
}
