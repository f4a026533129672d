// stylegan-bench: measures the machine's GEMM throughput, then the conv2d / upfirdn2d
// kernels, the generator forward pass and one training iteration against it.
// Run with `swift run -c release stylegan-bench [--threads N] [--suite conv,fir,generator,training,projection,serve]
// [--filter TEXT]` (or STYLEGAN_THREADS=N); N <= 0 means one thread per core.
import CKernels
import Foundation
import StyleGANModel
import StyleGANTensor
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

if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print("""
    usage: stylegan-bench [--threads N] [--suite conv,fir,generator,training,projection,serve] [--filter TEXT]
           stylegan-bench make-model RES OUT
    suites (default: all): conv, fir (kernels); generator, training, projection (networks);
    serve (an /api/image render of weights/faces64.safetensors, stage by stage and op by op;
    run from the repository root). --threads N <= 0: one thread per core.
    """)
    exit(0)
}

BLASKernel.ensureBestKernel()   // as the CLI does: the host's best GEMM kernel
KernelLevel.checkEnvironment(program: "stylegan-bench")   // STYLEGAN_KERNELS=portable|avx2|avx512

// `stylegan-bench make-model RES OUT`: an official-config generator with the official
// random initialisation, for whole-process timings (compare-pytorch.sh); values do not
// change the timing.
if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "make-model", let res = Int(CommandLine.arguments[2]) {
    let config = StyleGANConfig.official(resolution: res)
    do {
        try config.validate()
        try ModelWeights(config: config, emaGenerator: Generator(config: config, seed: 1)).save(to: CommandLine.arguments[3])
        exit(0)
    } catch {
        print("make-model: \(error)")
        exit(1)
    }
}
ck_set_num_threads(Int32(requestedThreads()))
print("stylegan-bench: \(ck_get_num_threads()) threads (\(ck_num_procs()) cores visible)")
print("blas: \(BLASKernel.summary)")
print("kernels: \(KernelLevel.summary)")
// Other processes on the same cores distort every row: say so up front.
if let f = fopen("/proc/loadavg", "r") {
    var buf = [CChar](repeating: 0, count: 128)
    if fgets(&buf, 128, f) != nil, let load = Double(cString(buf).split(separator: " ").first ?? "") {
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
/// Seconds of timed repeats per row: STYLEGAN_BENCH_SECONDS (default 0.5; raise it to profile one row with perf).
let benchSeconds = ProcessInfo.processInfo.environment["STYLEGAN_BENCH_SECONDS"].flatMap(Double.init) ?? 0.5

func bestTime(flops: Double, budget: Double = benchSeconds, _ body: () -> Void) -> Double {
    let first = seconds(body)
    let repeats = first > 1.0 ? 1 : (first > 0.25 ? 2 : max(3, min(Int(100 * budget), Int(budget / max(first, 1e-6)))))
    var best = Double.infinity
    for _ in 0..<repeats { best = min(best, seconds(body)) }
    return best
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
/// The NUL-terminated text in a C buffer.
func cString(_ buf: [CChar]) -> String { String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }

func fmt(_ v: Double, _ digits: Int) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = withVaList([v]) { vsnprintf(&buf, 64, "%.\(digits)f", $0) }
    return cString(buf)
}

// MARK: - GEMM peak

let gemmN = 2048
let ga = randomBuffer(gemmN * gemmN, seed: 1), gb = randomBuffer(gemmN * gemmN, seed: 2)
let gc = emptyBuffer(gemmN * gemmN)
let gemmFlops = 2.0 * Double(gemmN) * Double(gemmN) * Double(gemmN)
let gemmTime = bestTime(flops: gemmFlops, budget: 0.5) {
    ck_sgemm(0, 0, Int32(gemmN), Int32(gemmN), Int32(gemmN), 1, ga, Int32(gemmN), gb, Int32(gemmN), 0, gc, Int32(gemmN))
}
ga.deallocate(); gb.deallocate(); gc.deallocate()
let gemmGflops = gemmFlops / gemmTime / 1e9
print("sgemm \(gemmN)^3: \(fmt(gemmTime * 1e3, 1)) ms, \(fmt(gemmGflops, 1)) GFLOP/s")
print("")

// MARK: - Suites (`--suite conv,fir,generator,training,projection,serve`; default: all)

let suites: Set<String> = {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--suite"), i + 1 < args.count { return Set(args[i + 1].split(separator: ",").map(String.init)) }
    return ["conv", "fir", "generator", "training", "projection", "serve"]
}()
if suites.contains("conv") { runConvSuite(gemmGflops: gemmGflops) }
if suites.contains("fir") { runUpfirdnSuite() }
if suites.contains("generator") { runGeneratorSuite(gemmGflops: gemmGflops) }
if suites.contains("training") { runTrainingSuite() }
if suites.contains("projection") { runProjectionSuite() }
if suites.contains("serve") { runServeSuite() }
