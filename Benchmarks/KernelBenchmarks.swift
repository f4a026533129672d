// Kernel suites: conv2d forward / input grad / weight grad against the GEMM peak (with
// the path ck_conv_plan picks for each row), and upfirdn2d bandwidth.
import CKernels
#if canImport(Glibc)
import Glibc
#endif

enum Pass: String {
    case forward = "fwd", inputGrad = "dgrad", weightGrad = "wgrad"
    /// The inference forward (F(4x4, 3x3) where planned); `upinf` reads x through nearest 2x
    /// upsampling (the shape is the conv on the upsampled map; MACs counted on it).
    case inference = "inf", upsampledInference = "upinf"
    /// `inf` / `upinf` with the transformed filter kept by the caller (`FrozenWeights`:
    /// `serve`, several batches of `generate`), transformed once outside the timing.
    case keptInference = "infk", keptUpsampledInference = "upinfk"

    var ck: ck_conv_pass {
        switch self {
        case .forward: CK_CONV_FORWARD
        case .inputGrad: CK_CONV_INPUT_GRAD
        case .weightGrad: CK_CONV_WEIGHT_GRAD
        case .inference, .upsampledInference, .keptInference, .keptUpsampledInference: CK_CONV_INFERENCE
        }
    }
}

struct ConvCase {
    var cin, cout, size, batch, k, stride, pad: Int
    var pass: Pass
    var target: Double?   // fraction of GEMM
}

