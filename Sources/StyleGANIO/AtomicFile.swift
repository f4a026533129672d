import Foundation

#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Musl)
import Musl
private let posixWrite = Musl.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

/// Whole-file reads and crash-safe whole-file writes.
public enum AtomicFile {
    /// Writes `data` to `path` atomically: the bytes go to a new temporary file in the
    /// same directory (`.<name>.tmp-<pid>-<random>`), which is fsync'ed and then renamed
    /// over `path`; the directory is fsync'ed afterwards (best effort). Readers therefore
    /// see either the old file or the complete new one, never a partial write. On any
    /// failure the temporary file is removed, the destination is untouched, and
    /// `IOError.writeFailed` names `path`.
    ///
    /// A new file gets mode 0644 (minus the umask).
    public static func write(_ data: Data, to path: String) throws {
        guard !path.isEmpty else { throw IOError.writeFailed(path: path, reason: "empty path") }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let tempPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            .path

        let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw IOError.writeFailed(
                path: path, reason: "cannot create a temporary file in \(directory): \(errnoString())")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = close(fd) }
            if !renamed { _ = unlink(tempPath) }
        }

        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let written = posixWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw IOError.writeFailed(path: path, reason: "write failed: \(errnoString())")
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else {
            throw IOError.writeFailed(path: path, reason: "fsync failed: \(errnoString())")
        }
        closed = true
        guard close(fd) == 0 else {
            throw IOError.writeFailed(path: path, reason: "close failed: \(errnoString())")
        }
        guard rename(tempPath, path) == 0 else {
            throw IOError.writeFailed(path: path, reason: "rename failed: \(errnoString())")
        }
        renamed = true

        // Make the rename itself durable. Failure here does not undo the write.
        let dirFD = open(directory, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            _ = close(dirFD)
        }
    }

    /// Reads the whole file at `path` (memory-mapped when the system considers it
    /// safe). Throws `IOError.fileNotFound`, `.isDirectory` or `.readFailed`, each naming
    /// `path`.
    public static func read(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IOError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw IOError.isDirectory(path: path) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw IOError.readFailed(path: path, reason: error.localizedDescription)
        }
    }

    private static func errnoString() -> String {
        String(cString: strerror(errno))
    }
}
