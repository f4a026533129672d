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
    ///
    /// Only regular files are written: a symbolic link is followed and its target
    /// replaced (a dangling link is refused), and a device, FIFO, socket or directory at
    /// `path` is refused with `IOError.writeFailed` and left alone.
    ///
    /// The path `-` writes the bytes to standard output instead.
    public static func write(_ data: Data, to requestedPath: String) throws {
        if requestedPath == "-" {
            do { try FileHandle.standardOutput.write(contentsOf: data) } catch {
                throw IOError.writeFailed(path: "-", reason: "cannot write to standard output: \(error.localizedDescription)")
            }
            return
        }
        let path = try regularFileDestination(requestedPath)
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

    /// Throws, as `write` would, when `path` cannot take an atomic write (a device, FIFO,
    /// directory or dangling link; a missing or read-only folder), so a command can refuse
    /// it before doing its work. `-` (standard output) always can.
    public static func checkDestination(_ path: String) throws {
        guard path != "-" else { return }
        let target = try regularFileDestination(path)
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw IOError.writeFailed(path: path, reason: "its folder \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw IOError.writeFailed(path: path, reason: "its folder \(directory) is not writable")
        }
    }

    /// The path a write to `path` should replace: `path` itself when nothing or a regular
    /// file is there, the target of a symbolic link; throws for anything else.
    static func regularFileDestination(_ path: String) throws -> String {
        guard !path.isEmpty else { throw IOError.writeFailed(path: path, reason: "empty path") }
        var info = stat()
        guard lstat(path, &info) == 0 else { return path }   // nothing there yet: a new file
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return path
        case S_IFLNK:
            guard let resolved = realpath(path, nil) else {
                throw IOError.writeFailed(path: path, reason: "it is a symbolic link whose target does not exist")
            }
            defer { free(resolved) }
            let target = String(cString: resolved)
            guard stat(target, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw IOError.writeFailed(path: path, reason: "it is a symbolic link to \(target), which is not a regular file")
            }
            return target
        case S_IFDIR:
            throw IOError.writeFailed(path: path, reason: "it is a directory")
        default:
            throw IOError.writeFailed(path: path, reason: "it is a device, FIFO or socket, not a regular file (write to a file instead)")
        }
    }

    /// Reads the whole file at `path` (memory-mapped when the system considers it
    /// safe). Throws `IOError.fileNotFound`, `.isDirectory` or `.readFailed`, each naming
    /// `path`; a device, FIFO or socket is refused (`.readFailed`) without being opened,
    /// and so is a file larger than `maxBytes` (checked before reading).
    public static func read(_ path: String, maxBytes: Int? = nil) throws -> Data {
        try checkReadable(path, maxBytes: maxBytes)
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw IOError.readFailed(path: path, reason: error.localizedDescription)
        }
    }

    /// Maps the whole file at `path` read-only (private, pre-faulted from the page
    /// cache), for large files read once (weights): no copy of the bytes is made, and the
    /// mapping is released with the returned `Data`. Errors as `read`. The file must not
    /// be truncated in place while the `Data` lives (this project's writers replace
    /// files by rename, which leaves a mapping intact).
    public static func map(_ path: String) throws -> Data {
        try checkReadable(path, maxBytes: nil)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)   // O_NONBLOCK: a FIFO swapped in after the check cannot block
        guard fd >= 0 else { throw IOError.readFailed(path: path, reason: errnoString()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IOError.readFailed(path: path, reason: errnoString()) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw IOError.readFailed(path: path, reason: "not a regular file (a device, FIFO or socket)")
        }
        let size = Int(info.st_size)
        if size == 0 { return Data() }
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let base = mmap(nil, size, PROT_READ, flags, fd, 0), base != MAP_FAILED else {
            throw IOError.readFailed(path: path, reason: errnoString())
        }
        return Data(bytesNoCopy: base, count: size, deallocator: .unmap)
    }

    /// Throws unless `path` is an existing regular file of at most `maxBytes` bytes.
    private static func checkReadable(_ path: String, maxBytes: Int?) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw IOError.fileNotFound(path: path) }
            throw IOError.readFailed(path: path, reason: errnoString())
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw IOError.isDirectory(path: path)
        default: throw IOError.readFailed(path: path, reason: "not a regular file (a device, FIFO or socket)")
        }
        if let maxBytes, Int64(info.st_size) > Int64(maxBytes) {
            throw IOError.readFailed(path: path, reason: "it is \(info.st_size) bytes, more than the limit of \(maxBytes)")
        }
    }

    private static func errnoString() -> String {
        String(cString: strerror(errno))
    }
}
