import Foundation
import StyleGANIO
import StyleGANTensor

/// A folder of training images, decoded once into memory at the training resolution
/// with its box-filtered pyramid (so the training loop never waits on decoding).
public final class ImageDataset: @unchecked Sendable {
    /// Final resolution.
    public let resolution: Int
    /// Number of usable images.
    public let count: Int
    /// Files that could not be used, with the reason.
    public let skipped: [(path: String, reason: String)]
    /// Pyramid levels: resolution → uint8 pixels [count, 3, r, r].
    private var levels: [Int: [UInt8]] = [:]

    /// CRC-32 of the decoded images at full resolution: equal wherever the same images
    /// were loaded (how the processes of a group check that they train on the same data).
    public var fingerprint: UInt32 { levels[resolution]!.withUnsafeBytes { CRC32.update(CRC32.initial, with: $0) } }

    /// Memory that concurrent decodes may hold at once (4 GiB), and the estimate of one
    /// decode's peak per pixel (RGBA bytes, the float image, its square crop, resizing).
    public static let decodeBudgetBytes = 4 << 30
    static let decodeBytesPerPixel = 40

    /// Scans `directory` recursively for PNG and JPEG files and decodes them in parallel
    /// within a shared memory budget. Files that cannot be used (unreadable, corrupt, too
    /// large) and unreadable sub-folders are skipped and listed in `skipped`.
    /// Throws when the folder is missing or holds no usable image.
    public init(directory: String, resolution: Int, limit: Int? = nil) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError("\(directory): no such directory")
        }
        var files: [String] = []
        var unreadable: [(path: String, reason: String)] = []
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath()   // a link to the folder is the folder
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, options: []) { url, error in
            unreadable.append((url.path, "\(url.path): cannot read folder: \(error.localizedDescription)"))
            return true   // go on with the rest
        }
        while let url = enumerator?.nextObject() as? URL {
            if ImageFile.extensions.contains(url.pathExtension.lowercased()) { files.append(url.path) }
        }
        files.sort()
        if let limit { files = Array(files.prefix(limit)) }
        guard !files.isEmpty else { throw DatasetError("\(directory): no PNG or JPEG files found") }

        let plane = 3 * resolution * resolution
        // Decoded images, then their compacted copy and pyramid (4/3): refused up front when
        // that cannot fit in half of this machine's memory (before any file is read).
        let needed = Double(files.count) * Double(plane) * (1 + 4.0 / 3)
        let available = Double(ProcessInfo.processInfo.physicalMemory) / 2
        guard needed <= available else {
            throw DatasetError("\(directory): \(files.count) images at \(resolution)x\(resolution) would need \(String(format: "%.1f", needed / Double(1 << 30))) GiB in memory, more than half of this machine's \(String(format: "%.1f", 2 * available / Double(1 << 30))) GiB (use --limit N)")
        }
        let decoded = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: files.count * plane)
        defer { decoded.deallocate() }
        let results = UnsafeMutableBufferPointer<String?>.allocate(capacity: files.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        // Each iteration writes only its own slots of the two buffers.
        let shared = SendableBox((decoded, results, files))
        let budget = DecodeBudget(bytes: Self.decodeBudgetBytes)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let (decoded, results, files) = shared.value
            do {
                // The header says how large the image is; its decode waits until the
                // threads' shared memory budget has room (or is refused if it never will).
                let data = try AtomicFile.read(files[i])
                let (w, h) = try ImageFile.dimensions(data, name: files[i])
                let cost = w * h * Self.decodeBytesPerPixel
                guard budget.acquire(cost) else {
                    throw DatasetError("\(files[i]): a \(w)x\(h) image needs about \(cost >> 20) MiB to decode, over the \(Self.decodeBudgetBytes >> 20) MiB budget")
                }
                defer { budget.release(cost) }
                let image = ImageResize.resize(ImageResize.centerSquare(try ImageFile.decode(data, name: files[i])), to: resolution)
                for (k, v) in image.pixels.enumerated() { decoded[i * plane + k] = UInt8(ImageResize.quantized(v)) }
            } catch {
                results[i] = "\(error)"
            }
        }
        var good: [Int] = []
        var bad: [(String, String)] = unreadable
        for i in 0..<files.count {
            if let reason = results[i] { bad.append((files[i], reason)) } else { good.append(i) }
        }
        guard !good.isEmpty else {
            throw DatasetError("\(directory): none of the \(files.count) image files could be read (first: \(bad.last!.1))")
        }
        var full = [UInt8](repeating: 0, count: good.count * plane)
        for (j, i) in good.enumerated() {
            for k in 0..<plane { full[j * plane + k] = decoded[i * plane + k] }
        }
        self.resolution = resolution
        self.count = good.count
        self.skipped = bad
        levels[resolution] = full
        // Lower levels: 2×2 box average of the level above, rounded (as the official
        // dataset tool stores them).
        var r = resolution
        while r > 4 {
            let above = levels[r]!, h = r / 2
            var below = [UInt8](repeating: 0, count: count * 3 * h * h)
            for p in 0..<(count * 3) {
                for y in 0..<h {
                    for x in 0..<h {
                        let a = p * r * r + 2 * y * r + 2 * x
                        let s = Int(above[a]) + Int(above[a + 1]) + Int(above[a + r]) + Int(above[a + r + 1])
                        below[p * h * h + y * h + x] = UInt8((Double(s) / 4).rounded(.toNearestOrEven))
                    }
                }
            }
            levels[h] = below
            r = h
        }
    }

    /// A batch [N, 3, r, r] in [-1, 1] of images `indices` at resolution r, mirrored
    /// horizontally where `mirror[i]`.
    public func batch(indices: [Int], mirror: [Bool], resolution r: Int) -> Tensor {
        guard let level = levels[r] else { preconditionFailure("dataset has no level \(r)") }
        let plane = 3 * r * r
        let out = Tensor.uninitialized([indices.count, 3, r, r])
        let dst = out.data
        for (b, idx) in indices.enumerated() {
            level.withUnsafeBufferPointer { src in
                for c in 0..<3 {
                    for y in 0..<r {
                        let s = idx * plane + (c * r + y) * r, d = b * plane + (c * r + y) * r
                        for x in 0..<r {
                            dst[d + x] = Float(src[s + (mirror[b] ? r - 1 - x : x)]) * (2 / 255) - 1
                        }
                    }
                }
            }
        }
        return out
    }
}

/// A dataset problem (reported before training starts).
public struct DatasetError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// Hands values to concurrent code that touches disjoint parts of them.
struct SendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A byte budget shared by concurrent decodes: `acquire` waits until the bytes are free
/// and refuses (false) a request larger than the whole budget.
final class DecodeBudget: @unchecked Sendable {
    private let total: Int
    private var used = 0
    private let condition = NSCondition()

    init(bytes: Int) { total = bytes }

    func acquire(_ bytes: Int) -> Bool {
        guard bytes <= total else { return false }
        condition.lock()
        defer { condition.unlock() }
        while used + bytes > total { condition.wait() }
        used += bytes
        return true
    }

    func release(_ bytes: Int) {
        condition.lock()
        used -= bytes
        condition.broadcast()
        condition.unlock()
    }
}
