import CKernels
import XCTest

// Winograd F(4x4, 3x3) path of the conv kernels in the three training passes (3x3 / stride 1 /
// pad 1, >= 32 channels each side and cin * cout >= 2048, >= 8x8 maps, >= 16 tiles of 4x4
// outputs over the batch; 32 for the weight grad). WinogradInferenceTests covers the
// inference entry points (kept filter, upsampling).
//
// Tolerance: 1e-4 of max |reference| (the bound the other conv tests and the model's
// float64 reference fixtures use). The transforms use coefficients up to 5 (Bᵀ), 8 (Aᵀ) and
// 1/24 (G), which adds a few float32 roundings (2^-24 ≈ 6e-8) relative to growth factors of
// up to ~100 on top of the GEMM's own sum over cin (or over tiles for the weight gradient).
// The measured error is 3e-6 to 1.5e-5 of max |ref| (printed below), so 1e-4 leaves about
// an order of magnitude of margin while still catching any wrong tap, tile offset or crop
// (those give errors of order 1e-1). The adjoint identities hold to 1e-5.

/// a [n, c, hw] restricted to images `bs` and channels `cs`.
fileprivate func sliceNC(_ a: [Float], c: Int, hw: Int, _ bs: [Int], _ cs: [Int]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(bs.count * cs.count * hw)
    for b in bs { for ch in cs { out.append(contentsOf: a[((b * c + ch) * hw)..<((b * c + ch + 1) * hw)]) } }
    return out
}

/// w [cout, cin, 9] restricted to output channels `os` and input channels `is`.
fileprivate func sliceW(_ w: [Float], cin: Int, _ os: [Int], _ iss: [Int]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(os.count * iss.count * 9)
    for o in os { for i in iss { out.append(contentsOf: w[((o * cin + i) * 9)..<((o * cin + i + 1) * 9)]) } }
    return out
}

/// Up to `count` indices of 0..<n, always including the first and the last.
fileprivate func pick(_ n: Int, _ count: Int) -> [Int] {
    if n <= count { return Array(0..<n) }
    var s = Set<Int>([0, n - 1])
    var k = 1
    while s.count < count { s.insert((k * 7919) % n); k += 1 }
    return s.sorted()
}

final class WinogradTests: XCTestCase {
    private let passes: [ck_conv_pass] = [CK_CONV_FORWARD, CK_CONV_INPUT_GRAD, CK_CONV_WEIGHT_GRAD]

