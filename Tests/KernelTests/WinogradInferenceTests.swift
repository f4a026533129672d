import CKernels
import XCTest

// Winograd F(4x4, 3x3) in the inference forward (CK_CONV_INFERENCE): with and without a kept
// filter, plain and reading its input through nearest 2x upsampling (taps rotated or not),
// against the naive float64-accumulated conv. WinogradTests covers the three training passes.
//
// Tolerance: 1e-4 of max |reference|, as every conv test. F(4x4, 3x3) rounds more than
// F(2x2, 3x3) (transform coefficients up to 8 and 1/24): the measured error, printed below,
// is around 1e-5 of max |ref| at 256-512 channels, still an order of magnitude inside the
// bound, while a wrong tap, phase or crop gives errors of order 1e-1.
final class WinogradInferenceTests: XCTestCase {
    private func shape(_ n: Int, _ cin: Int, _ h: Int, _ w: Int, _ cout: Int) -> ck_conv_shape {
        var s = ck_conv_shape(n: Int32(n), cin: Int32(cin), h: Int32(h), w: Int32(w), cout: Int32(cout),
                              kh: 3, kw: 3, stride: 1, pad: 1, ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        return s
    }

    /// x [n, c, h, w] → [n, c, 2h, 2w], nearest neighbour.
    private func upsampled(_ x: [Float], _ planes: Int, _ h: Int, _ w: Int) -> [Float] {
        var out = [Float](repeating: 0, count: planes * 4 * h * w)
        for p in 0..<planes {
            for y in 0..<(2 * h) {
                for xx in 0..<(2 * w) { out[(p * 2 * h + y) * 2 * w + xx] = x[(p * h + y / 2) * w + xx / 2] }
            }
        }
        return out
    }

    /// F(4x4, 3x3) on the conv of shape (n, cin, h, w) → cout against the naive kernel, at
    /// every kernel level; with `upsample` the input is [n, cin, h/2, w/2] read through
    /// nearest 2x upsampling. The reference covers output channels `checked` (all by
    /// default; the naive kernel computes exactly those). Returns the worst relative error.
    @discardableResult
    private func check(_ n: Int, _ cin: Int, _ h: Int, _ w: Int, _ cout: Int, upsample: Bool = false,
                       rotated: Bool = false, checked: [Int]? = nil, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) -> Float {
        var s = shape(n, cin, h, w, cout)
        let label = "n \(n) cin \(cin) \(h)x\(w) cout \(cout)\(upsample ? " upsampled" : "")\(rotated ? " rotated" : "")"
        XCTAssertEqual(ck_conv_plan(&s, CK_CONV_INFERENCE), CK_CONV_WINOGRAD, "not winograd: \(label)",
                       file: file, line: line)
        var rng = KernelTestRNG(seed: seed)
        let x = upsample ? rng.array(n * cin * h * w / 4) : rng.array(n * cin * h * w)
        let wt = rng.array(cout * cin * 9)
        let xFull = upsample ? upsampled(x, n * cin, h / 2, w / 2) : x
        // Rotating by 180° reverses each 3x3 block of taps.
        let wtRef = rotated ? stride(from: 0, to: wt.count, by: 9).flatMap { wt[$0..<($0 + 9)].reversed() } : wt
        let outs = checked ?? Array(0..<cout), plane = h * w
        var sRef = shape(n, cin, h, w, outs.count)
        var yRef = [Float](repeating: 0, count: n * outs.count * plane)
        ck_conv2d_forward_naive(&sRef, xFull, outs.flatMap { wtRef[($0 * cin * 9)..<(($0 + 1) * cin * 9)] }, &yRef)
        /// y [n, cout, h, w] restricted to the checked channels.
        func restricted(_ y: [Float]) -> [Float] {
            var out: [Float] = []
            for b in 0..<n {
                for o in outs { out += y[((b * cout + o) * plane)..<((b * cout + o + 1) * plane)] }
            }
            return out
        }
        var worst: Float = 0
        forEachKernelLevel { level in
            var ws = GuardedWorkspace(size: Int(ck_conv2d_inference_workspace_floats(&s)))
            var y = [Float](repeating: .nan, count: n * cout * plane)
            // Once transforming the filter itself, once with the filter transformed ahead
            // (as a caller that keeps it does): the same bytes either way.
            var kept = [Float](repeating: .nan, count: Int(ck_conv2d_inference_filter_floats(&s)))
            XCTAssertEqual(kept.count, 36 * cout * cin, file: file, line: line)
            ck_conv2d_inference_transform_filter(&s, rotated ? 1 : 0, wt, &kept)
            var yKept = [Float](repeating: .nan, count: y.count)
            ws.buffer.withUnsafeMutableBufferPointer {
                if upsample {
                    XCTAssertEqual(ck_conv2d_upsample_inference(&s, rotated ? 1 : 0, x, wt, nil, &y, $0.baseAddress), 0,
                                   file: file, line: line)
                    XCTAssertEqual(ck_conv2d_upsample_inference(&s, rotated ? 1 : 0, x, [], kept, &yKept, $0.baseAddress), 0,
                                   file: file, line: line)
                } else {
                    ck_conv2d_forward_inference(&s, x, wt, nil, &y, $0.baseAddress)
                    ck_conv2d_forward_inference(&s, x, [], kept, &yKept, $0.baseAddress)
                }
            }
            XCTAssertTrue(y == yKept, "kept filter changed the output \(label) [\(level)]", file: file, line: line)
            if !upsample {   // the training forward runs the same kernel: the same bytes
                var yForward = [Float](repeating: .nan, count: y.count)
                var wsForward = [Float](repeating: .nan, count: Int(ck_conv2d_workspace_floats(&s)))
                ck_conv2d_forward(&s, x, wt, &yForward, &wsForward)
                XCTAssertTrue(y == yForward, "inference differs from the forward \(label) [\(level)]", file: file, line: line)
            }
            XCTAssertTrue(ws.intact, "workspace overrun \(label) [\(level)]", file: file, line: line)
            let e = maxRelativeDifference(restricted(y), yRef)
            XCTAssertLessThan(e, 1e-4, "\(label) [\(level)]", file: file, line: line)
            print("winograd inference \(label) [\(level)]: max rel err \(e)")
            worst = max(worst, e)
        }
        return worst
    }

    func testPlan() {
        var s = shape(2, 64, 64, 64, 64)
        XCTAssertEqual(ck_conv_plan(&s, CK_CONV_INFERENCE), CK_CONV_WINOGRAD)
        // Every shape plans as the forward, and the training passes take it too.
        for pass in [CK_CONV_FORWARD, CK_CONV_INPUT_GRAD, CK_CONV_WEIGHT_GRAD] {
            XCTAssertEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD)
        }
        for t in [shape(1, 16, 64, 64, 16), shape(8, 512, 4, 4, 512)] {
            var t = t
            XCTAssertEqual(ck_conv_plan(&t, CK_CONV_INFERENCE), ck_conv_plan(&t, CK_CONV_FORWARD))
        }
        var strided = ck_conv_shape(n: 2, cin: 64, h: 64, w: 64, cout: 64, kh: 3, kw: 3, stride: 2, pad: 1, ho: 0, wo: 0)
        ck_conv_shape_finish(&strided)
        XCTAssertNotEqual(ck_conv_plan(&strided, CK_CONV_INFERENCE), CK_CONV_WINOGRAD)
        // Upsampling needs an even map and the Winograd plan; otherwise it refuses.
        var odd = shape(2, 64, 63, 64, 64)
        XCTAssertEqual(ck_conv2d_upsample_fusable(&odd), 0)
        var y = [Float](repeating: 7, count: 4)
        XCTAssertEqual(ck_conv2d_upsample_inference(&odd, 0, [], [], nil, &y, nil), -1)
        XCTAssertEqual(y, [7, 7, 7, 7])
        // Nothing to keep where the plan is not F(4x4, 3x3); the transform then writes nothing.
        var direct = shape(1, 16, 64, 64, 16)
        XCTAssertEqual(ck_conv2d_inference_filter_floats(&direct), 0)
        var small = shape(1, 16, 64, 64, 16)
        XCTAssertEqual(ck_conv2d_upsample_fusable(&small), 0)
        var thin = shape(1, 32, 64, 64, 32)   // 32 x 32 channels: the direct kernels are faster
        XCTAssertEqual(ck_conv2d_upsample_fusable(&thin), 0)
    }