/// Prints the conv2d table; returns how many forward rows miss their target.
@discardableResult
func runConvSuite(gemmGflops: Double) -> Int {


    var cases: [ConvCase] = []
    for batch in [1, 8] {
        for size in [4, 8, 16, 32] { cases.append(ConvCase(cin: 512, cout: 512, size: size, batch: batch, k: 3, stride: 1, pad: 1, pass: .forward, target: 0.8)) }
        cases.append(ConvCase(cin: 256, cout: 256, size: 64, batch: batch, k: 3, stride: 1, pad: 1, pass: .forward, target: 0.8))
        for size in [512, 1024] {
            for c in [16, 32] { cases.append(ConvCase(cin: c, cout: c, size: size, batch: batch, k: 3, stride: 1, pad: 1, pass: .forward, target: 0.4)) }
        }
    }
    for pass in [Pass.inputGrad, .weightGrad] {
        for batch in [1, 8] {
            cases.append(ConvCase(cin: 512, cout: 512, size: 16, batch: batch, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
            cases.append(ConvCase(cin: 32, cout: 32, size: 256, batch: batch, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
        }
    }
    // Informational: gradients of few-tile layers (projection and small batches) and of thin
    // layers at higher resolutions, where F(4x4, 3x3) meets the GEMM and direct paths.
    for (cin, cout, size, batch) in [(512, 512, 16, 2), (512, 512, 16, 4), (256, 256, 16, 1), (256, 256, 32, 1),
                                     (128, 128, 64, 4), (64, 64, 128, 4), (128, 64, 128, 4), (32, 64, 256, 4)] {
        for pass in [Pass.inputGrad, .weightGrad] {
            cases.append(ConvCase(cin: cin, cout: cout, size: size, batch: batch, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
        }
    }
    // Informational: the training shapes (fmap_max 256, batch 16) that take the Winograd path.
    for pass in [Pass.forward, .inputGrad, .weightGrad] {
        for size in [4, 8, 16, 32, 64] {
            cases.append(ConvCase(cin: 256, cout: 256, size: size, batch: 16, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
        }
    }
    // Informational: the generator's 3x3 convs at inference, training forward vs inference
    // pass (official 256² at generate's default batch 2, official 64² at batch 8, the
    // bundled 64² model at batch 1), and the up-convs read through upsampling.
    let inferenceShapes = [(512, 8, 2), (512, 16, 2), (512, 32, 2), (256, 64, 2), (128, 128, 2), (64, 256, 2),
                           (512, 16, 8), (512, 32, 8), (256, 64, 8), (128, 16, 1), (128, 32, 1), (64, 64, 1), (512, 8, 8), (512, 16, 1), (256, 16, 2), (128, 16, 2), (128, 8, 8), (256, 32, 1), (64, 512, 1), (32, 1024, 1), (32, 512, 1), (512, 32, 1)]
    for (c, size, batch) in inferenceShapes {
        for pass in [Pass.forward, .inference] {
            cases.append(ConvCase(cin: c, cout: c, size: size, batch: batch, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
        }
    }
    for (cin, cout, size, batch) in [(512, 256, 64, 2), (256, 128, 128, 2), (128, 64, 256, 2), (128, 64, 64, 1), (64, 32, 1024, 1), (128, 64, 512, 1), (512, 256, 64, 1)] {
        for pass in [Pass.forward, .upsampledInference] {
            cases.append(ConvCase(cin: cin, cout: cout, size: size, batch: batch, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
        }
    }
    // Informational: the batch-1 layers below 32 tiles (the bundled model in `serve`, the
    // official 512-channel layers at 8² and 16²), with and without a kept filter.
    for (c, size) in [(128, 8), (128, 16), (256, 8), (256, 16), (512, 8), (512, 16)] {
        for pass in [Pass.inference, .keptInference] {
            cases.append(ConvCase(cin: c, cout: c, size: size, batch: 1, k: 3, stride: 1, pad: 1, pass: pass, target: nil))
        }
        if size >= 16 {   // an up-conv to 8² (4 tiles) is never fused: too few tiles for F(4x4, 3x3)
            cases.append(ConvCase(cin: c, cout: c, size: size, batch: 1, k: 3, stride: 1, pad: 1, pass: .keptUpsampledInference, target: nil))
        }
    }
    // Informational: the discriminator's fused 4x4 stride-2 downscale conv.
    cases.append(ConvCase(cin: 32, cout: 64, size: 256, batch: 8, k: 4, stride: 2, pad: 1, pass: .forward, target: nil))
    cases.append(ConvCase(cin: 32, cout: 64, size: 256, batch: 8, k: 4, stride: 2, pad: 1, pass: .inputGrad, target: nil))
    cases.append(ConvCase(cin: 32, cout: 64, size: 256, batch: 8, k: 4, stride: 2, pad: 1, pass: .weightGrad, target: nil))

    print("conv2d (GFLOP/s = 2*MACs/time; % of the sgemm figure above)")
    let header = pad("pass", 6) + pad("shape", 26) + lpad("batch", 6) + "  " + pad("path", 13) + lpad("ms", 10) +
        lpad("GFLOP/s", 9) + lpad("%GEMM", 7) + lpad("target", 8) + "  ok"
    print(header)
    print(String(repeating: "-", count: header.count))
    var failures = 0
    for c in cases {
        let shape = "\(c.cin)->\(c.cout) \(c.k)x\(c.k)/\(c.stride) @\(c.size)x\(c.size)"
        if let f = rowFilter, !"\(c.pass.rawValue) \(shape) b\(c.batch)".contains(f) { continue }
        var s = ck_conv_shape(n: Int32(c.batch), cin: Int32(c.cin), h: Int32(c.size), w: Int32(c.size),
                              cout: Int32(c.cout), kh: Int32(c.k), kw: Int32(c.k), stride: Int32(c.stride),
                              pad: Int32(c.pad), ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        let path = String(cString: ck_conv_path_name(ck_conv_plan(&s, c.pass.ck)))
        let xCount = c.batch * c.cin * c.size * c.size
        let yCount = c.batch * c.cout * Int(s.ho) * Int(s.wo)
        let wCount = c.cout * c.cin * c.k * c.k
        let x = randomBuffer(xCount, seed: 3), w = randomBuffer(wCount, seed: 4), y = randomBuffer(yCount, seed: 5)
        let ws = emptyBuffer(Int(max(ck_conv2d_workspace_floats(&s), ck_conv2d_inference_workspace_floats(&s))))
        let flops = 2.0 * Double(yCount) * Double(c.cin * c.k * c.k)
        let t: Double
        switch c.pass {
        case .forward: t = bestTime(flops: flops) { ck_conv2d_forward(&s, x, w, y, ws) }
        case .inputGrad: t = bestTime(flops: flops) { ck_conv2d_input_grad(&s, y, w, x, ws) }
        case .weightGrad: t = bestTime(flops: flops) { ck_conv2d_weight_grad(&s, x, y, w, ws) }
        case .inference: t = bestTime(flops: flops) { ck_conv2d_forward_inference(&s, x, w, nil, y, ws) }
        case .upsampledInference:
            precondition(ck_conv2d_upsample_fusable(&s) != 0, "upinf \(shape) b\(c.batch): not fusable")
            t = bestTime(flops: flops) { _ = ck_conv2d_upsample_inference(&s, 0, x, w, nil, y, ws) }
        case .keptInference, .keptUpsampledInference:
            let kept = emptyBuffer(max(Int(ck_conv2d_inference_filter_floats(&s)), 1))
            ck_conv2d_inference_transform_filter(&s, 0, w, kept)
            let filter = ck_conv2d_inference_filter_floats(&s) > 0 ? UnsafePointer(kept) : nil
            if c.pass == .keptInference {
                t = bestTime(flops: flops) { ck_conv2d_forward_inference(&s, x, w, filter, y, ws) }
            } else {
                precondition(ck_conv2d_upsample_fusable(&s) != 0, "upinfk \(shape) b\(c.batch): not fusable")
                t = bestTime(flops: flops) { _ = ck_conv2d_upsample_inference(&s, 0, x, w, filter, y, ws) }
            }
            kept.deallocate()
        }
        x.deallocate(); w.deallocate(); y.deallocate(); ws.deallocate()
        let gf = flops / t / 1e9
        let frac = gf / gemmGflops
        var mark = ""
        if let target = c.target {
            mark = frac >= target ? "PASS" : "FAIL"
            if frac < target { failures += 1 }
        }
        print(pad(c.pass.rawValue, 6) + pad(shape, 26) + lpad("\(c.batch)", 6) + "  " + pad(path, 13) + lpad(fmt(t * 1e3, 3), 10) +
              lpad(fmt(gf, 1), 9) + lpad(fmt(frac * 100, 0) + "%", 7) +
              lpad(c.target.map { fmt($0 * 100, 0) + "%" } ?? "-", 8) + "  " + mark)
    }
    print("")
    print(failures == 0 ? "all conv2d forward targets met" : "\(failures) conv2d forward rows below target")
    print("")
    return failures
}

struct FirCase { var name: String; var channels, size, batch: Int; var up, down, p0, p1: Int; var f: [Float] }

/// Prints upfirdn2d throughput (memory bound: GB/s of input + output).
func runUpfirdnSuite() {
    let firCases = [
        FirCase(name: "blur [1,2,1]/4", channels: 32, size: 1024, batch: 1, up: 1, down: 1, p0: 1, p1: 1, f: [0.25, 0.5, 0.25]),
        FirCase(name: "nearest up 2x", channels: 32, size: 512, batch: 1, up: 2, down: 1, p0: 1, p1: 0, f: [1, 1]),
        FirCase(name: "box down 2x", channels: 32, size: 1024, batch: 1, up: 1, down: 2, p0: 0, p1: 0, f: [0.5, 0.5]),
        FirCase(name: "blur [1,2,1]/4", channels: 512, size: 16, batch: 8, up: 1, down: 1, p0: 1, p1: 1, f: [0.25, 0.5, 0.25]),
    ]
    print("upfirdn2d")
    let fh = pad("case", 18) + pad("planes x size", 16) + lpad("ms", 10) + lpad("GB/s", 8)
    print(fh)
    print(String(repeating: "-", count: fh.count))
    for c in firCases where rowFilter == nil {
        var s = ck_upfirdn_shape(planes: Int32(c.channels * c.batch), h: Int32(c.size), w: Int32(c.size),
                                 upx: Int32(c.up), upy: Int32(c.up), downx: Int32(c.down), downy: Int32(c.down),
                                 padx0: Int32(c.p0), padx1: Int32(c.p1), pady0: Int32(c.p0), pady1: Int32(c.p1),
                                 fw: Int32(c.f.count), fh: Int32(c.f.count), ho: 0, wo: 0)
        ck_upfirdn2d_shape_finish(&s)
        let xCount = Int(s.planes) * c.size * c.size, yCount = Int(s.planes) * Int(s.ho) * Int(s.wo)
        let x = randomBuffer(xCount, seed: 6), y = emptyBuffer(yCount)
        let ws = emptyBuffer(Int(ck_upfirdn2d_workspace_floats(&s)))
        let t = bestTime(flops: 0) { ck_upfirdn2d(&s, x, c.f, c.f, y, ws) }
        x.deallocate(); y.deallocate(); ws.deallocate()
        print(pad(c.name, 18) + pad("\(s.planes) x \(c.size)", 16) + lpad(fmt(t * 1e3, 3), 10) +
              lpad(fmt(Double(xCount + yCount) * 4 / t / 1e9, 1), 8))
    }
    print("")
}
