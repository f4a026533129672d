import Foundation

/// An n-dimensional array as NumPy stores it in a `.npy` file: a shape (row-major, C
/// order; `[]` is a 0-d scalar) and float32 or int64 values. Latent vectors (`z`,
/// `w`) are float32 arrays; seeds are int64.
///
/// Writing produces format version 1.0 exactly as `np.save` does (same header text and
/// padding, data starting at a multiple of 64 bytes; dtype `<f4` or `<i8`), so the bytes
/// equal numpy's for the same array.
///
/// Reading accepts what numpy writes for the types latents and seeds come in: format
/// versions 1.0, 2.0 and 3.0; float16, float32 and float64 in either byte order
/// (converted to `Float`; float64 is numpy's default), and 8- to 64-bit signed or
/// unsigned integers (to `Int64`). Everything else is refused with one line naming the
/// file: a bad magic string or version, a header that is not the dict numpy writes,
/// `fortran_order: True`, object, structured and other dtypes, a data size other than
/// the shape's element count times the item size, a file over `maxFileSize`, and (with
/// `requireFinite`) NaN and infinite floats or float64 values beyond float32's range.
/// The header's shape is checked against the file's size before anything is allocated.
public struct NumpyArray: Sendable, Equatable {
    /// The elements, in row-major order.
    public enum Values: Sendable, Equatable {
        /// Floating-point elements; `.npy` dtype `<f4` when written.
        case float32([Float])
        /// Integer elements; `.npy` dtype `<i8` when written.
        case int64([Int64])

        /// Number of elements.
        public var count: Int {
            switch self {
            case let .float32(values): return values.count
            case let .int64(values): return values.count
            }
        }
    }

    /// Largest file `read(path:)` accepts: 1 GiB.
    public static let maxFileSize = 1 << 30
    /// Largest header `decode` accepts (numpy itself refuses headers over 10,000 bytes
    /// unless told otherwise).
    public static let maxHeaderSize = 64 * 1024

    /// Dimensions, outermost first. `[]` is a scalar (one element); a zero anywhere
    /// means no elements.
    public let shape: [Int]
    /// The elements; `values.count` is the product of `shape`.
    public let values: Values

    /// A float32 array. Requires non-negative dimensions and
    /// `values.count == shape.reduce(1, *)`.
    public init(shape: [Int], float32 values: [Float]) {
        self.init(shape: shape, values: .float32(values))
    }

    /// An int64 array. Requires non-negative dimensions and
    /// `values.count == shape.reduce(1, *)`.
    public init(shape: [Int], int64 values: [Int64]) {
        self.init(shape: shape, values: .int64(values))
    }

    /// An array of either type; the same requirements.
    public init(shape: [Int], values: Values) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NumpyArray: negative dimension in \(shape)")
        precondition(values.count == shape.reduce(1, *), "NumpyArray: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Number of elements (product of `shape`; 1 for a scalar).
    public var elementCount: Int { values.count }

    /// The elements of a float array; nil for an integer one.
    public var floats: [Float]? {
        if case let .float32(values) = values { return values }
        return nil
    }

    /// The elements of an integer array; nil for a float one.
    public var integers: [Int64]? {
        if case let .int64(values) = values { return values }
        return nil
    }

    /// The shape as Python prints it: `()`, `(3,)`, `(2, 3)`.
    public var shapeDescription: String { Self.pythonTuple(shape) }

    // MARK: Writing

    /// The `.npy` bytes `np.save` writes for this array (format 1.0; 2.0 only if the
    /// header would not fit in 1.0's 16-bit length, which takes thousands of dimensions).
    public func encoded() -> Data {
        let descr: String
        switch values {
        case .float32: descr = "<f4"
        case .int64: descr = "<i8"
        }
        // numpy's _write_array_header: keys sorted, then room for the first dimension to
        // grow to 21 digits, then spaces and a newline to align the data to 64 bytes.
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeDescription), }"
        if let first = shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        // numpy's _wrap_header pads with 1 to 64 spaces (64 when already aligned).
        let headerLength = header.utf8.count + 1
        let version: UInt8 = headerLength + 64 - (10 + headerLength) % 64 <= 65535 ? 1 : 2
        let prefixLength = version == 1 ? 10 : 12
        let padding = 64 - (prefixLength + headerLength) % 64
        let total = prefixLength + headerLength + padding

