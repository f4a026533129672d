import CKernels
import Foundation

/// The one thread knob: OpenMP kernels and OpenBLAS share a single pool.
public enum Threads {
    /// Environment variable read by `configure(_:)` when no explicit count is given.
    public static let environmentVariable = "STYLEGAN_THREADS"

    /// Sets the thread count for kernels and BLAS. `count` nil → `STYLEGAN_THREADS` if
    /// set, else one thread per core. Returns the count in effect.
    @discardableResult
    public static func configure(_ count: Int? = nil) -> Int {
        let fromEnv = ProcessInfo.processInfo.environment[environmentVariable].flatMap { Int($0) }
        ck_set_num_threads(Int32(count ?? fromEnv ?? 0))
        return Int(ck_get_num_threads())
    }

    /// Threads the next parallel region will use.
    public static var current: Int { Int(ck_get_num_threads()) }

    /// Cores available to this process.
    public static var cores: Int { Int(ck_num_procs()) }
}
