import Foundation

/// A NumPy `.npz` file: a zip archive of `.npy` files, as `np.savez` and
/// `np.savez_compressed` write it. The archive member `NAME.npy` holds the array `NAME`
/// (`np.load(path)["NAME"]`).
///
/// Reading bounds the archive before extracting anything: at most `maxEntries` members,
/// their declared sizes adding up to at most `maxTotalSize`, and no member may inflate
/// past its declared size (zip bombs stop there). Every member must be named
/// `….npy`, names must be unique, checksums must match, and each member is decoded as
/// `NumpyArray.decode` would (with the same `requireFinite`). Errors name the file and,
/// where it applies, the member.
///
/// Writing stores the arrays in the given order, uncompressed (`np.savez`) or deflated
/// (`np.savez_compressed`), with a fixed timestamp, so the same arrays give the same bytes.
/// The zip container is `ZipContainer` (see there why not ZIPFoundation).
public struct NumpyArchive: Sendable {
    /// One named array.
    public struct Entry: Sendable, Equatable {
        /// The array's name, without `.npy`.
        public var name: String
        /// The array (`NAME.npy` in the archive).
        public var array: NumpyArray

        /// A named array.
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
        try data.withUnsafeBytes { try decode($0, name: name, requireFinite: requireFinite) }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, name: String, requireFinite: Bool) throws -> NumpyArchive {
        func invalid(_ reason: String, entry: String? = nil) -> IOError {
            IOError.invalidNumpy(path: name, entry: entry, reason: reason)
        }
        let members: [ZipContainer.Member]
        do { members = try ZipContainer.members(raw, maxEntries: maxEntries) } catch { throw invalid(error.reason) }

        // Everything is checked before anything is extracted.
        var total = 0
        var seen = Set<String>()
        for member in members {
            guard member.name.hasSuffix(".npy"), member.name.count > 4 else {
                throw invalid("not a .npy file (an .npz archive holds only NAME.npy members)", entry: member.name)
            }
            guard !member.name.contains("\0") else { throw invalid("member name with a NUL byte") }
            guard seen.insert(member.name).inserted else { throw invalid("appears twice", entry: member.name) }
            guard member.uncompressedSize <= maxTotalSize - total else {
                throw invalid("the arrays' uncompressed sizes add up to more than the limit of \(maxTotalSize) bytes")
            }
            total += member.uncompressedSize
        }

        var result = NumpyArchive()
        result.source = name
        for member in members {
            let array: NumpyArray
            do {
                let bytes = try ZipContainer.extract(member, from: raw)
                array = try bytes.withUnsafeBytes { try NumpyArray.decode($0, requireFinite: requireFinite) }
            } catch let error as NumpyFormatError {
                throw invalid(error.reason, entry: member.name)
            }
            result.entries.append(Entry(name: String(member.name.dropLast(4)), array: array))
        }
        return result
    }

    // MARK: Writing

    /// The archive's bytes. Throws `IOError.invalidArgument` naming `name` for an empty,
    /// repeated, overlong or NUL-containing array name, or more than a zip without ZIP64
    /// holds (65535 members, 4 GiB).
    public func encoded(compressed: Bool = false, name: String = "<memory>") throws -> Data {
        var seen = Set<String>()
        for entry in entries {
            guard !entry.name.isEmpty, !entry.name.contains("\0"), entry.name.utf8.count <= 65000 else {
                throw IOError.invalidArgument(path: name, reason: "array name \"\(entry.name)\" cannot be stored in a .npz")
            }
            guard seen.insert(entry.name).inserted else {
                throw IOError.invalidArgument(path: name, reason: "two arrays are named \"\(entry.name)\"")
            }
        }
        guard entries.count <= 65535 else {
            throw IOError.invalidArgument(path: name, reason: "\(entries.count) arrays are more than a .npz can hold (65535)")
        }
        let files = entries.map { (name: $0.name + ".npy", bytes: $0.array.encoded()) }
        // No ZIP64 is written: members and the archive stay under 4 GiB.
        guard files.reduce(0, { $0 + $1.bytes.count + 128 + 2 * $1.name.utf8.count }) < 1 << 32 else {
            throw IOError.invalidArgument(path: name, reason: "the arrays take more than the 4 GiB a .npz without ZIP64 can hold")
        }
        return ZipContainer.archive(files, compressed: compressed)
    }

    /// Writes `encoded(compressed:)` to `path` atomically (`AtomicFile.write`). Errors
    /// are `IOError`s naming `path`.
    public func write(to path: String, compressed: Bool = false) throws {
        try AtomicFile.write(try encoded(compressed: compressed, name: path), to: path)
    }
}