    private func shape(_ n: Int, _ cin: Int, _ h: Int, _ w: Int, _ cout: Int) -> ck_conv_shape {
        var s = ck_conv_shape(n: Int32(n), cin: Int32(cin), h: Int32(h), w: Int32(w), cout: Int32(cout),
                              kh: 3, kw: 3, stride: 1, pad: 1, ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        return s
    }

    /// Fast kernels against the naive float64-accumulated ones. For large shapes the
    /// reference is computed on a subset of images / channels (exactly the same values:
    /// the naive kernels run on the sliced problem), which keeps the test fast.
    /// Returns the worst relative error of the three passes.
    @discardableResult
    private func check(_ n: Int, _ cin: Int, _ h: Int, _ w: Int, _ cout: Int, expectWinograd: Bool = true,
                       maxChannels: Int = 1 << 30, maxImages: Int = 1 << 30, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) -> Float {
        var s = shape(n, cin, h, w, cout)
        let label = "n \(n) cin \(cin) \(h)x\(w) cout \(cout)"
        if expectWinograd {
            for pass in passes {
                XCTAssertEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD, "pass \(pass.rawValue) not Winograd: \(label)",
                               file: file, line: line)
            }
        }
        var rng = KernelTestRNG(seed: seed)
        let hw = h * w
        let x = rng.array(n * cin * hw), wt = rng.array(cout * cin * 9), g = rng.array(n * cout * hw)
        let bs = pick(n, maxImages), cos = pick(cout, maxChannels), cis = pick(cin, maxChannels)
        let allB = Array(0..<n), allCo = Array(0..<cout), allCi = Array(0..<cin)

        // References (computed once): forward y[bs, cos] = conv(x[bs, :], w[cos, :]).
        var sf = shape(bs.count, cin, h, w, cos.count)
        var yRef = [Float](repeating: 0, count: bs.count * cos.count * hw)
        ck_conv2d_forward_naive(&sf, sliceNC(x, c: cin, hw: hw, bs, allCi), sliceW(wt, cin: cin, cos, allCi), &yRef)
        // Input grad: gx[bs, cis] = conv_transpose(gy[bs, :], w[:, cis]).
        var sd = shape(bs.count, cis.count, h, w, cout)
        var gxRef = [Float](repeating: 0, count: bs.count * cis.count * hw)
        ck_conv2d_input_grad_naive(&sd, sliceNC(g, c: cout, hw: hw, bs, allCo), sliceW(wt, cin: cin, allCo, cis), &gxRef)
        // Weight grad: gw[cos, cis] from x[:, cis] and gy[:, cos] over the whole batch.
        var sw = shape(n, cis.count, h, w, cos.count)
        var gwRef = [Float](repeating: 0, count: cos.count * cis.count * 9)
        ck_conv2d_weight_grad_naive(&sw, sliceNC(x, c: cin, hw: hw, allB, cis), sliceNC(g, c: cout, hw: hw, allB, cos), &gwRef)

        var worst: Float = 0
        forEachKernelLevel { level in
            let label = "\(label) [\(level)]"
            let wsSize = Int(ck_conv2d_workspace_floats(&s))
            let guardCount = 64, sentinel: Float = 4321.5
            var ws = [Float](repeating: .nan, count: wsSize + guardCount)
            for i in wsSize..<ws.count { ws[i] = sentinel }

            var y = [Float](repeating: .nan, count: g.count)
            var gx = [Float](repeating: .nan, count: x.count)
            var gw = [Float](repeating: .nan, count: wt.count)
            ws.withUnsafeMutableBufferPointer { ck_conv2d_forward(&s, x, wt, &y, $0.baseAddress) }
            ws.withUnsafeMutableBufferPointer { ck_conv2d_input_grad(&s, g, wt, &gx, $0.baseAddress) }
            ws.withUnsafeMutableBufferPointer { ck_conv2d_weight_grad(&s, x, g, &gw, $0.baseAddress) }
            XCTAssertTrue(ws[wsSize...].allSatisfy { $0 == sentinel }, "workspace overrun \(label)", file: file, line: line)

            let ef = maxRelativeDifference(sliceNC(y, c: cout, hw: hw, bs, cos), yRef)
            XCTAssertLessThan(ef, 1e-4, "forward \(label)", file: file, line: line)
            let ed = maxRelativeDifference(sliceNC(gx, c: cin, hw: hw, bs, cis), gxRef)
            XCTAssertLessThan(ed, 1e-4, "input grad \(label)", file: file, line: line)
            let ew = maxRelativeDifference(sliceW(gw, cin: cin, cos, cis), gwRef)
            XCTAssertLessThan(ew, 1e-4, "weight grad \(label)", file: file, line: line)

            // Adjointness over the full tensors: <conv(x, w), g> = <x, dgrad(g, w)> = <w, wgrad(x, g)>.
            let a = dot(y, g), b = dot(x, gx), c = dot(wt, gw)
            let scale = dot(y, y).squareRoot() * dot(g, g).squareRoot() + 1e-30
            XCTAssertLessThan(abs(a - b) / scale, 1e-5, "adjoint x \(label)", file: file, line: line)
            XCTAssertLessThan(abs(a - c) / scale, 1e-5, "adjoint w \(label)", file: file, line: line)
            print("winograd \(label): max rel err fwd \(ef) dgrad \(ed) wgrad \(ew)")
            worst = max(worst, ef, ed, ew)
        }
        return worst
    }

