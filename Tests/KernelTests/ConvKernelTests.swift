import CKernels
import XCTest


final class ConvKernelTests: XCTestCase {
    // (n, cin, h, w, cout, k, stride, pad)
    static let fixedShapes: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
        (1, 3, 5, 7, 4, 3, 1, 1),        // odd, h != w
        (3, 5, 9, 6, 7, 3, 2, 1),        // batch 3, stride 2, grouped GEMM
        (1, 8, 8, 8, 8, 1, 1, 0),        // 1x1 per image
        (3, 7, 5, 5, 9, 1, 1, 0),        // 1x1 grouped
        (3, 6, 7, 5, 5, 4, 2, 1),        // 4x4 pad 1 stride 2, odd h
        (2, 4, 11, 13, 3, 3, 2, 0),      // no padding, stride 2
        (2, 3, 9, 9, 4, 5, 1, 2),        // 5x5
        (1, 2, 6, 6, 3, 3, 3, 1),        // stride 3
        (1, 16, 64, 80, 16, 3, 1, 1),    // direct forward and direct input grad
        (2, 10, 70, 70, 12, 3, 1, 1),    // direct, cout not a multiple of 4, pixel tail
        (1, 6, 129, 131, 5, 4, 2, 1),    // direct forward with stride 2, odd sizes
        (1, 5, 66, 64, 6, 3, 1, 0),      // direct input grad with pad 0 (transposed pad 2)
        (1, 4, 64, 64, 5, 1, 1, 1),      // 1x1 with pad 1: transposed pad -1 (crop)
        (1, 256, 64, 64, 8, 3, 1, 1),    // GEMM with row chunks
        (1, 128, 130, 130, 4, 3, 2, 1),  // GEMM with row chunks, stride 2
        (3, 40, 9, 9, 33, 3, 1, 1),      // grouped, channels not multiples of 8
        (2, 8, 8, 8, 12, 3, 1, 1),       // small-N GEMM, 8 column panels
        (2, 40, 4, 4, 13, 3, 1, 1),      // small-N GEMM, K in chunks, partial row block
        (1, 64, 4, 4, 18, 3, 1, 1),      // small-N GEMM, one panel
        (2, 5, 100, 97, 7, 3, 2, 1),     // direct input grad by phases, 3x3 stride 2
        (1, 4, 64, 80, 3, 1, 2, 0),      // 1x1 stride 2: phases without taps
        (1, 3, 66, 68, 4, 4, 2, 0),      // 4x4 stride 2, no padding
        (1, 3, 65, 70, 4, 5, 3, 2),      // 5x5 stride 3
    ]

    private func makeShape(_ t: (Int, Int, Int, Int, Int, Int, Int, Int)) -> ck_conv_shape {
        var s = ck_conv_shape(n: Int32(t.0), cin: Int32(t.1), h: Int32(t.2), w: Int32(t.3),
                              cout: Int32(t.4), kh: Int32(t.5), kw: Int32(t.5),
                              stride: Int32(t.6), pad: Int32(t.7), ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        return s
    }

    private func randomShapes(count: Int, rng: inout KernelTestRNG) -> [(Int, Int, Int, Int, Int, Int, Int, Int)] {
        var out: [(Int, Int, Int, Int, Int, Int, Int, Int)] = []
        while out.count < count {
            let k = [1, 2, 3, 3, 4, 5][rng.int(0...5)]
            let stride = rng.int(1...2)
            let pad = rng.int(0...(k / 2 + 1))
            let h = rng.int(1...17), w = rng.int(1...17)
            if h + 2 * pad < k || w + 2 * pad < k { continue }
            out.append((rng.int(1...3), rng.int(1...12), h, w, rng.int(1...12), k, stride, pad))
        }
        return out
    }

    private func check(_ t: (Int, Int, Int, Int, Int, Int, Int, Int), rng: inout KernelTestRNG,
                       file: StaticString = #filePath, line: UInt = #line) {
        checkConvAgainstNaive(makeShape(t), rng: &rng, label: "shape \(t)", file: file, line: line)
    }

    func testShapeFinish() {
        var s = makeShape((1, 1, 7, 6, 1, 4, 2, 1))
        XCTAssertEqual(s.ho, 3)
        XCTAssertEqual(s.wo, 3)
        s = makeShape((1, 1, 32, 32, 1, 3, 1, 1))
        XCTAssertEqual(s.ho, 32)
        XCTAssertEqual(s.wo, 32)
    }

    func testFixedShapesAgainstNaive() {
        var rng = KernelTestRNG(seed: 1)
        for t in Self.fixedShapes { check(t, rng: &rng) }
    }

    func testRandomShapesAgainstNaive() {
        var rng = KernelTestRNG(seed: 2)
        for t in randomShapes(count: 40, rng: &rng) { check(t, rng: &rng) }
    }

    func testNonSquareKernelNaiveAdjoint() {
        // The fast kernels accept kh != kw too; compare against naive.
        var rng = KernelTestRNG(seed: 3)
        var s = ck_conv_shape(n: 2, cin: 3, h: 9, w: 70, cout: 5, kh: 1, kw: 3, stride: 1, pad: 1, ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        let x = rng.array(2 * 3 * 9 * 70), wt = rng.array(5 * 3 * 3)
        var yRef = [Float](repeating: 0, count: 2 * 5 * Int(s.ho * s.wo)), y = yRef
        var ws = [Float](repeating: 0, count: Int(ck_conv2d_workspace_floats(&s)))
        ck_conv2d_forward_naive(&s, x, wt, &yRef)
        ck_conv2d_forward(&s, x, wt, &y, &ws)
        assertMatchesReference(y, yRef)
    }

    func testRunsOnSeveralThreadsWhenAvailable() throws {
        try XCTSkipUnless(ck_num_procs() > 1 && ck_get_num_threads() > 1, "one core or one thread: nothing to check")
        XCTAssertGreaterThan(ck_threads_in_parallel_region(), 1)
    }
}
