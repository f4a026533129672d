// Shared by every libFuzzer harness (compiled into each fuzz binary).
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A per-process scratch file for readers that take a path. It lives in
/// $STYLEGAN_FUZZ_SCRATCH (run.sh: a directory it removes at the end), else in /dev/shm
/// when there is one (no disk traffic), is overwritten on every iteration and removed at exit;
/// after a crash it is left in place and holds the crashing input, as the reader saw it.
final class ScratchFile {
    let path: String

    init(suffix: String) {
        let environment = ProcessInfo.processInfo.environment
        let dir = environment["STYLEGAN_FUZZ_SCRATCH"]
            ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        path = "\(dir)/stylegan-fuzz-\(getpid())\(suffix)"
    }

    func write(_ data: Data) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "fuzz harness: cannot create \(path)")
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                precondition(n > 0, "fuzz harness: cannot write \(path)")
                offset += n
            }
        }
        close(fd)
    }

    func remove() { unlink(path) }
}

/// The input as `Data` (copied: the readers may keep it, libFuzzer reuses its buffer).
func inputData(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Data {
    guard let bytes, size > 0 else { return Data() }
    return Data(bytes: bytes, count: size)
}

/// An oracle failure: crash loudly so libFuzzer records the input.
func oracle(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
            file: StaticString = #file, line: UInt = #line) {
    if !condition() { fatalError("fuzz oracle: \(message())", file: file, line: line) }
}

/// One line on stderr (unbuffered, so it survives a crash).
func report(_ line: String) {
    fputs(line + "\n", stderr)
}

/// Floats equal bit for bit, or both NaN.
func sameFloat(_ a: Float, _ b: Float) -> Bool {
    a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
}

// MARK: Structure-aware mutation (libFuzzer custom mutators)

/// libFuzzer's own mutator, for use inside a custom one.
@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// A small deterministic generator (SplitMix64) seeded by libFuzzer.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt32) { state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: UInt64, _ denominator: UInt64) -> Bool { next() % denominator < numerator }
}

/// CRC-32 (IEEE, as PNG and zlib use it).
private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func crc32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

/// Rewrites the CRC of every complete chunk after the PNG signature, so that mutated
/// chunk contents get past libpng's CRC check (which the simplified API cannot turn off).
func fixPNGChunkCRCs(_ data: UnsafeMutablePointer<UInt8>, _ size: Int) {
    var offset = 8
    while offset + 12 <= size {
        let length = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
        guard length <= size - offset - 12 else { return }
        let crc = crc32(UnsafeBufferPointer(start: data + offset + 4, count: 4 + length))
        let at = offset + 8 + length
        data[at] = UInt8(crc >> 24); data[at + 1] = UInt8((crc >> 16) & 0xFF)
        data[at + 2] = UInt8((crc >> 8) & 0xFF); data[at + 3] = UInt8(crc & 0xFF)
        offset = at + 4
    }
}

/// Mutates a safetensors file part by part: when the 8-byte length is consistent, either
/// the JSON header or the data buffer is mutated and the length rewritten, so that
/// insertions and deletions in the header keep the file well framed; otherwise (and now
/// and then anyway) the bytes are mutated as a whole. With `fixChecksum`, a
/// `"data_crc32":"…"` metadata value of 8 hex digits is usually recomputed for the new data.
func mutateSafeTensors(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32,
                       fixChecksum: Bool) -> Int {
    var rng = SplitMix(seed)
    var headerLength = 0
    for i in (0..<min(8, size)).reversed() { headerLength = headerLength << 8 | Int(data[i]) }
    guard size >= 8, maxSize > 8, headerLength >= 0, headerLength <= size - 8, rng.chance(7, 8) else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    var header = [UInt8](UnsafeBufferPointer(start: data + 8, count: headerLength))
    var body = [UInt8](UnsafeBufferPointer(start: data + 8 + headerLength, count: size - 8 - headerLength))
    if rng.chance(3, 4) {
        mutatePart(&header, room: maxSize - 8 - body.count)
    } else {
        mutatePart(&body, room: maxSize - 8 - header.count)
    }
    if fixChecksum, rng.chance(7, 8), let at = firstIndex(of: Array("\"data_crc32\":\"".utf8), in: header),
       at + 8 <= header.count {
        let hex = Array(String(format: "%08x", body.withUnsafeBufferPointer { crc32($0) }).utf8)
        header.replaceSubrange(at..<(at + 8), with: hex)
    }
    let total = 8 + header.count + body.count
    guard total <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    var length = UInt64(header.count)
    for i in 0..<8 { data[i] = UInt8(length & 0xFF); length >>= 8 }
    for (i, byte) in (header + body).enumerated() { data[8 + i] = byte }
    return total
}

/// The index just after the first occurrence of `needle` in `haystack`.
func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
        return start + needle.count
    }
    return nil
}

/// Mutates `part` in place with libFuzzer's mutator, letting it grow to `room` bytes (a
/// header or body mutated apart from the framing around it).
func mutatePart(_ part: inout [UInt8], room: Int) {
    guard room > 0 else { return }
    let count = part.count
    part += [UInt8](repeating: 0, count: max(0, room - count))
    let newCount = part.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, count, room) }
    part.removeSubrange(newCount...)
}