        var out = Data(capacity: total + values.count * 8)
        out.append(contentsOf: [0x93] + Array("NUMPY".utf8) + [version, 0])
        if version == 1 {
            out.append(contentsOf: [UInt8((total - 10) & 0xFF), UInt8((total - 10) >> 8)])
        } else {
            let length = UInt32(total - 12)
            out.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        out.append(0x0A)
        switch values {
        case let .float32(floats):
            for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case let .int64(integers):
            for value in integers { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }

    /// Writes `encoded()` to `path` atomically (`AtomicFile.write`; `-` is standard
    /// output). Errors are `IOError.writeFailed` naming `path`.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }

    // MARK: Reading

    /// Reads the `.npy` file at `path` (a regular file of at most `maxFileSize` bytes).
    /// With `requireFinite` (the default) float arrays holding NaN or infinity are
    /// refused. Errors are `IOError`s naming `path`.
    public static func read(path: String, requireFinite: Bool = true) throws -> NumpyArray {
        try decode(try AtomicFile.read(path, maxBytes: maxFileSize), name: path, requireFinite: requireFinite)
    }

    /// Decodes `.npy` bytes; `name` (a path, or a label for a buffer) goes into errors.
    public static func decode(_ data: Data, name: String = "<memory>", requireFinite: Bool = true) throws -> NumpyArray {
        do {
            return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(NumpyFormatError) in
                try decode(raw, requireFinite: requireFinite)
            }
        } catch let error as NumpyFormatError {
            throw IOError.invalidNumpy(path: name, entry: nil, reason: error.reason)
        }
    }

    /// The checks and conversion; every refusal is a `NumpyFormatError`.
    static func decode(_ raw: UnsafeRawBufferPointer, requireFinite: Bool) throws(NumpyFormatError) -> NumpyArray {
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard raw.count >= 6, raw.prefix(6).elementsEqual(magic) else {
            throw NumpyFormatError("not a .npy file (it does not start with \\x93NUMPY)")
        }
        guard raw.count >= 8 else { throw NumpyFormatError("truncated: the file ends inside the format version") }
        let (major, minor) = (raw[6], raw[7])
        guard (1...3).contains(major), minor == 0 else {
            throw NumpyFormatError("unsupported .npy format version \(major).\(minor) (1.0, 2.0 and 3.0 are read)")
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard raw.count >= 8 + lengthBytes else { throw NumpyFormatError("truncated: the file ends inside the header length") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(raw[8 + $1]) << (8 * $1) }
        guard headerLength <= maxHeaderSize else {
            throw NumpyFormatError("header length \(headerLength) bytes exceeds the limit of \(maxHeaderSize)")
        }
        let dataStart = 8 + lengthBytes + headerLength
        guard dataStart <= raw.count else {
            throw NumpyFormatError("truncated: the \(headerLength)-byte header runs past the end of the \(raw.count)-byte file")
        }
        let header = try NumpyHeader.parse(Array(raw[(8 + lengthBytes)..<dataStart])[...])
        let dtype = try NumpyDType.parse(header.descr).get()
        guard !header.fortranOrder else {
            throw NumpyFormatError("fortran_order is True (column-major data); save a C-order array (np.ascontiguousarray)")
        }

        let shapeText = pythonTuple(header.shape)
        var count = 1
        for dimension in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw NumpyFormatError("shape \(shapeText) has too many elements") }
            count = product
        }
        let available = raw.count - dataStart
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, needed <= available else {
            throw NumpyFormatError("truncated: shape \(shapeText) of '\(header.descr)' needs "
                + (overflow ? "more bytes than can be addressed" : "\(needed) bytes of data")
                + ", the file has \(available)")
        }
        guard needed == available else {
            throw NumpyFormatError("\(available - needed) trailing bytes after the \(needed) bytes of data of shape \(shapeText)")
        }

        let payload = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
        let values = try NumpyArray.values(payload, count: count, dtype: dtype, requireFinite: requireFinite)
        return NumpyArray(shape: header.shape, values: values)
    }

    /// Converts `count` elements of `dtype` (the caller checked the byte count).
    private static func values(_ payload: UnsafeRawBufferPointer, count: Int, dtype: NumpyDType,
                               requireFinite: Bool) throws(NumpyFormatError) -> Values {
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let raw = payload.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return dtype.bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
        }
        switch dtype.kind {
        case .float:
            var floats = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let value: Float
                switch dtype.size {
                case 2: value = float(fromHalfBits: load(UInt16.self, i))
                case 4: value = Float(bitPattern: load(UInt32.self, i))
                default:
                    let double = Double(bitPattern: load(UInt64.self, i))
                    value = Float(double)
                    if requireFinite, double.isFinite, !value.isFinite {
                        throw NumpyFormatError("value \(double) at index \(i) is beyond float32's range")
                    }
                }
                if requireFinite, !value.isFinite {
                    throw NumpyFormatError("value \(value) at index \(i) is not a finite number")
                }
                floats[i] = value
            }
            return .float32(floats)
        case .signed, .unsigned:
            var integers = [Int64](repeating: 0, count: count)
            for i in 0..<count {
                switch (dtype.kind, dtype.size) {
                case (.signed, 1): integers[i] = Int64(Int8(bitPattern: payload[i]))
                case (.signed, 2): integers[i] = Int64(Int16(bitPattern: load(UInt16.self, i)))
                case (.signed, 4): integers[i] = Int64(Int32(bitPattern: load(UInt32.self, i)))
                case (.signed, _): integers[i] = Int64(bitPattern: load(UInt64.self, i))
                case (_, 1): integers[i] = Int64(payload[i])
                case (_, 2): integers[i] = Int64(load(UInt16.self, i))
                case (_, 4): integers[i] = Int64(load(UInt32.self, i))
                default:
                    let value = load(UInt64.self, i)
                    guard let exact = Int64(exactly: value) else {
                        throw NumpyFormatError("value \(value) at index \(i) does not fit in int64")
                    }
                    integers[i] = exact
                }
            }
            return .int64(integers)
        }
    }

    static func pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
