import CKernels
import XCTest

/// Tiny deterministic generator (SplitMix64) shared by the kernel tests, which do not depend on StyleGANTensor.
struct KernelTestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in float() } }
}

/// Workspace with guard values after the reported size, to catch overruns.
struct GuardedWorkspace {
    static let guardCount = 256
    static let sentinel: Float = 12345.678
    var buffer: [Float]
    let size: Int
    init(size: Int) {
        self.size = size
        buffer = [Float](repeating: .nan, count: size + Self.guardCount)
        for i in size..<(size + Self.guardCount) { buffer[i] = Self.sentinel }
    }
    var intact: Bool { buffer[size...].allSatisfy { $0 == Self.sentinel } }
}

func maxRelativeDifference(_ a: [Float], _ ref: [Float]) -> Float {
    precondition(a.count == ref.count)
    var diff: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        let d = abs(a[i] - ref[i])
        diff = d.isNaN ? .infinity : max(diff, d)
        scale = max(scale, abs(ref[i]))
    }
    return scale > 0 ? diff / scale : diff
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
    return s
}

func norm(_ a: [Float]) -> Double { dot(a, a).squareRoot() }

/// Asserts a fast kernel's output matches its naive reference within `tolerance`
/// (max |difference| relative to max |reference|).
func assertMatchesReference(_ a: [Float], _ ref: [Float], tolerance: Float = 1e-4, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThan(maxRelativeDifference(a, ref), tolerance, message, file: file, line: line)
}

/// Runs the three fast conv kernels on shape `s` against their naive twins (NaN-filled
/// outputs, guarded workspace) and checks adjointness, at every kernel level this machine
/// runs (`levels`) or at the current one.
func checkConvAgainstNaive(_ shape: ck_conv_shape, rng: inout KernelTestRNG, label: String, levels: Bool = true,
                           file: StaticString = #filePath, line: UInt = #line) {
    var s = shape
    let n = Int(s.n), cin = Int(s.cin), h = Int(s.h), w = Int(s.w), cout = Int(s.cout)
    let kh = Int(s.kh), kw = Int(s.kw), ho = Int(s.ho), wo = Int(s.wo)
    let x = rng.array(n * cin * h * w)
    let wt = rng.array(cout * cin * kh * kw)
    let g = rng.array(n * cout * ho * wo)

    var yRef = [Float](repeating: 0, count: g.count)
    var gxRef = [Float](repeating: 0, count: x.count)
    var gwRef = [Float](repeating: 0, count: wt.count)
    ck_conv2d_forward_naive(&s, x, wt, &yRef)
    ck_conv2d_input_grad_naive(&s, g, wt, &gxRef)
    ck_conv2d_weight_grad_naive(&s, x, g, &gwRef)

    func fast(_ level: String) {
        let label = "\(label) -> ho \(ho) wo \(wo) [\(level)]"
        var ws = GuardedWorkspace(size: Int(ck_conv2d_workspace_floats(&s)))

        var y = [Float](repeating: .nan, count: g.count)
        ws.buffer.withUnsafeMutableBufferPointer { ck_conv2d_forward(&s, x, wt, &y, $0.baseAddress) }
        assertMatchesReference(y, yRef, "forward \(label)", file: file, line: line)

        var gx = [Float](repeating: .nan, count: x.count)
        ws.buffer.withUnsafeMutableBufferPointer { ck_conv2d_input_grad(&s, g, wt, &gx, $0.baseAddress) }
        assertMatchesReference(gx, gxRef, "input grad \(label)", file: file, line: line)

        var gw = [Float](repeating: .nan, count: wt.count)
        ws.buffer.withUnsafeMutableBufferPointer { ck_conv2d_weight_grad(&s, x, g, &gw, $0.baseAddress) }
        assertMatchesReference(gw, gwRef, "weight grad \(label)", file: file, line: line)

        XCTAssertTrue(ws.intact, "workspace overrun \(label)", file: file, line: line)

        // <conv(x, w), g> == <x, input_grad(g, w)> == <w, weight_grad(x, g)>
        let a = dot(y, g), b = dot(x, gx), c = dot(wt, gw)
        let scale = norm(y) * norm(g) + 1e-30
        XCTAssertLessThan(abs(a - b) / scale, 1e-5, "adjoint x \(label): \(a) vs \(b)", file: file, line: line)
        XCTAssertLessThan(abs(a - c) / scale, 1e-5, "adjoint w \(label): \(a) vs \(c)", file: file, line: line)
    }
    if levels {
        forEachKernelLevel(fast)
    } else {
        fast(String(cString: ck_kernels_level_name(ck_kernels_level())))
    }
}

// MARK: - Kernel levels

/// Every kernel level this machine can run (portable, avx2, and avx512 where the CPU has it)
/// in turn, then the previous level again. A level the CPU lacks is reported once per process
/// ("skipped: no AVX-512") and is not a failure; KernelLevelTests counts it as a skipped test.
func forEachKernelLevel(_ body: (String) -> Void) {
    let previous = ck_kernels_level()
    for level in [CK_KERNELS_PORTABLE, CK_KERNELS_AVX2, CK_KERNELS_AVX512] {
        let name = String(cString: ck_kernels_level_name(level))
        guard ck_kernels_set_level(level) == 0 else {
            KernelLevelNotes.noteSkipped(name)
            continue
        }
        body(name)
    }
    ck_kernels_set_level(previous)
}

enum KernelLevelNotes {
    nonisolated(unsafe) private static var noted = Set<String>()
    static func noteSkipped(_ name: String) {
        guard !noted.contains(name) else { return }
        noted.insert(name)
        print("kernel level \(name): skipped: \(name == "avx512" ? "no AVX-512" : "not supported") on this CPU")
    }
}
