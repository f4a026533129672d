/// The element types the `.npy` reader accepts, parsed from a header's `descr` string
/// (`'<f4'`, `'>f8'`, `'|u1'`, …): the byte order, and whether elements become `Float`
/// (float16/32/64) or `Int64` (signed and unsigned integers).
struct NumpyDType: Equatable {
    enum Kind: Equatable { case float, signed, unsigned }

    var kind: Kind
    /// Bytes per element: 2, 4 or 8 for floats; 1, 2, 4 or 8 for integers.
    var size: Int
    var bigEndian: Bool

    /// Parses a `descr` string; the reason for a refusal otherwise. `|` and `=` (no or
    /// native byte order) read as little-endian, the order of every machine this runs on.
    static func parse(_ descr: String) -> Result<NumpyDType, NumpyFormatError> {
        let bytes = Array(descr.utf8)
        let unsupported = NumpyFormatError("unsupported dtype '\(descr)' (only float16, float32, float64 and integer arrays are read)")
        guard bytes.count >= 2 else { return .failure(unsupported) }
        var rest = bytes[...]
        var bigEndian = false
        switch rest.first {
        case UInt8(ascii: "<"), UInt8(ascii: "|"), UInt8(ascii: "="): rest.removeFirst()
        case UInt8(ascii: ">"): bigEndian = true; rest.removeFirst()
        default: break
        }
        guard let kindByte = rest.popFirst() else { return .failure(unsupported) }
        if kindByte == UInt8(ascii: "O") {
            return .failure(NumpyFormatError("dtype '\(descr)' is an object array (pickled Python objects), which is never read"))
        }
        let digits = !rest.isEmpty && rest.count <= 2 && rest.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let size = digits ? Int(String(decoding: rest, as: UTF8.self)) : nil
        switch (kindByte, size) {
        case (UInt8(ascii: "f"), 2?), (UInt8(ascii: "f"), 4?), (UInt8(ascii: "f"), 8?):
            return .success(NumpyDType(kind: .float, size: size!, bigEndian: bigEndian))
        case (UInt8(ascii: "i"), 1?), (UInt8(ascii: "i"), 2?), (UInt8(ascii: "i"), 4?), (UInt8(ascii: "i"), 8?):
            return .success(NumpyDType(kind: .signed, size: size!, bigEndian: bigEndian))
        case (UInt8(ascii: "u"), 1?), (UInt8(ascii: "u"), 2?), (UInt8(ascii: "u"), 4?), (UInt8(ascii: "u"), 8?):
            return .success(NumpyDType(kind: .unsigned, size: size!, bigEndian: bigEndian))
        default:
            return .failure(unsupported)
        }
    }
}

