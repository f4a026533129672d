import Foundation

/// A safetensors file's validated layout over its bytes, with values decoded only when
/// asked for, tensor by tensor, into a caller's buffer: a large weights file is read
/// once, straight into the buffers that keep it (`SafeTensorsFile.decode` holds every
/// value as an array instead).
public struct SafeTensorsView {
    /// Stands in for a path in errors.
    public let name: String
    public let metadata: [String: String]
    /// Tensor names in byte order (as `SafeTensorsFile.tensorNames`).
    public let tensorNames: [String]
    private let data: Data
    private let entries: [String: SafeTensorsFile.Entry]
    private let bufferStart: Int

    /// Parses and validates the header of `data` (everything `SafeTensorsFile.decode`
    /// checks but the checksum, which `verifyChecksum` does); no value is decoded.
    public init(_ data: Data, name: String = "<memory>") throws {
        let layout = try SafeTensorsFile.parseLayout(data, name: name)
        self.name = name
        self.data = data
        metadata = layout.metadata
        bufferStart = layout.bufferStart
        entries = Dictionary(uniqueKeysWithValues: layout.entries.map { ($0.name, $0) })
        tensorNames = entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The stored element type and shape of `tensor`, or nil when the file has none.
    public func layout(of tensor: String) -> (dtype: SafeTensorsDType, shape: [Int])? {
        entries[tensor].map { ($0.dtype, $0.shape) }
    }

    /// Throws `IOError.invalidSafeTensors` when `__metadata__` records a data checksum
    /// (`SafeTensorsFile.checksumKey`) that the data buffer does not match.
    public func verifyChecksum() throws {
        guard let expected = metadata[SafeTensorsFile.checksumKey] else { return }
        let actual = data.withUnsafeBytes { crc32Hex(UnsafeRawBufferPointer(rebasing: $0[bufferStart...])) }
        guard actual == expected.lowercased() else {
            throw IOError.invalidSafeTensors(path: name, tensor: nil, reason: "tensor data checksum \(actual) differs from the \(expected) recorded in __metadata__.\(SafeTensorsFile.checksumKey): the file is corrupted")
        }
    }

    /// Decodes `tensor` into `out`, which holds exactly its element count.
    public func decode(_ tensor: String, into out: UnsafeMutableBufferPointer<Float>) {
        guard let e = entries[tensor] else { preconditionFailure("SafeTensorsView: no tensor '\(tensor)' in \(name)") }
        data.withUnsafeBytes { raw in
            SafeTensorsFile.decodeValues(UnsafeRawBufferPointer(rebasing: raw[(bufferStart + e.begin)..<(bufferStart + e.end)]),
                                         dtype: e.dtype, into: out)
        }
    }

    /// The values of `tensor` as a new array.
    public func values(of tensor: String) -> [Float] {
        guard let e = entries[tensor] else { preconditionFailure("SafeTensorsView: no tensor '\(tensor)' in \(name)") }
        let count = (e.end - e.begin) / e.dtype.byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            decode(tensor, into: out)
            initialized = count
        }
    }
}
