import CKernels
import XCTest

/// The conv plan (ck_conv_plan): which path each StyleGAN layer takes per pass, and
/// every path proven against the naive kernels on all three passes.
///
/// The expected paths below are worked out from the thresholds documented in conv2d.c,
/// not read back from the plan.
final class ConvPlanTests: XCTestCase {
    private static let passes: [ck_conv_pass] = [CK_CONV_FORWARD, CK_CONV_INPUT_GRAD, CK_CONV_WEIGHT_GRAD]
    private static let allPaths: [ck_conv_path] = [CK_CONV_ZERO, CK_CONV_WINOGRAD, CK_CONV_DIRECT, CK_CONV_SMALL_GEMM,
                                                   CK_CONV_GEMM_GROUPED, CK_CONV_GEMM_1X1, CK_CONV_GEMM_CHUNKED]

    private func shape(n: Int, cin: Int, size: Int, cout: Int, k: Int, stride: Int = 1, pad: Int? = nil) -> ck_conv_shape {
        var s = ck_conv_shape(n: Int32(n), cin: Int32(cin), h: Int32(size), w: Int32(size), cout: Int32(cout),
                              kh: Int32(k), kw: Int32(k), stride: Int32(stride), pad: Int32(pad ?? k / 2), ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        return s
    }

    private func paths(_ s: ck_conv_shape) -> [ck_conv_path] {
        var s = s
        return Self.passes.map { ck_conv_plan(&s, $0) }
    }

    private func names(_ p: [ck_conv_path]) -> String { p.map { String(cString: ck_conv_path_name($0)) }.joined(separator: " / ") }

    /// (label, shape, expected forward / input grad / weight grad path).
    private var styleGANLayers: [(String, ck_conv_shape, [ck_conv_path])] {
        let small = CK_CONV_SMALL_GEMM, grouped = CK_CONV_GEMM_GROUPED, chunked = CK_CONV_GEMM_CHUNKED
        let wino = CK_CONV_WINOGRAD, direct = CK_CONV_DIRECT, oneByOne = CK_CONV_GEMM_1X1
        return [
            // 512 channels at 4x4: few output pixels over the batch (<= 128) -> small-N GEMM
            // forward; the gradients group the batch when there is one.
            ("512 3x3 @4 b1", shape(n: 1, cin: 512, size: 4, cout: 512, k: 3), [small, chunked, chunked]),
            ("512 3x3 @4 b8", shape(n: 8, cin: 512, size: 4, cout: 512, k: 3), [small, grouped, grouped]),
            // 8x8: 64 pixels and 4 tiles of 4x4 outputs at batch 1 (small GEMM); at batch 8,
            // 32 tiles: Winograd for every pass (the weight grad's threshold is 32 tiles).
            ("512 3x3 @8 b1", shape(n: 1, cin: 512, size: 8, cout: 512, k: 3), [small, chunked, chunked]),
            ("512 3x3 @8 b8", shape(n: 8, cin: 512, size: 8, cout: 512, k: 3), [wino, wino, wino]),
            // 16x16 at batch 1: 16 tiles, enough for the forward and the input grad; the
            // weight grad starts at 32.
            ("512 3x3 @16 b1", shape(n: 1, cin: 512, size: 16, cout: 512, k: 3), [wino, wino, chunked]),
            // The discriminator's 4x4 layer after minibatch stddev (one extra channel).
            ("513->512 3x3 @4 b8", shape(n: 8, cin: 513, size: 4, cout: 512, k: 3), [small, grouped, grouped]),
            // 256 channels at 32x32 and 64x64: >= 64 tiles even at batch 1 -> Winograd.
            ("256 3x3 @32 b1", shape(n: 1, cin: 256, size: 32, cout: 256, k: 3), [wino, wino, wino]),
            ("256 3x3 @32 b8", shape(n: 8, cin: 256, size: 32, cout: 256, k: 3), [wino, wino, wino]),
            ("256 3x3 @64 b1", shape(n: 1, cin: 256, size: 64, cout: 256, k: 3), [wino, wino, wino]),
            ("256 3x3 @64 b8", shape(n: 8, cin: 256, size: 64, cout: 256, k: 3), [wino, wino, wino]),
            // 16 and 32 channels at 512x512 and 1024x1024 (cin * cout < 2048): direct kernels.
            ("32 3x3 @512 b1", shape(n: 1, cin: 32, size: 512, cout: 32, k: 3), [direct, direct, direct]),
            ("32 3x3 @512 b8", shape(n: 8, cin: 32, size: 512, cout: 32, k: 3), [direct, direct, direct]),
            ("16 3x3 @1024 b1", shape(n: 1, cin: 16, size: 1024, cout: 16, k: 3), [direct, direct, direct]),
            ("16 3x3 @1024 b8", shape(n: 8, cin: 16, size: 1024, cout: 16, k: 3), [direct, direct, direct]),
            ("32 3x3 @1024 b1", shape(n: 1, cin: 32, size: 1024, cout: 32, k: 3), [direct, direct, direct]),
            // 1x1 ToRGB / FromRGB. Small maps: 1x1 GEMM per image at batch 1 (cout 3 is too
            // few rows for the small GEMM), grouped at batch 8 (K = 3 too short for it).
            ("ToRGB 512->3 @4 b1", shape(n: 1, cin: 512, size: 4, cout: 3, k: 1), [oneByOne, oneByOne, oneByOne]),
            ("ToRGB 512->3 @4 b8", shape(n: 8, cin: 512, size: 4, cout: 3, k: 1), [grouped, grouped, grouped]),
            ("FromRGB 3->512 @4 b8", shape(n: 8, cin: 3, size: 4, cout: 512, k: 1), [grouped, grouped, grouped]),
            // 64x64 (the bundled model's top): direct where the written side has <= 64
            // channels, else the 1x1 GEMM (4096 pixels per image are not grouped).
            ("ToRGB 256->3 @64 b8", shape(n: 8, cin: 256, size: 64, cout: 3, k: 1), [direct, oneByOne, direct]),
            ("FromRGB 3->256 @64 b8", shape(n: 8, cin: 3, size: 64, cout: 256, k: 1), [oneByOne, direct, oneByOne]),
            ("ToRGB 16->3 @1024 b1", shape(n: 1, cin: 16, size: 1024, cout: 3, k: 1), [direct, direct, direct]),
            ("FromRGB 3->16 @1024 b1", shape(n: 1, cin: 3, size: 1024, cout: 16, k: 1), [direct, direct, direct]),
            // Fused 4x4 stride-2 down convs of the discriminator (pad 1). Direct while
            // cout <= 64 and cout * 16 <= 1024 taps; im2col in row chunks above that.
            ("down 16->32 4x4/2 @1024 b1", shape(n: 1, cin: 16, size: 1024, cout: 32, k: 4, stride: 2, pad: 1),
             [direct, direct, direct]),
            ("down 32->64 4x4/2 @512 b8", shape(n: 8, cin: 32, size: 512, cout: 64, k: 4, stride: 2, pad: 1),
             [direct, direct, direct]),
            ("down 64->128 4x4/2 @256 b8", shape(n: 8, cin: 64, size: 256, cout: 128, k: 4, stride: 2, pad: 1),
             [chunked, chunked, chunked]),
            ("down 128->256 4x4/2 @128 b8", shape(n: 8, cin: 128, size: 128, cout: 256, k: 4, stride: 2, pad: 1),
             [chunked, chunked, chunked]),
        ]
    }

    func testStyleGANLayerPaths() {
        for (label, s, expected) in styleGANLayers {
            XCTAssertEqual(paths(s), expected, "\(label): got \(names(paths(s))), expected \(names(expected))")
        }
    }

    /// The generator's layers at inference (CK_CONV_INFERENCE, which plans as the forward):
    /// F(4x4, 3x3) from 16 tiles of 4x4 outputs over the batch, 32 channels each side and
    /// cin * cout >= 2048.
    func testInferencePaths() {
        let wino = CK_CONV_WINOGRAD
        let layers: [(String, ck_conv_shape, ck_conv_path)] = [
            ("512 3x3 @8 b1 (4 tiles)", shape(n: 1, cin: 512, size: 8, cout: 512, k: 3), CK_CONV_SMALL_GEMM),
            ("512 3x3 @8 b8 (32 tiles)", shape(n: 8, cin: 512, size: 8, cout: 512, k: 3), wino),
            ("512 3x3 @16 b1 (16 tiles)", shape(n: 1, cin: 512, size: 16, cout: 512, k: 3), wino),
            ("128 3x3 @8 b2 (8 tiles)", shape(n: 2, cin: 128, size: 8, cout: 128, k: 3), CK_CONV_SMALL_GEMM),
            ("512 3x3 @16 b2 (32 tiles)", shape(n: 2, cin: 512, size: 16, cout: 512, k: 3), wino),
            ("64 3x3 @64 b1 (bundled model)", shape(n: 1, cin: 64, size: 64, cout: 64, k: 3), wino),
            ("64->32 3x3 @1024 b1 (up-conv)", shape(n: 1, cin: 64, size: 1024, cout: 32, k: 3), wino),
            ("32 3x3 @1024 b1 (32 x 32 < 2048)", shape(n: 1, cin: 32, size: 1024, cout: 32, k: 3), CK_CONV_DIRECT),
            ("16 3x3 @1024 b1", shape(n: 1, cin: 16, size: 1024, cout: 16, k: 3), CK_CONV_DIRECT),
            ("ToRGB 16->3 @1024 b1", shape(n: 1, cin: 16, size: 1024, cout: 3, k: 1), CK_CONV_DIRECT),
            ("ToRGB 512->3 @4 b8", shape(n: 8, cin: 512, size: 4, cout: 3, k: 1), CK_CONV_GEMM_GROUPED),
        ]
        for (label, s, expected) in layers {
            var t = s
            let got = ck_conv_plan(&t, CK_CONV_INFERENCE)
            XCTAssertEqual(got, expected, "\(label): got \(names([got])), expected \(names([expected]))")
        }
        // Inference plans as the forward everywhere, so a frozen render and a recorded
        // forward run the same kernels.
        for (label, s) in styleGANLayers.map({ ($0.0, $0.1) }) + layers.map({ ($0.0, $0.1) }) {
            var t = s
            XCTAssertEqual(ck_conv_plan(&t, CK_CONV_INFERENCE), ck_conv_plan(&t, CK_CONV_FORWARD), "\(label)")
        }
        // A filter can be kept (frozen weights) exactly where the plan is F(4x4, 3x3), from
        // 16 tiles.
        let kept: [(String, ck_conv_shape, ck_conv_path)] = [
            ("512 3x3 @16 b1 (16 tiles)", shape(n: 1, cin: 512, size: 16, cout: 512, k: 3), wino),
            ("128 3x3 @16 b1 (bundled model)", shape(n: 1, cin: 128, size: 16, cout: 128, k: 3), wino),
            ("64 3x3 @16 b1 (InferencePathTests)", shape(n: 1, cin: 64, size: 16, cout: 64, k: 3), wino),
            ("512 3x3 @8 b1 (4 tiles)", shape(n: 1, cin: 512, size: 8, cout: 512, k: 3), CK_CONV_SMALL_GEMM),
            ("32 3x3 @1024 b1 (32 x 32 < 2048)", shape(n: 1, cin: 32, size: 1024, cout: 32, k: 3), CK_CONV_DIRECT),
        ]
        for (label, s, expected) in kept {
            var t = s
            let got = ck_conv_plan(&t, CK_CONV_INFERENCE)
            XCTAssertEqual(got, expected, "kept \(label): got \(names([got])), expected \(names([expected]))")
            XCTAssertEqual(Int(ck_conv2d_inference_filter_floats(&t)), expected == wino ? 36 * Int(t.cin * t.cout) : 0, "kept \(label)")
        }
    }

    /// One small shape per path (the pass that takes it in brackets), each checked against
    /// the naive kernels on all three passes.
    private var pathRepresentatives: [(ck_conv_path, ck_conv_pass, String, ck_conv_shape)] {
        [
            (CK_CONV_ZERO, CK_CONV_FORWARD, "no input channels", shape(n: 2, cin: 0, size: 5, cout: 4, k: 3)),
            (CK_CONV_ZERO, CK_CONV_INPUT_GRAD, "no output channels", shape(n: 2, cin: 3, size: 5, cout: 0, k: 3)),
            (CK_CONV_ZERO, CK_CONV_WEIGHT_GRAD, "empty batch", shape(n: 0, cin: 3, size: 5, cout: 4, k: 3)),
            (CK_CONV_WINOGRAD, CK_CONV_FORWARD, "64 3x3 @16 b4 (256 tiles)", shape(n: 4, cin: 64, size: 16, cout: 64, k: 3)),
            (CK_CONV_DIRECT, CK_CONV_FORWARD, "16 3x3 @64x80", {
                var s = ck_conv_shape(n: 1, cin: 16, h: 64, w: 80, cout: 16, kh: 3, kw: 3, stride: 1, pad: 1, ho: 0, wo: 0)
                ck_conv_shape_finish(&s)
                return s
            }()),
            (CK_CONV_SMALL_GEMM, CK_CONV_FORWARD, "40->13 3x3 @4 b2", shape(n: 2, cin: 40, size: 4, cout: 13, k: 3)),
            (CK_CONV_GEMM_GROUPED, CK_CONV_FORWARD, "40->33 3x3 @9 b3", shape(n: 3, cin: 40, size: 9, cout: 33, k: 3)),
            (CK_CONV_GEMM_1X1, CK_CONV_FORWARD, "8 1x1 @8 b1", shape(n: 1, cin: 8, size: 8, cout: 8, k: 1)),
            (CK_CONV_GEMM_CHUNKED, CK_CONV_FORWARD, "256->8 3x3 @64 b1 (3 row chunks)",
             shape(n: 1, cin: 256, size: 64, cout: 8, k: 3)),
        ]
    }

    func testEveryPathIsReachedAndMatchesNaive() {
        var rng = KernelTestRNG(seed: 5)
        var reached = Set<UInt32>()
        for (path, pass, label, s) in pathRepresentatives {
            var t = s
            XCTAssertEqual(ck_conv_plan(&t, pass), path, "\(label): pass \(pass.rawValue)")
            reached.insert(path.rawValue)
            checkConvAgainstNaive(s, rng: &rng, label: "\(label) [\(names(paths(s)))]")
        }
        XCTAssertEqual(reached, Set(Self.allPaths.map(\.rawValue)), "a path without a representative")
    }

    func testSmallGEMMIsForwardOnly() {
        // The pass entry points have no small-GEMM kernel for the gradients.
        var rng = KernelTestRNG(seed: 6)
        var shapes = styleGANLayers.map(\.1) + pathRepresentatives.map(\.3)
        for _ in 0..<2000 {
            let k = rng.int(1...5), size = rng.int(1...12)
            shapes.append(shape(n: rng.int(1...16), cin: rng.int(1...600), size: size, cout: rng.int(1...600), k: k,
                                stride: rng.int(1...2), pad: rng.int(0...(k / 2))))
        }
        for s in shapes {
            let p = paths(s)
            XCTAssertNotEqual(p[1], CK_CONV_SMALL_GEMM)
            XCTAssertNotEqual(p[2], CK_CONV_SMALL_GEMM)
        }
    }

    func testPathNames() {
        let names = Self.allPaths.map { String(cString: ck_conv_path_name($0)) }
        XCTAssertEqual(names, ["zero", "winograd", "direct", "small-gemm", "gemm-grouped", "gemm-1x1", "gemm-chunked"])
        XCTAssertEqual(String(cString: ck_conv_path_name(ck_conv_path(rawValue: 99))), "?")
    }
}