/// Why a `.npy` header or payload is refused; becomes `IOError.invalidNumpy`.
struct NumpyFormatError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The dictionary of a `.npy` header, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// Parsed as the subset of Python literal syntax numpy writes: a dict with exactly the
/// keys `descr` (a string), `fortran_order` (`True`/`False`) and `shape` (a tuple of
/// non-negative integers, one element needing its trailing comma), single- or
/// double-quoted strings without escapes, whitespace anywhere between tokens, and an
/// optional trailing comma. Anything else (a structured dtype's list, extra or repeated
/// keys, a list for the shape) is refused with the reason.
struct NumpyHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// At most as many dimensions as numpy allows.
    static let maxDimensions = 64

    static func parse(_ bytes: ArraySlice<UInt8>) throws(NumpyFormatError) -> NumpyHeader {
        var parser = Parser(bytes: bytes)
        return try parser.header()
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        var at: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            at = bytes.startIndex
        }

        func fail(_ what: String) -> NumpyFormatError {
            NumpyFormatError("header is not a Python dict of 'descr', 'fortran_order' and 'shape': \(what)")
        }

        mutating func skipSpace() {
            while at < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        /// Skips whitespace and consumes `byte` if it comes next.
        mutating func take(_ byte: Character) -> Bool {
            skipSpace()
            guard at < bytes.endIndex, bytes[at] == byte.asciiValue! else { return false }
            at += 1
            return true
        }

        mutating func expect(_ byte: Character, _ context: String) throws(NumpyFormatError) {
            guard take(byte) else { throw fail("expected '\(byte)' \(context) at byte \(at - bytes.startIndex)") }
        }

        mutating func header() throws(NumpyFormatError) -> NumpyHeader {
            try expect("{", "to open the dict")
            var descr: String?
            var fortranOrder: Bool?
            var shape: [Int]?
            while !take("}") {
                let key = try string()
                try expect(":", "after '\(key)'")
                switch key {
                case "descr":
                    guard descr == nil else { throw fail("'descr' given twice") }
                    skipSpace()
                    if at < bytes.endIndex, bytes[at] == UInt8(ascii: "[") {
                        throw NumpyFormatError("structured dtypes (a list of fields as 'descr') are not supported")
                    }
                    descr = try string()
                case "fortran_order":
                    guard fortranOrder == nil else { throw fail("'fortran_order' given twice") }
                    fortranOrder = try boolean()
                case "shape":
                    guard shape == nil else { throw fail("'shape' given twice") }
                    shape = try tuple()
                default:
                    throw fail("unexpected key '\(key)'")
                }
                if !take(",") {
                    try expect("}", "or ',' after the value of '\(key)'")
                    break
                }
            }
            skipSpace()
            guard at == bytes.endIndex else { throw fail("unexpected text after the dict") }
            guard let descr else { throw fail("no 'descr'") }
            guard let fortranOrder else { throw fail("no 'fortran_order'") }
            guard let shape else { throw fail("no 'shape'") }
            return NumpyHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
        }

        mutating func string() throws(NumpyFormatError) -> String {
            skipSpace()
            guard at < bytes.endIndex, bytes[at] == UInt8(ascii: "'") || bytes[at] == UInt8(ascii: "\"") else {
                throw fail("expected a quoted string at byte \(at - bytes.startIndex)")
            }
            let quote = bytes[at]
            at += 1
            let start = at
            while at < bytes.endIndex, bytes[at] != quote {
                guard bytes[at] >= 0x20, bytes[at] < 0x7F, bytes[at] != UInt8(ascii: "\\") else {
                    throw fail("string with an escape or a non-ASCII byte at byte \(at - bytes.startIndex)")
                }
                at += 1
            }
            guard at < bytes.endIndex else { throw fail("unterminated string") }
            at += 1
            return String(decoding: bytes[start..<(at - 1)], as: UTF8.self)
        }

        mutating func boolean() throws(NumpyFormatError) -> Bool {
            skipSpace()
            for (word, value) in [("True", true), ("False", false)] where bytes[at...].starts(with: word.utf8) {
                at += word.utf8.count
                return value
            }
            throw fail("'fortran_order' is not True or False")
        }

        mutating func tuple() throws(NumpyFormatError) -> [Int] {
            guard take("(") else { throw fail("'shape' is not a tuple") }
            var shape: [Int] = []
            var trailingComma = false
            while !take(")") {
                guard shape.count < NumpyHeader.maxDimensions else {
                    throw NumpyFormatError("shape has more than \(NumpyHeader.maxDimensions) dimensions")
                }
                shape.append(try integer())
                trailingComma = take(",")
                if !trailingComma {
                    try expect(")", "or ',' in 'shape'")
                    break
                }
            }
            guard shape.count != 1 || trailingComma else { throw fail("'shape' (n) is an integer, not a tuple (n,)") }
            return shape
        }

        /// A non-negative decimal integer that fits in `Int`.
        mutating func integer() throws(NumpyFormatError) -> Int {
            skipSpace()
            if at < bytes.endIndex, bytes[at] == UInt8(ascii: "-") {
                throw NumpyFormatError("shape has a negative dimension")
            }
            let start = at
            var value = 0
            while at < bytes.endIndex, let digit = Int(exactly: bytes[at] &- UInt8(ascii: "0")), digit < 10 {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                guard !o1, !o2 else { throw NumpyFormatError("shape has a dimension too large to represent") }
                value = sum
                at += 1
            }
            guard at > start else { throw fail("expected a dimension at byte \(at - bytes.startIndex)") }
            guard bytes[start] != UInt8(ascii: "0") || at == start + 1 else {
                throw fail("dimension with a leading zero")
            }
            return value
        }
    }
}
