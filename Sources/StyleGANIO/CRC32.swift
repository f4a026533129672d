import CDeflate
import CZlib
import Foundation

/// The CRC-32 of zlib and PNG, over one buffer or several in turn. libdeflate computes it
/// (carry-less multiplication where the CPU has it: about 8 GB/s on one core against
/// zlib's 2); zlib's `crc32`, the reference it is tested against, only joins parts.
public enum CRC32 {
    /// The checksum of no bytes.
    public static let initial: UInt32 = 0

    /// Buffers at least this long are summed in parallel parts (`checksum`).
    static let parallelMinimum = 8 << 20

    /// The checksum of the bytes already summed into `crc` followed by `bytes`.
    public static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return libdeflate_crc32(crc, base, bytes.count)
    }

    /// The checksum of `bytes`, equal to `update(initial, with: bytes)`. A large buffer is
    /// split into one part per core, summed side by side and joined with `crc32_combine`
    /// (a weights file's check then costs a fraction of reading it).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, bytes.count / parallelMinimum)
        guard parts > 1 else { return update(initial, with: bytes) }
        let step = (bytes.count + parts - 1) / parts
        var sums = [UInt32](repeating: 0, count: parts)
        sums.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let (source, sums) = (bytes, out)   // each part reads its own range, writes its own slot
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                let range = (i * step)..<min((i + 1) * step, source.count)
                sums[i] = update(initial, with: UnsafeRawBufferPointer(rebasing: source[range]))
            }
        }
        var crc = uLong(sums[0])
        for i in 1..<parts {
            let length = min((i + 1) * step, bytes.count) - i * step
            crc = crc32_combine(crc, uLong(sums[i]), .init(length))
        }
        return UInt32(crc)
    }
}
