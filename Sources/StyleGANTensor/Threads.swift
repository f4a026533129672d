import CKernels
import Foundation

/// The one thread knob: OpenMP kernels and OpenBLAS share a single pool.
public enum Threads {
    /// Environment variable read by `configure(_:)` when no explicit count is given.
    public static let environmentVariable = "STYLEGAN_THREADS"

    /// Most threads a count may ask for; larger requests are clamped to it.
    public static let maximum = 1024

    /// The thread count `STYLEGAN_THREADS` asks for: nil when unset, an error message
    /// when it is not a whole number in 1…`maximum`.
    public static func environmentCount() -> Result<Int?, ThreadCountError> {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable] else { return .success(nil) }
        guard let n = Int(text), (1...maximum).contains(n) else {
            return .failure(ThreadCountError(description: "\(environmentVariable) must be a whole number in 1…\(maximum), got '\(text)'"))
        }
        return .success(n)
    }

    /// Sets the thread count for kernels and BLAS. `count` nil → `STYLEGAN_THREADS` if
    /// set and valid, else one thread per core. Counts are clamped to 1…`maximum`.
    /// Returns the count in effect.
    @discardableResult
    public static func configure(_ count: Int? = nil) -> Int {
        let fromEnv = (try? environmentCount().get()) ?? nil
        let n = count ?? fromEnv ?? 0   // 0: one per core
        ck_set_num_threads(Int32(n == 0 ? 0 : min(max(n, 1), maximum)))
        return Int(ck_get_num_threads())
    }

    /// Threads the next parallel region will use.
    public static var current: Int { Int(ck_get_num_threads()) }

    /// Cores available to this process.
    public static var cores: Int { Int(ck_num_procs()) }
}

/// An unusable thread count in the environment.
public struct ThreadCountError: Error, CustomStringConvertible {
    public let description: String
}