    func testEdgesAndPartialTiles() {
        check(1, 64, 32, 32, 64, seed: 1)     // whole tiles
        check(1, 65, 30, 29, 35, seed: 2)     // partial tiles on both edges, odd channels
        check(3, 40, 18, 21, 57, seed: 3)     // rows of 2 and 1 in the last tiles
        check(11, 64, 8, 9, 32, seed: 4)      // smallest maps, many images
    }

    func testUpsampled() {
        check(1, 64, 32, 32, 64, upsample: true, seed: 11)
        check(2, 35, 18, 26, 61, upsample: true, seed: 12)   // 9x13 input: partial tiles
        check(1, 128, 64, 64, 64, upsample: true, seed: 13)  // the bundled model's 64² up-conv
        check(4, 48, 16, 20, 48, upsample: true, rotated: true, seed: 14)   // the official fused up-conv's form
    }

    func testManyChunksAndWideChannels() {
        // 1024 tiles of 256 -> 64 channels: two chunks of tile rows (the V + M budget holds
        // about 700), the reference on 3 output channels.
        check(4, 256, 64, 64, 64, checked: [0, 17, 63], seed: 21)
        // Wide sums over input channels (the rounding grows with them).
        let e = check(1, 256, 32, 32, 128, seed: 22)
        XCTAssertGreaterThan(e, 0)   // a float32 path: not bit-identical to float64 sums
        check(4, 512, 16, 16, 64, seed: 23)
    }

    func testFilterInOutputChannelChunks() {
        // Few tiles and a transformed filter over 4 MiB: the filter is transformed and
        // multiplied 112 output channels at a time (112, 112, then a partial 32), with and
        // without a kept whole filter (check runs both). The workspace shows the chunking:
        // less than the whole transformed filter.
        var chunked = shape(2, 256, 16, 16, 256)
        XCTAssertLessThan(Int(ck_conv2d_inference_workspace_floats(&chunked)), 36 * 256 * 256)
        check(2, 256, 16, 16, 256, checked: [0, 111, 112, 200, 224, 255], seed: 31)
        check(2, 256, 16, 16, 256, upsample: true, rotated: true, checked: [5, 130, 250], seed: 32)
        check(1, 512, 32, 32, 80, checked: [0, 47, 48, 79], seed: 33)   // 48 + 32 channels
    }

    func testFromSixteenTiles() {
        // 16 and 24 tiles (the 16² layers at batch 1): plain, upsampled and rotated, and
        // chunked in output channels (512 x 512 @16²), each with and without a kept filter.
        check(1, 128, 16, 16, 128, seed: 41)
        check(1, 64, 16, 24, 48, upsample: true, rotated: true, seed: 42)
        check(1, 512, 16, 16, 512, checked: [0, 47, 48, 511], seed: 43)
    }
}
