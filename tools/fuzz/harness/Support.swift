// Shared by every libFuzzer harness (compiled into each fuzz binary).
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A per-process scratch file for readers that take a path. It lives in /dev/shm when
/// there is one (no disk traffic), is overwritten on every iteration and removed at exit;
/// after a crash it is left in place and holds the crashing input, as the reader saw it.
final class ScratchFile {
    let path: String

    init(suffix: String) {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
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

/// Floats equal bit for bit, or both NaN.
func sameFloat(_ a: Float, _ b: Float) -> Bool {
    a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
}
