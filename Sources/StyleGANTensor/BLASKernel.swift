import CKernels
import Foundation

/// The GEMM kernel OpenBLAS runs, and the best one this CPU supports.
///
/// OpenBLAS picks its kernel once, when the library loads (before `main`), from CPUID, and
/// an older OpenBLAS that does not know a newer CPU falls back to a slow generic kernel
/// (Debian's 0.3.21 runs `Prescott`, 5× slower, on recent Xeons). `OPENBLAS_CORETYPE`
/// overrides the choice but is read only at load time, so `ensureBestKernel` sets it and
/// re-executes the process once, before any work is done. A user's own
/// `OPENBLAS_CORETYPE` always wins.
public enum BLASKernel {
    /// The kernel OpenBLAS uses now (e.g. `Haswell`, `Zen`, `SkylakeX`, `Prescott`).
    public static var current: String { String(cString: ck_blas_corename()) }

    /// OpenBLAS's build description (version, DYNAMIC_ARCH, threading).
    public static var configuration: String { String(cString: ck_blas_config()).trimmingCharacters(in: .whitespaces) }

    /// CPU features that decide the kernel.
    public struct Features: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let avx2 = Features(rawValue: UInt32(CK_CPU_AVX2))
        public static let fma = Features(rawValue: UInt32(CK_CPU_FMA))
        public static let avx512f = Features(rawValue: UInt32(CK_CPU_AVX512F))
        public static let avx512bw = Features(rawValue: UInt32(CK_CPU_AVX512BW))
        public static let avx512dq = Features(rawValue: UInt32(CK_CPU_AVX512DQ))
        public static let avx512vl = Features(rawValue: UInt32(CK_CPU_AVX512VL))
        public static let avx512bf16 = Features(rawValue: UInt32(CK_CPU_AVX512BF16))
        public static let amd = Features(rawValue: UInt32(CK_CPU_AMD))
        public static let intel = Features(rawValue: UInt32(CK_CPU_INTEL))
        static let avx512 = Features([.avx512f, .avx512bw, .avx512dq, .avx512vl])
    }

    /// This CPU's features.
    public static var features: Features { Features(rawValue: ck_cpu_features()) }

    /// How good a kernel is, for the kernels this decision uses (unknown names rank 0).
    static func rank(_ kernel: String) -> Int {
        switch kernel.lowercased() {
        case "haswell", "zen", "skylake": return 2   // AVX2 + FMA
        case "skylakex": return 3                   // AVX-512
        case "cooperlake", "sapphirerapids": return 4   // AVX-512 with BF16
        default: return 0                           // Prescott, Core2, Nehalem, Sandybridge, …
        }
    }

    /// The best kernel for `features` that OpenBLAS 0.3.21 and later know, or nil when
    /// the CPU has no AVX2 + FMA (then OpenBLAS's own choice stands).
    public static func best(for features: Features) -> String? {
        if features.isSuperset(of: Features.avx512.union(Features.avx512bf16)) { return "Cooperlake" }
        if features.isSuperset(of: Features.avx512) { return "SkylakeX" }
        if features.isSuperset(of: [.avx2, .fma]) { return features.contains(.amd) ? "Zen" : "Haswell" }
        return nil
    }

    /// The kernel to ask for instead of `current`, or nil when `current` is already as good
    /// (or the user chose one with `OPENBLAS_CORETYPE`).
    public static func upgrade(current: String, features: Features, userChoice: String?) -> String? {
        guard userChoice == nil, let best = best(for: features), rank(best) > rank(current) else { return nil }
        return best
    }

    static let reexecMarker = "STYLEGAN_BLAS_REEXEC"

    /// Re-executes this process once with `OPENBLAS_CORETYPE` set to the best kernel when
    /// OpenBLAS fell back to a weaker one; returns (doing nothing) otherwise. Call first
    /// thing in `main`, before any thread or file is opened. On a failed `execv` the
    /// process simply goes on with the kernel it has.
    public static func ensureBestKernel() {
        let env = ProcessInfo.processInfo.environment
        // STYLEGAN_BLAS_TEST_FALLBACK makes any kernel count as a fallback: how the tests
        // exercise the re-execution on a host whose OpenBLAS already knows the CPU.
        let assumed = env["STYLEGAN_BLAS_TEST_FALLBACK"] != nil ? "Prescott" : current
        guard env[reexecMarker] == nil,
              let kernel = upgrade(current: assumed, features: features, userChoice: env["OPENBLAS_CORETYPE"]) else { return }
        setenv("OPENBLAS_CORETYPE", kernel, 1)
        setenv(reexecMarker, "1", 1)   // at most once, whatever happens next
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// One line for logs and benchmarks: the kernel and where it came from.
    public static var summary: String {
        let env = ProcessInfo.processInfo.environment
        let origin = env[reexecMarker] != nil ? "chosen at start-up for this CPU" : env["OPENBLAS_CORETYPE"] != nil ? "from OPENBLAS_CORETYPE" : "OpenBLAS's own choice"
        return "OpenBLAS kernel \(current) (\(origin)); \(configuration)"
    }
}
