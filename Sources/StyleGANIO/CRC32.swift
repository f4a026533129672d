import CZlib
import Foundation

/// zlib's CRC-32, over one buffer or several in turn.
public enum CRC32 {
    /// The checksum of no bytes.
    public static let initial = UInt32(crc32(0, nil, 0))

    /// Buffers at least this long are summed in parallel parts (`checksum`).
    static let parallelMinimum = 8 << 20

    /// The checksum of the bytes already summed into `crc` followed by `bytes`.
    public static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = uLong(crc)
        var rest = bytes
        while !rest.isEmpty {   // zlib takes 32-bit lengths
            let n = min(rest.count, 1 << 30)
            crc = crc32(crc, rest.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return UInt32(crc)
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
