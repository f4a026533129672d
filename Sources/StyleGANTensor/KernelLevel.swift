import CKernels
import Foundation

/// The instruction-set level the own C kernels run at (convolutions, Winograd, small-N GEMM,
/// upfirdn2d, the synthesis epilogue, element-wise ops, Adam / EMA), chosen once at start-up
/// from CPUID: the best of `avx512`, `avx2` and `portable` this build and CPU support.
/// `STYLEGAN_KERNELS=portable|avx2|avx512` asks for a level; the CLI and the benchmark refuse
/// one the CPU lacks (`checkEnvironment`), the library alone uses the best level instead.
/// (OpenBLAS's GEMM kernel is chosen separately: see `BLASKernel`.)
public enum KernelLevel: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case portable = 0, avx2 = 1, avx512 = 2

    var cValue: ck_kernel_level { ck_kernel_level(rawValue: UInt32(rawValue)) }

    /// "portable", "avx2", "avx512" (the values STYLEGAN_KERNELS takes).
    public var name: String { String(cString: ck_kernels_level_name(cValue)) }
    public var description: String { name }

    /// Whether this build and CPU can run the level.
    public var isSupported: Bool { ck_kernels_supported(cValue) != 0 }

    /// The level the kernels run at now.
    public static var current: KernelLevel { KernelLevel(rawValue: Int32(ck_kernels_level().rawValue)) ?? .portable }

    /// The best level this build and CPU support.
    public static var best: KernelLevel { KernelLevel(rawValue: Int32(ck_kernels_best().rawValue)) ?? .portable }

    /// The levels this build and CPU can run, lowest first.
    public static var supported: [KernelLevel] { allCases.filter(\.isSupported) }

    /// Switches the level (tests, benchmarks); false, and no change, when it is not supported.
    /// Not while kernels run on other threads.
    @discardableResult
    public static func set(_ level: KernelLevel) -> Bool { ck_kernels_set_level(level.cValue) == 0 }

    /// Runs `body` at `level` and restores the previous level.
    public static func with<T>(_ level: KernelLevel, _ body: () throws -> T) rethrows -> T {
        let previous = current
        precondition(set(level), "kernel level \(level) is not supported here")
        defer { set(previous) }
        return try body()
    }

    /// Why STYLEGAN_KERNELS was not followed (one line), or nil when it was or is unset.
    public static var environmentProblem: String? {
        let text = String(cString: ck_kernels_env_problem())
        return text.isEmpty ? nil : text
    }

    /// For executables: a STYLEGAN_KERNELS value that names no level, or one this CPU cannot
    /// run, ends the process with a one-line error on stderr (exit status 1) instead of
    /// silently running (or measuring) another level.
    public static func checkEnvironment(program: String) {
        guard let problem = environmentProblem else { return }
        FileHandle.standardError.write(Data("\(program): \(problem.replacingOccurrences(of: "; using \(best.name)", with: "")); unset it or choose one of: \(supported.map(\.name).joined(separator: ", "))\n".utf8))
        exit(1)
    }

    /// One line for logs and benchmarks: the level, where it came from, and the levels this
    /// CPU can run.
    public static var summary: String {
        let forced = ProcessInfo.processInfo.environment["STYLEGAN_KERNELS"] != nil && environmentProblem == nil
        let origin = forced ? "from STYLEGAN_KERNELS" : current == best ? "best for this CPU" : "set by the program"
        return "own kernels \(current.name) (\(origin)); this CPU runs: \(supported.map(\.name).joined(separator: ", "))"
    }
}
