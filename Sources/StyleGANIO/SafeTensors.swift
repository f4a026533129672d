import CZlib
import Foundation

/// The element types of the safetensors format, spelled as in the file header.
///
/// Declared in the order of the reference implementation's `Dtype` enum, which its
/// writer uses to lay tensors out (larger alignment first).
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// Whether `SafeTensorsFile` can store `Float` values in this type
    /// (`F32`, `F16`, `BF16`). Every type can be read.
    public var isWritable: Bool {
        self == .f32 || self == .f16 || self == .bf16
    }

    /// Position in the reference implementation's enum (layout order key).
    fileprivate var referenceRank: Int { Self.allCases.firstIndex(of: self)! }
}

/// One tensor of a safetensors file: its on-disk element type, its shape
/// (row-major, C order; `[]` is a scalar) and its values as `Float`.
///
/// On read, `values` holds the stored elements converted to Float: F32 exactly;
/// F16, BF16, F8_E5M2 and F8_E4M3 exactly (every value is representable); F64 and
/// 32/64-bit integers rounded to the nearest Float; BOOL as 0 or 1.
/// On write, `dtype` selects the storage type (F32, F16 or BF16; values rounded to
/// nearest even when narrowing).
public struct StoredTensor: Sendable, Equatable {
    /// Element type in the file.
    public var dtype: SafeTensorsDType
    /// Dimensions, outermost first. `[]` is a scalar (one element); a zero anywhere
    /// means no elements.
    public var shape: [Int]
    /// The elements in row-major order; `values.count` is the product of `shape`.
    public var values: [Float]