    func testPathSelection() {
        var s = shape(16, 256, 16, 16, 256)
        for pass in passes { XCTAssertEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD) }
        // Not 3x3 / stride 1 / pad 1, or few channels: never Winograd.
        s = shape(16, 16, 64, 64, 16)
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD) }
        s = shape(4, 32, 64, 64, 32)   // 32 x 32 < 2048: the direct kernels
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD) }
        var t = ck_conv_shape(n: 16, cin: 256, h: 16, w: 16, cout: 256, kh: 3, kw: 3, stride: 2, pad: 1, ho: 0, wo: 0)
        ck_conv_shape_finish(&t)
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&t, pass), CK_CONV_WINOGRAD) }
        t = ck_conv_shape(n: 16, cin: 256, h: 16, w: 16, cout: 256, kh: 3, kw: 3, stride: 1, pad: 0, ho: 0, wo: 0)
        ck_conv_shape_finish(&t)
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&t, pass), CK_CONV_WINOGRAD) }
        t = ck_conv_shape(n: 16, cin: 256, h: 16, w: 16, cout: 256, kh: 1, kw: 1, stride: 1, pad: 0, ho: 0, wo: 0)
        ck_conv_shape_finish(&t)
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&t, pass), CK_CONV_WINOGRAD) }
        // 4x4 maps and few tiles keep the existing paths.
        s = shape(8, 512, 4, 4, 512)
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD) }
        s = shape(1, 512, 8, 8, 512)   // 4 tiles
        for pass in passes { XCTAssertNotEqual(ck_conv_plan(&s, pass), CK_CONV_WINOGRAD) }
        // 16 tiles: the forward and the input grad; the weight grad from 32.
        s = shape(1, 512, 16, 16, 512)
        XCTAssertEqual(ck_conv_plan(&s, CK_CONV_FORWARD), CK_CONV_WINOGRAD)
        XCTAssertEqual(ck_conv_plan(&s, CK_CONV_INPUT_GRAD), CK_CONV_WINOGRAD)
        XCTAssertNotEqual(ck_conv_plan(&s, CK_CONV_WEIGHT_GRAD), CK_CONV_WINOGRAD)
        s = shape(2, 512, 16, 16, 512)
        XCTAssertEqual(ck_conv_plan(&s, CK_CONV_WEIGHT_GRAD), CK_CONV_WINOGRAD)
    }

    func testOddAndEvenSizesBatchOne() {
        check(1, 65, 33, 31, 70, seed: 11)    // odd H and W: partial tiles on both edges
        check(1, 72, 32, 32, 66, seed: 12)    // even, cin != cout
        check(1, 64, 32, 35, 80, seed: 13)    // even H, odd W
    }

    func testOddAndEvenSizesBatchThree() {
        check(3, 67, 19, 18, 64, seed: 21)    // odd H, channels not multiples of 8
        check(3, 64, 22, 24, 81, seed: 22)    // even, cout not a multiple of 8
        check(3, 99, 21, 23, 75, seed: 23)    // odd both
    }

    func testStyleGANShapes() {
        check(16, 256, 8, 8, 256, maxChannels: 32, seed: 31)
        check(16, 256, 16, 16, 256, maxChannels: 16, maxImages: 4, seed: 32)
        check(16, 256, 32, 32, 256, maxChannels: 8, maxImages: 2, seed: 33)
        // The bundled 64² model (128 channels up to 32², 64 at 64²), batch 1 and a batch of
        // queued faces: GEMMs small enough to run side by side, one per thread.
        check(1, 64, 64, 64, 64, seed: 38)
        check(2, 512, 16, 16, 40, maxChannels: 24, seed: 39)   // 32 tiles: the weight grad's threshold
        check(1, 128, 64, 64, 64, maxChannels: 16, seed: 35)
        check(1, 128, 32, 32, 128, maxChannels: 32, seed: 36)
        check(4, 128, 32, 32, 128, maxChannels: 16, maxImages: 2, seed: 37)
        // 4x4 layers keep the existing paths (the policy test above); accuracy of that path.
        check(8, 512, 4, 4, 512, expectWinograd: false, maxChannels: 16, seed: 34)
    }

    /// Several chunks of tile rows (the chunk holds at most ~2^23 floats of U + V + M, ~2^20
    /// for filters up to 128 x 128); the weight gradient accumulates dU over them. The
    /// bundled model's shapes above are split too (64 @64² batch 1: 2 chunks; 128 @32²
    /// batch 4: 5), and so is a training batch of 64-channel maps here (3 chunks).
    func testManyChunks() {
        check(4, 512, 64, 64, 512, maxChannels: 4, maxImages: 2, seed: 41)
        check(8, 64, 32, 32, 64, maxChannels: 16, maxImages: 2, seed: 42)
    }
}
