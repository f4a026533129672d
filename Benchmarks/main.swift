// stylegan-bench: measures the machine's GEMM throughput and the conv2d / upfirdn2d
// kernels against it. Run with `swift run -c release stylegan-bench [--threads N]`
// (or STYLEGAN_THREADS=N); N <= 0 means one thread per core.
import CKernels
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Setup

func requestedThreads() -> Int {
    var n = 0
    if let env = getenv("STYLEGAN_THREADS"), let v = Int(String(cString: env)) { n = v }
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--threads"), i + 1 < args.count, let v = Int(args[i + 1]) { n = v }
    return n
}

/// `--filter TEXT`: only conv rows whose "pass shape" text contains TEXT (upfirdn rows are skipped).
func filterText() -> String? {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--filter"), i + 1 < args.count { return args[i + 1] }
    return nil
}
let rowFilter = filterText()

ck_set_num_threads(Int32(requestedThreads()))
print("stylegan-bench: \(ck_get_num_threads()) threads (\(ck_num_procs()) cores visible)")
// Other processes on the same cores distort every row: say so up front.
if let f = fopen("/proc/loadavg", "r") {
    var buf = [CChar](repeating: 0, count: 128)
    if fgets(&buf, 128, f) != nil, let load = Double(String(cString: buf).split(separator: " ").first ?? "") {
        print("load average (1 min): \(fmt(load, 2))" + (load > 0.5 ? "  -- machine busy, figures may be low" : ""))
    }
    fclose(f)
}

/// Deterministic fill in [-1, 1).
func randomBuffer(_ count: Int, seed: UInt64) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    for i in 0..<count {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        p[i] = Float(s >> 40) / Float(1 << 23) - 1
    }
    return p
}

func emptyBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    p.initialize(repeating: 0, count: max(count, 1))
    return p
}

func seconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Warm up once, then the best of several calls: at least 3 (1 when a call takes
/// over a second), and more while the total stays under about half a second. The
/// minimum is robust against other processes sharing the cores.
func bestTime(flops: Double, _ body: () -> Void) -> Double {
    let first = seconds(body)
    let repeats = first > 1.0 ? 1 : (first > 0.25 ? 2 : max(3, min(50, Int(0.5 / max(first, 1e-6)))))
    var best = Double.infinity
    for _ in 0..<repeats { best = min(best, seconds(body)) }
    return best
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
func fmt(_ v: Double, _ digits: Int) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = withVaList([v]) { vsnprintf(&buf, 64, "%.\(digits)f", $0) }
    return String(cString: buf)
}

// MARK: - GEMM peak

let gemmN = 2048
let ga = randomBuffer(gemmN * gemmN, seed: 1), gb = randomBuffer(gemmN * gemmN, seed: 2)
let gc = emptyBuffer(gemmN * gemmN)
let gemmFlops = 2.0 * Double(gemmN) * Double(gemmN) * Double(gemmN)
let gemmTime = bestTime(flops: gemmFlops) {
    ck_sgemm(0, 0, Int32(gemmN), Int32(gemmN), Int32(gemmN), 1, ga, Int32(gemmN), gb, Int32(gemmN), 0, gc, Int32(gemmN))
}
ga.deallocate(); gb.deallocate(); gc.deallocate()
let gemmGflops = gemmFlops / gemmTime / 1e9
print("sgemm \(gemmN)^3: \(fmt(gemmTime * 1e3, 1)) ms, \(fmt(gemmGflops, 1)) GFLOP/s")
print("")

// MARK: - conv2d

enum Pass: String { case forward = "fwd", inputGrad = "dgrad", weightGrad = "wgrad" }

struct ConvCase {
    var cin, cout, size, batch, k, stride, pad: Int
    var pass: Pass
    var target: Double?   // fraction of GEMM
}

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
// Informational: the discriminator's fused 4x4 stride-2 downscale conv.
cases.append(ConvCase(cin: 32, cout: 64, size: 256, batch: 8, k: 4, stride: 2, pad: 1, pass: .forward, target: nil))
cases.append(ConvCase(cin: 32, cout: 64, size: 256, batch: 8, k: 4, stride: 2, pad: 1, pass: .inputGrad, target: nil))
cases.append(ConvCase(cin: 32, cout: 64, size: 256, batch: 8, k: 4, stride: 2, pad: 1, pass: .weightGrad, target: nil))

print("conv2d (GFLOP/s = 2*MACs/time; % of the sgemm figure above)")
let header = pad("pass", 6) + pad("shape", 26) + lpad("batch", 6) + lpad("ms", 10) + lpad("GFLOP/s", 9) +
    lpad("%GEMM", 7) + lpad("target", 8) + "  ok"
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
    let xCount = c.batch * c.cin * c.size * c.size
    let yCount = c.batch * c.cout * Int(s.ho) * Int(s.wo)
    let wCount = c.cout * c.cin * c.k * c.k
    let x = randomBuffer(xCount, seed: 3), w = randomBuffer(wCount, seed: 4), y = randomBuffer(yCount, seed: 5)
    let ws = emptyBuffer(Int(ck_conv2d_workspace_floats(&s)))
    let flops = 2.0 * Double(yCount) * Double(c.cin * c.k * c.k)
    let t: Double
    switch c.pass {
    case .forward: t = bestTime(flops: flops) { ck_conv2d_forward(&s, x, w, y, ws) }
    case .inputGrad: t = bestTime(flops: flops) { ck_conv2d_input_grad(&s, y, w, x, ws) }
    case .weightGrad: t = bestTime(flops: flops) { ck_conv2d_weight_grad(&s, x, y, w, ws) }
    }
    x.deallocate(); w.deallocate(); y.deallocate(); ws.deallocate()
    let gf = flops / t / 1e9
    let frac = gf / gemmGflops
    var mark = ""
    if let target = c.target {
        mark = frac >= target ? "PASS" : "FAIL"
        if frac < target { failures += 1 }
    }
    print(pad(c.pass.rawValue, 6) + pad(shape, 26) + lpad("\(c.batch)", 6) + lpad(fmt(t * 1e3, 3), 10) +
          lpad(fmt(gf, 1), 9) + lpad(fmt(frac * 100, 0) + "%", 7) +
          lpad(c.target.map { fmt($0 * 100, 0) + "%" } ?? "-", 8) + "  " + mark)
}
print("")

// MARK: - upfirdn2d (informational; memory bound, so GB/s of input + output)

struct FirCase { var name: String; var channels, size, batch: Int; var up, down, p0, p1: Int; var f: [Float] }
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
print(failures == 0 ? "all conv2d forward targets met" : "\(failures) conv2d forward rows below target")