    /// Creates a tensor. Requires non-negative dimensions and
    /// `values.count == shape.reduce(1, *)`.
    public init(shape: [Int], values: [Float], dtype: SafeTensorsDType = .f32) {
        precondition(shape.allSatisfy { $0 >= 0 }, "StoredTensor: negative dimension in \(shape)")
        precondition(values.count == shape.reduce(1, *),
                     "StoredTensor: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }

    /// Number of elements (product of `shape`; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file (https://github.com/huggingface/safetensors) held in memory:
/// named tensors plus the optional `__metadata__` string map.
///
/// Format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping
/// each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// relative to the data buffer that follows the header) plus the optional
/// `"__metadata__": {string: string}`, then the data buffer. Elements are little-endian.
///
/// Reading validates like the reference implementation and a little more: header
/// length within the file and at most 16 MB (the reference allows 100 MB; a StyleGAN
/// file's header is under 100 KB, and parsing a 100 MB one can take gigabytes); UTF-8, strict JSON (duplicate keys
/// rejected); field types; known dtype; `begin <= end`;
/// `product(shape) * dtype size == end - begin` without overflow; every tensor inside
/// the buffer; and, sorted by offset, the tensors must tile the buffer exactly — no
/// overlap, no gap, no unused trailing bytes. Unknown extra fields inside a tensor
/// entry are ignored, as the reference does; `"__metadata__": null` reads as empty.
///
/// Writing mirrors the reference writer: tensors are laid out contiguously in the
/// order (dtype F32 before BF16 before F16, then name in byte order), `__metadata__`
/// (omitted when empty) comes first in the header with keys in byte order, and the
/// header is padded with spaces to a multiple of 8 bytes, so F32 data is 4-byte
/// aligned in the file. For the same tensors and a single metadata entry the bytes
/// equal the reference implementation's.
public struct SafeTensorsFile: Sendable, Equatable {
    /// Largest header `decode` accepts, as in the reference implementation.
    public static let maxHeaderSize = 16_000_000

    /// The `__metadata__` map (free-form strings; we store config JSON here).
    public var metadata: [String: String]
    /// Tensors by name.
    public var tensors: [String: StoredTensor]
    /// The path (or buffer name) the file was decoded from; used in error messages
    /// and ignored by `==`.
    public var source: String?

    /// Creates an in-memory file.
    public init(tensors: [String: StoredTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.source = nil
    }

    /// Equal when tensors and metadata are equal (`source` is not compared).
    public static func == (lhs: SafeTensorsFile, rhs: SafeTensorsFile) -> Bool {
        lhs.metadata == rhs.metadata && lhs.tensors == rhs.tensors
    }

    /// Tensor names in byte order.
    public var tensorNames: [String] {
        tensors.keys.sorted(by: byteOrder)
    }

    /// The tensor called `name`; throws `IOError.missingTensor` naming the file and the
    /// tensor when there is none.
    public func tensor(named name: String) throws -> StoredTensor {
        guard let tensor = tensors[name] else {
            throw IOError.missingTensor(path: source ?? "<memory>", name: name)
        }
        return tensor
    }

    // MARK: Reading

    /// Reads and validates the safetensors file at `path`; errors name `path`.
    public static func read(path: String) throws -> SafeTensorsFile {
        try decode(try AtomicFile.map(path), name: path)
    }

    /// One tensor's place in a file: dtype, shape and byte range in the data buffer.
    struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The validated header (everything `decode` checks but the checksum): metadata,
    /// entries sorted by offset, and where the data buffer starts.
    static func parseLayout(_ data: Data, name: String) throws -> (metadata: [String: String], entries: [Entry], bufferStart: Int) {
        func invalid(_ reason: String, tensor: String? = nil) -> IOError {
            IOError.invalidSafeTensors(path: name, tensor: tensor, reason: reason)
        }
        let fileSize = data.count
        guard fileSize >= 8 else {
            throw invalid("file is \(fileSize) bytes, too short for the 8-byte header length")
        }
        var headerLength64: UInt64 = 0
        for i in (0..<8).reversed() {
            headerLength64 = headerLength64 << 8 | UInt64(data[data.startIndex + i])
        }
        guard headerLength64 <= UInt64(maxHeaderSize) else {
            throw invalid("header length \(headerLength64) bytes exceeds the limit of \(maxHeaderSize)")
        }
        let headerLength = Int(headerLength64)
        guard 8 + headerLength <= fileSize else {
            throw invalid("header length \(headerLength) bytes runs past the end of the \(fileSize)-byte file")
        }
        let bufferStart = 8 + headerLength
        let bufferLength = fileSize - bufferStart

        let headerBytes = [UInt8](data[(data.startIndex + 8)..<(data.startIndex + bufferStart)])
        guard String(decoding: headerBytes, as: UTF8.self).utf8.elementsEqual(headerBytes) else {
            throw invalid("header is not valid UTF-8")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(headerBytes)
        } catch let error as JSONParseError {
            throw invalid("header is not valid JSON: \(error.description)")
        }
        guard case let .object(members) = root else {
            throw invalid("header is \(root.typeName), expected a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)

        for (key, value) in members {
            if key == "__metadata__" {
                switch value {
                case .null: break
                case let .object(pairs):
                    for (metaKey, metaValue) in pairs {
                        guard case let .string(text) = metaValue else {
                            throw invalid("__metadata__ value for \"\(metaKey)\" is \(metaValue.typeName), expected a string")
                        }
                        metadata[metaKey] = text
                    }
                default:
                    throw invalid("__metadata__ is \(value.typeName), expected an object of strings")
                }
                continue
            }
            guard case let .object(fields) = value else {
                throw invalid("entry is \(value.typeName), expected an object with dtype, shape and data_offsets",
                              tensor: key)
            }
            func field(_ fieldName: String) throws -> JSONValue {
                guard let found = fields.first(where: { $0.key == fieldName }) else {
                    throw invalid("missing field \"\(fieldName)\"", tensor: key)
                }
                return found.value
            }
            func naturals(_ fieldName: String, _ array: JSONValue) throws -> [Int] {
                guard case let .array(items) = array else {
                    throw invalid("\"\(fieldName)\" is \(array.typeName), expected an array of non-negative integers",
                                  tensor: key)
                }
                return try items.map { item in
                    guard case let .integer(number) = item, number >= 0 else {
                        throw invalid("\"\(fieldName)\" must hold non-negative integers, found \(item.brief)",
                                      tensor: key)
                    }
                    return number
                }
            }

            let dtypeValue = try field("dtype")
            guard case let .string(dtypeName) = dtypeValue else {
                throw invalid("\"dtype\" is \(dtypeValue.typeName), expected a string", tensor: key)
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw invalid("unknown or unsupported dtype \"\(dtypeName)\"", tensor: key)
            }
            let shape = try naturals("shape", try field("shape"))
            let offsets = try naturals("data_offsets", try field("data_offsets"))
            guard offsets.count == 2 else {
                throw invalid("\"data_offsets\" has \(offsets.count) entries, expected [begin, end]", tensor: key)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end else {
                throw invalid("data_offsets [\(begin), \(end)] begin after they end", tensor: key)
            }
            var elementCount = 1
            for dimension in shape {
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw invalid("shape \(shape) overflows the element count", tensor: key) }
                elementCount = product
            }
            let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw invalid("shape \(shape) overflows the byte count", tensor: key) }
            guard end - begin == byteCount else {
                throw invalid("shape \(shape) of \(dtype.rawValue) needs \(byteCount) bytes but data_offsets [\(begin), \(end)] span \(end - begin)",
                              tensor: key)
            }
            guard end <= bufferLength else {
                throw invalid("data_offsets [\(begin), \(end)] run past the end of the \(bufferLength)-byte data buffer",
                              tensor: key)
            }
            entries.append(Entry(name: key, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        // The tensors, sorted by offsets, must tile the buffer exactly.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        var previous: String?
        for entry in entries {
            if entry.begin < position {
                throw invalid("data_offsets [\(entry.begin), \(entry.end)] overlap tensor \"\(previous ?? "")\"",
                              tensor: entry.name)
            }
            if entry.begin > position {
                throw invalid("\(entry.begin - position) unused bytes in the data buffer before this tensor (at offset \(position))",
                              tensor: entry.name)
            }
            position = entry.end
            previous = entry.name
        }
        guard position == bufferLength else {
            throw invalid("the tensors cover \(position) bytes but the data buffer has \(bufferLength): \(bufferLength - position) trailing bytes are unused")
        }

        return (metadata, entries, bufferStart)
    }

    /// Decodes and validates safetensors bytes; `name` stands in for a path in errors.
    public static func decode(_ data: Data, name: String = "<memory>") throws -> SafeTensorsFile {
        let view = try SafeTensorsView(data, name: name)
        try view.verifyChecksum()
        var tensors: [String: StoredTensor] = [:]
        tensors.reserveCapacity(view.tensorNames.count)
        for name in view.tensorNames {
            let (dtype, shape) = view.layout(of: name)!
            tensors[name] = StoredTensor(shape: shape, values: view.values(of: name), dtype: dtype)
        }
        var file = SafeTensorsFile(tensors: tensors, metadata: view.metadata)
        file.source = name
        return file
    }

    /// Converts `bytes` of `dtype` elements into `out` (`bytes.count / dtype.byteSize`
    /// floats; see `StoredTensor` for the conversions).
    static func decodeValues(_ bytes: UnsafeRawBufferPointer, dtype: SafeTensorsDType, into out: UnsafeMutableBufferPointer<Float>) {
        let count = bytes.count / dtype.byteSize
        precondition(out.count == count, "decodeValues: \(out.count) floats for \(count) elements")
        if count == 0 { return }
        func map<T: FixedWidthInteger>(_: T.Type, _ convert: (T) -> Float) {
            for i in 0..<count {
                out[i] = convert(T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)))
            }
        }
        switch dtype {
        case .f32:
            #if _endian(little)
            UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
            #else
            map(UInt32.self) { Float(bitPattern: $0) }
            #endif
        case .f16: map(UInt16.self) { float(fromHalfBits: $0) }
        case .bf16: map(UInt16.self) { float(fromBFloat16Bits: $0) }
        case .f64: map(UInt64.self) { Float(Double(bitPattern: $0)) }
        case .f8E5M2: map(UInt8.self) { float(fromF8E5M2: $0) }
        case .f8E4M3: map(UInt8.self) { float(fromF8E4M3: $0) }
        case .bool: map(UInt8.self) { $0 != 0 ? 1 : 0 }
        case .u8: map(UInt8.self) { Float($0) }
        case .i8: map(Int8.self) { Float($0) }
        case .i16: map(Int16.self) { Float($0) }
        case .u16: map(UInt16.self) { Float($0) }
        case .i32: map(Int32.self) { Float($0) }
        case .u32: map(UInt32.self) { Float($0) }
        case .i64: map(Int64.self) { Float($0) }
        case .u64: map(UInt64.self) { Float($0) }
        }
    }

    // MARK: Writing

    /// The `__metadata__` key of the optional tensor-data checksum: the CRC-32 of the data
    /// buffer as 8 lowercase hex digits, verified by `decode` whenever present.
    public static let checksumKey = "data_crc32"

    /// The file's bytes in safetensors format (layout described on the type); with
    /// `checksum`, `__metadata__` also gets `data_crc32` (any value given is replaced).
    /// Throws `IOError.invalidArgument` naming `name` and the tensor for a tensor whose
    /// values do not match its shape, whose dtype is not writable, or which is called
    /// `__metadata__`.
    public func encoded(name: String = "<memory>", checksum: Bool = false) throws -> Data {
        func invalid(_ tensor: String, _ reason: String) -> IOError {
            IOError.invalidArgument(path: name, reason: "tensor \"\(tensor)\": \(reason)")
        }
        let ordered = try tensors.map { (name: $0.key, tensor: $0.value) }
            .sorted { lhs, rhs in
                let (l, r) = (lhs.tensor.dtype.referenceRank, rhs.tensor.dtype.referenceRank)
                return l != r ? l > r : byteOrder(lhs.name, rhs.name)
            }
            .map { entry -> (name: String, tensor: StoredTensor) in
                let tensor = entry.tensor
                if entry.name == "__metadata__" { throw invalid(entry.name, "the name is reserved for metadata") }
                guard tensor.dtype.isWritable else {
                    throw invalid(entry.name, "cannot store values as \(tensor.dtype.rawValue) (use F32, F16 or BF16)")
                }
                guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                    throw invalid(entry.name, "negative dimension in shape \(tensor.shape)")
                }
                guard tensor.values.count == tensor.elementCount else {
                    throw invalid(entry.name, "\(tensor.values.count) values for shape \(tensor.shape)")
                }
                return entry
            }

        var body = Data()
        for (_, tensor) in ordered { body.append(contentsOf: encodeValues(tensor.values, dtype: tensor.dtype)) }
        var metadata = self.metadata
        metadata[Self.checksumKey] = checksum ? body.withUnsafeBytes { crc32Hex($0) } : nil

        var header: [UInt8] = [UInt8(ascii: "{")]
        var needsComma = false
        if !metadata.isEmpty {
            JSONWriter.appendString("__metadata__", to: &header)
            header.append(contentsOf: Array(":{".utf8))
            for (index, key) in metadata.keys.sorted(by: byteOrder).enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                JSONWriter.appendString(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var offset = 0
        for (tensorName, tensor) in ordered {
            if needsComma { header.append(UInt8(ascii: ",")) }
            needsComma = true
            let byteCount = tensor.elementCount * tensor.dtype.byteSize
            JSONWriter.appendString(tensorName, to: &header)
            header.append(contentsOf: Array(":{\"dtype\":".utf8))
            JSONWriter.appendString(tensor.dtype.rawValue, to: &header)
            header.append(contentsOf: Array(",\"shape\":[".utf8))
            for (index, dimension) in tensor.shape.enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                JSONWriter.appendInteger(dimension, to: &header)
            }
            header.append(contentsOf: Array("],\"data_offsets\":[".utf8))
            JSONWriter.appendInteger(offset, to: &header)
            header.append(UInt8(ascii: ","))
            JSONWriter.appendInteger(offset + byteCount, to: &header)
            header.append(contentsOf: Array("]}".utf8))
            offset += byteCount
        }
        header.append(UInt8(ascii: "}"))
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        guard header.count <= Self.maxHeaderSize else {
            throw IOError.invalidArgument(path: name, reason: "header would be \(header.count) bytes, over the \(Self.maxHeaderSize)-byte limit")
        }

        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        out.append(body)
        return out
    }

    /// Writes the file to `path` atomically (temporary file, fsync, rename; see
    /// `AtomicFile.write`): on failure `path` is unchanged and no temporary file remains.
    public func write(to path: String, checksum: Bool = false) throws {
        try AtomicFile.write(try encoded(name: path, checksum: checksum), to: path)
    }

    private func encodeValues(_ values: [Float], dtype: SafeTensorsDType) -> [UInt8] {
        let count = values.count
        switch dtype {
        case .f32:
            var out = [UInt8](repeating: 0, count: 4 * count)
            out.withUnsafeMutableBytes { dst in
                for (i, value) in values.enumerated() {
                    dst.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
            return out
        case .f16, .bf16:
            var out = [UInt8](repeating: 0, count: 2 * count)
            out.withUnsafeMutableBytes { dst in
                for (i, value) in values.enumerated() {
                    let bits = dtype == .f16 ? halfBits(from: value) : bfloat16Bits(from: value)
                    dst.storeBytes(of: bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            }
            return out
        default:
            preconditionFailure("encodeValues: \(dtype) is not writable (checked by encoded(name:))")
        }
    }
}

/// CRC-32 (zlib's) of `bytes` as 8 lowercase hex digits.
func crc32Hex(_ bytes: UnsafeRawBufferPointer) -> String {
    let hex = String(CRC32.checksum(bytes), radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
}

/// Orders strings by their UTF-8 bytes (as Rust's `str` ordering does), independent of
/// Unicode normalisation, so layouts are deterministic.
private func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}
