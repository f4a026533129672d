import CZlib

/// zlib's CRC-32, over one buffer or several in turn.
public enum CRC32 {
    /// The checksum of no bytes.
    public static let initial = UInt32(crc32(0, nil, 0))

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
}
