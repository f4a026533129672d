import CMPI
import Foundation
import StyleGANTensor
import StyleGANTraining

/// The processes started together by Open MPI's `mpirun`, as a `ProcessGroup`.
///
/// MPI is initialised only by `joinIfLaunched()`, and only in a process that `mpirun`
/// started: a plain `stylegan` run never initialises it. Every call is made from the
/// main thread (`MPI_THREAD_FUNNELED`); errors are fatal to the whole job (Open MPI's
/// default handler), so a failing collective cannot leave the others waiting.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// Processes of the group on this host.
    public let localSize: Int
    private let world = cmpi_comm_world()
    private var seconds = 0.0, bytes = 0

    /// Whether `mpirun` (Open MPI) started this process.
    public static var isLaunched: Bool { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil }

    /// Initialises MPI and joins `MPI_COMM_WORLD` when `mpirun` started this process; nil otherwise.
    public static func joinIfLaunched() -> MPIProcessGroup? { isLaunched ? MPIProcessGroup() : nil }

    private init() {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        var r: Int32 = 0, n: Int32 = 0
        MPI_Comm_rank(world, &r)
        MPI_Comm_size(world, &n)
        rank = Int(r)
        size = Int(n)
        localSize = max(1, Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1)
    }

    /// Threads each process should use when not told: the cores `mpirun` bound it to,
    /// or, unbound, this host's cores shared by its processes of the group.
    public var defaultThreads: Int {
        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let available = Threads.cores
        return available < online ? available : max(1, online / localSize)
    }

    /// Largest element count of one MPI call (its counts are 32-bit).
    private static let chunk = 1 << 28

    private func timed<R>(_ payload: Int, _ body: () -> R) -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            bytes += payload
        }
        return body()
    }

    public func sumInPlace(_ values: UnsafeMutableBufferPointer<Float>) {
        timed(values.count * 4) {
            for start in stride(from: 0, to: values.count, by: Self.chunk) {
                let n = min(Self.chunk, values.count - start)
                MPI_Allreduce(cmpi_in_place(), values.baseAddress! + start, Int32(n), cmpi_float(), cmpi_sum(), world)
            }
        }
    }

    public func sum(_ values: [Double]) -> [Double] {
        var out = values
        timed(values.count * 8) {
            _ = out.withUnsafeMutableBufferPointer {
                MPI_Allreduce(cmpi_in_place(), $0.baseAddress, Int32($0.count), cmpi_double(), cmpi_sum(), world)
            }
        }
        return out
    }

    public func range(_ value: UInt64) -> (min: UInt64, max: UInt64) {
        // One call: max(v) and max(~v) = ~min(v).
        var pair = [value, ~value]
        timed(16) {
            _ = pair.withUnsafeMutableBufferPointer {
                MPI_Allreduce(cmpi_in_place(), $0.baseAddress, 2, cmpi_uint64(), cmpi_max(), world)
            }
        }
        return (~pair[1], pair[0])
    }

    public func gather(_ values: [Float]) -> [Float]? {
        let tag: Int32 = 7
        return timed(rank == 0 ? 0 : values.count * 4) {
            guard rank == 0 else {
                var count = UInt64(values.count)
                MPI_Send(&count, 1, cmpi_uint64(), 0, tag, world)
                values.withUnsafeBufferPointer { p in
                    for start in stride(from: 0, to: p.count, by: Self.chunk) {
                        MPI_Send(p.baseAddress! + start, Int32(min(Self.chunk, p.count - start)), cmpi_float(), 0, tag, world)
                    }
                }
                return nil
            }
            var all = values
            for source in 1..<Int32(size) {
                var count: UInt64 = 0
                MPI_Recv(&count, 1, cmpi_uint64(), source, tag, world, cmpi_status_ignore())
                var part = [Float](repeating: 0, count: Int(count))
                part.withUnsafeMutableBufferPointer { p in
                    for start in stride(from: 0, to: p.count, by: Self.chunk) {
                        MPI_Recv(p.baseAddress! + start, Int32(min(Self.chunk, p.count - start)), cmpi_float(), source, tag, world, cmpi_status_ignore())
                    }
                }
                all += part
            }
            return all
        }
    }

    public var traffic: (seconds: Double, bytes: Int) { (seconds, bytes) }

    /// Leaves MPI after a run every process finished (or stopped) together.
    public func finish() { MPI_Finalize() }

    /// Ends every process of the job with `code`: for an error on this process, which
    /// the others, waiting in a collective, would never learn of.
    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }
}
