import Foundation
import ZIPFoundation

/// A NumPy `.npz` file: a zip archive of `.npy` files, as `np.savez` and
/// `np.savez_compressed` write it. The archive member `NAME.npy` holds the array `NAME`
/// (`np.load(path)["NAME"]`).
///
/// Reading bounds the archive before extracting anything: at most `maxEntries` members,
/// their declared sizes adding up to at most `maxTotalSize`, and no member may inflate
/// past its declared size (zip bombs stop there). Every member must be a file named
/// `….npy`, names must be unique, checksums must match, and each member is decoded as
/// `NumpyArray.decode` would (with the same `requireFinite`). Errors name the file and,
/// where it applies, the member.
///
/// Writing stores the arrays in the given order, uncompressed (`np.savez`) or deflated
/// (`np.savez_compressed`), with a fixed timestamp, so the same arrays give the same bytes.
public struct NumpyArchive: Sendable {
    /// One named array.
    public struct Entry: Sendable, Equatable {
        /// The array's name, without `.npy`.
        public var name: String
        public var array: NumpyArray

        public init(name: String, array: NumpyArray) {
            self.name = name
            self.array = array
        }
    }

    /// Most members `decode` accepts.
    public static let maxEntries = 1024
    /// Largest total uncompressed size `decode` accepts, and largest file `read` reads: 1 GiB.
    public static let maxTotalSize = 1 << 30

    /// The arrays in archive order.
    public var entries: [Entry]
    /// The path (or buffer name) the archive was decoded from, for error messages.
    public var source: String?

    /// An archive of `entries`, written in that order.
    public init(_ entries: [Entry] = []) {
        self.entries = entries
        self.source = nil
    }

    /// An archive of the named arrays, in order: `NumpyArchive(["z": z, "seeds": seeds])`.
    public init(_ arrays: KeyValuePairs<String, NumpyArray>) {
        self.init(arrays.map { Entry(name: $0.key, array: $0.value) })
    }

    /// The arrays' names in archive order.
    public var names: [String] { entries.map(\.name) }

    /// The array called `name`, or nil.
    public subscript(name: String) -> NumpyArray? {
        entries.first { $0.name == name }?.array
    }

    /// The array called `name`; throws `IOError.missingTensor` naming the file and the
    /// array when there is none.
    public func array(named name: String) throws -> NumpyArray {
        guard let array = self[name] else { throw IOError.missingTensor(path: source ?? "<memory>", name: name) }
        return array
    }

    // MARK: Reading

    /// Reads the `.npz` file at `path` (a regular file of at most `maxTotalSize` bytes).
    public static func read(path: String, requireFinite: Bool = true) throws -> NumpyArchive {
        try decode(try AtomicFile.read(path, maxBytes: maxTotalSize), name: path, requireFinite: requireFinite)
    }

    /// Decodes `.npz` bytes; `name` (a path, or a label for a buffer) goes into errors.
    public static func decode(_ data: Data, name: String = "<memory>", requireFinite: Bool = true) throws -> NumpyArchive {
        func invalid(_ reason: String, entry: String? = nil) -> IOError {
            IOError.invalidNumpy(path: name, entry: entry, reason: reason)
        }
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw invalid("not a .npz file (not a readable zip archive: \(error))")
        }

        var members: [ZIPFoundation.Entry] = []
        var total: UInt64 = 0
        for member in archive {
            guard members.count < maxEntries else { throw invalid("more than \(maxEntries) arrays in the archive") }
            let path = member.path
            guard member.type == .file else { throw invalid("not a file", entry: path) }
            guard path.hasSuffix(".npy"), path.count > 4 else {
                throw invalid("not a .npy file (an .npz archive holds only NAME.npy members)", entry: path)
            }
            guard !members.contains(where: { $0.path == path }) else { throw invalid("appears twice", entry: path) }
            let (sum, overflow) = total.addingReportingOverflow(member.uncompressedSize)
            guard !overflow, sum <= UInt64(maxTotalSize) else {
                throw invalid("the arrays' uncompressed sizes add up to more than the limit of \(maxTotalSize) bytes")
            }
            guard member.isCompressed || member.uncompressedSize <= UInt64(data.count) else {
                throw invalid("stored size \(member.uncompressedSize) bytes is larger than the archive", entry: path)
            }
            total = sum
            members.append(member)
        }

        var result = NumpyArchive()
        result.source = name
        for member in members {
            let path = member.path
            let declared = Int(member.uncompressedSize)
            var bytes = Data()
            bytes.reserveCapacity(declared)
            do {
                let checksum = try archive.extract(member) { chunk in
                    guard chunk.count <= declared - bytes.count else { throw Oversized() }
                    bytes.append(chunk)
                }
                guard checksum == member.checksum else { throw invalid("CRC-32 checksum mismatch (corrupt archive)", entry: path) }
            } catch is Oversized {
                throw invalid("inflates past its declared size of \(declared) bytes", entry: path)
            } catch let error as IOError {
                throw error
            } catch {
                throw invalid("cannot extract: \(error)", entry: path)
            }
            guard bytes.count == declared else {
                throw invalid("extracted \(bytes.count) bytes, its declared size is \(declared)", entry: path)
            }
            let array: NumpyArray
            do {
                array = try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(NumpyFormatError) in
                    try NumpyArray.decode(raw, requireFinite: requireFinite)
                }
            } catch let error as NumpyFormatError {
                throw invalid(error.reason, entry: path)
            }
            result.entries.append(Entry(name: String(path.dropLast(4)), array: array))
        }
        return result
    }

    private struct Oversized: Error {}

    // MARK: Writing

    /// The archive's bytes. Throws `IOError.invalidArgument` naming `name` for an empty,
    /// repeated or NUL-containing array name.
    public func encoded(compressed: Bool = false, name: String = "<memory>") throws -> Data {
        var seen = Set<String>()
        for entry in entries {
            guard !entry.name.isEmpty, !entry.name.contains("\0") else {
                throw IOError.invalidArgument(path: name, reason: "array name \"\(entry.name)\" cannot be stored in a .npz")
            }
            guard seen.insert(entry.name).inserted else {
                throw IOError.invalidArgument(path: name, reason: "two arrays are named \"\(entry.name)\"")
            }
        }
        do {
            let archive = try Archive(accessMode: .create)
            // 1980-01-01, the earliest time a zip entry can carry: deterministic output.
            let timestamp = Date(timeIntervalSince1970: 315_532_800)
            for entry in entries {
                let bytes = entry.array.encoded()
                try archive.addEntry(with: entry.name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                                     modificationDate: timestamp, permissions: 0o644,
                                     compressionMethod: compressed ? .deflate : .none) { position, size in
                    bytes.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
            guard let data = archive.data else { throw IOError.writeFailed(path: name, reason: "the zip writer produced no data") }
            return data
        } catch let error as IOError {
            throw error
        } catch {
            throw IOError.writeFailed(path: name, reason: "cannot build the zip archive: \(error)")
        }
    }

    /// Writes `encoded(compressed:)` to `path` atomically (`AtomicFile.write`). Errors
    /// are `IOError`s naming `path`.
    public func write(to path: String, compressed: Bool = false) throws {
        try AtomicFile.write(try encoded(compressed: compressed, name: path), to: path)
    }
}
