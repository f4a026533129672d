import Foundation
import XCTest
@testable import StyleGANIO

/// Values the fixture script stored: base + step * k at flat index k, computed in
/// double precision and rounded to the storage type (as numpy's astype does).
private func ramp(_ count: Int, base: Double, step: Double) -> [Float] {
    (0..<count).map { Float(base + step * Double($0)) }
}

final class SafeTensorsReadTests: XCTestCase {
    func testReadsThePythonFixtureExactly() throws {
        let path = Fixture.path("reference.safetensors")
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.source, path)
        XCTAssertEqual(file.tensorNames, ["conv.weight", "empty", "half", "matrix", "scalar", "vector"])

        let expected: [(String, SafeTensorsDType, [Int], [Float])] = [
            ("scalar", .f32, [], [3.5]),
            ("vector", .f32, [5], ramp(5, base: -1, step: 0.25)),
            ("matrix", .f32, [3, 4], ramp(12, base: 0.5, step: 1.5)),
            ("conv.weight", .f32, [2, 3, 3, 3], ramp(54, base: -2, step: 0.125)),
            ("empty", .f32, [0, 3], []),
            ("half", .f16, [2, 5], ramp(10, base: -1, step: 0.375)),
        ]
        for (name, dtype, shape, values) in expected {
            let tensor = try file.tensor(named: name)
            XCTAssertEqual(tensor.dtype, dtype, name)
            XCTAssertEqual(tensor.shape, shape, name)
            XCTAssertEqual(tensor.elementCount, values.count, name)
            XCTAssertEqual(tensor.values, values, name)
        }

        XCTAssertEqual(Set(file.metadata.keys), ["format", "config", "name"])
        XCTAssertEqual(file.metadata["format"], "np")
        XCTAssertEqual(file.metadata["name"], "tiny-g\u{E9}n\u{E9}rateur \u{2713}")
        let config = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as? [String: Any])
        XCTAssertEqual(config["resolution"] as? Int, 8)
        XCTAssertEqual(config["latent_size"] as? Int, 4)
        XCTAssertEqual(config["fmaps"] as? [Int], [16, 8])
        XCTAssertEqual(config["note"] as? String, "quote \" and unicode \u{E9}")
    }

    func testMissingTensorNamesFileAndTensor() throws {
        let file = try SafeTensorsFile.read(path: Fixture.path("reference.safetensors"))
        let error = assertIOError(["reference.safetensors", "mapping.fc0.weight"]) {
            try file.tensor(named: "mapping.fc0.weight")
        }
        XCTAssertEqual(error, .missingTensor(path: Fixture.path("reference.safetensors"), name: "mapping.fc0.weight"))
    }

    func testReencodingTheFixtureReadsBackEqual() throws {
        let file = try SafeTensorsFile.read(path: Fixture.path("reference.safetensors"))
        let again = try SafeTensorsFile.decode(try file.encoded())
        XCTAssertEqual(again, file)
        XCTAssertEqual(again.tensors["half"]?.dtype, .f16)
    }

    func testMissingFileAndDirectory() throws {
        let directory = try TemporaryDirectory("SafeTensorsReadTests")
        defer { directory.cleanUp() }
        let missing = directory.file("absent.safetensors")
        XCTAssertEqual(assertIOError(["absent.safetensors"]) { try SafeTensorsFile.read(path: missing) },
                       .fileNotFound(path: missing))
        XCTAssertEqual(assertIOError(["SafeTensorsReadTests-", "directory"]) { try SafeTensorsFile.read(path: directory.path) },
                       .isDirectory(path: directory.path))
    }

    /// Every dtype of the format can be read; crafted by hand because numpy has no
    /// bfloat16 or float8.
    func testReadsEveryDType() throws {
        var buffer: [UInt8] = []
        var header: [String] = []
        func add(_ name: String, _ dtype: String, _ shape: [Int], _ bytes: [UInt8]) {
            header.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(buffer.count),\(buffer.count + bytes.count)]}")
            buffer += bytes
        }
        func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
            values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        }
        add("bf16", "BF16", [3], le([UInt16(0x3F80), 0xC0A0, 0x3EAB]))  // 1, -5, 0.333984375
        add("f64", "F64", [2], le([(0.1 as Double).bitPattern, (-2.5 as Double).bitPattern]))
        add("i64", "I64", [2], le([Int64(-3), 1 << 40]))
        add("u64", "U64", [1], le([UInt64(7)]))
        add("i32", "I32", [2], le([Int32(-7), 123_456]))
        add("u32", "U32", [1], le([UInt32(4_000_000_000)]))
        add("i16", "I16", [2], le([Int16(-300), 300]))
        add("u16", "U16", [1], le([UInt16(65535)]))
        add("i8", "I8", [2], [0x80, 0x7F])
        add("u8", "U8", [2], [0, 255])
        add("bool", "BOOL", [3], [0, 1, 1])
        add("e5m2", "F8_E5M2", [3], [0x3C, 0xC0, 0x7C])  // 1, -2, inf
        add("e4m3", "F8_E4M3", [4], [0x38, 0x7E, 0x01, 0xB8])  // 1, 448, 2^-9, -1
        add("f16", "F16", [2, 1], le([UInt16(0x3C00), 0xFBFF]))  // 1, -65504
        let data = makeSafeTensors(header: "{" + header.joined(separator: ",") + "}", buffer: buffer)
        let file = try SafeTensorsFile.decode(data, name: "dtypes.safetensors")

        let expected: [String: [Float]] = [
            "bf16": [1, -5, 0.333984375], "f64": [Float(0.1 as Double), -2.5], "i64": [-3, 0x1p40],
            "u64": [7], "i32": [-7, 123_456], "u32": [4_000_000_000], "i16": [-300, 300],
            "u16": [65535], "i8": [-128, 127], "u8": [0, 255], "bool": [0, 1, 1],
            "e5m2": [1, -2, .infinity], "e4m3": [1, 448, 0x1p-9, -1], "f16": [1, -65504],
        ]
        XCTAssertEqual(Set(file.tensorNames), Set(expected.keys))
        for (name, values) in expected {
            XCTAssertEqual(file.tensors[name]?.values, values, name)
        }
        XCTAssertEqual(file.tensors["e4m3"]?.dtype, .f8E4M3)
        XCTAssertEqual(file.tensors["f16"]?.shape, [2, 1])
    }

    func testAcceptedEdgeCases() throws {
        // No tensors at all, spaces around the JSON, "__metadata__": null, unknown
        // extra fields in an entry (ignored, as the reference implementation does).
        let empty = try SafeTensorsFile.decode(makeSafeTensors(header: "  {}   ", buffer: []))
        XCTAssertEqual(empty.tensors.count, 0)
        let withNull = try SafeTensorsFile.decode(makeSafeTensors(
            header: #"{"__metadata__":null,"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":[1,{}]}}"#,
            buffer: [0, 0, 0x80, 0x3F]))
        XCTAssertEqual(withNull.metadata, [:])
        XCTAssertEqual(withNull.tensors["t"]?.values, [1])
        // Several zero-size tensors at the same offset, in any header order.
        let zeros = try SafeTensorsFile.decode(makeSafeTensors(
            header: #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"F32","shape":[2,0],"data_offsets":[4,4]}}"#,
            buffer: [0, 0, 0, 0x40]))
        XCTAssertEqual(zeros.tensorNames, ["a", "b", "c"])
        XCTAssertEqual(zeros.tensors["b"]?.values, [2])
        XCTAssertEqual(zeros.tensors["c"]?.values, [])
    }
}

/// Builds a safetensors file from a header text and a data buffer. `headerLength`
/// overrides the 8-byte length field.
func makeSafeTensors(header: String, buffer: [UInt8], headerLength: UInt64? = nil) -> Data {
    makeSafeTensors(headerBytes: Array(header.utf8), buffer: buffer, headerLength: headerLength)
}

func makeSafeTensors(headerBytes: [UInt8], buffer: [UInt8], headerLength: UInt64? = nil) -> Data {
    var data = Data()
    withUnsafeBytes(of: (headerLength ?? UInt64(headerBytes.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: headerBytes)
    data.append(contentsOf: buffer)
    return data
}

final class SafeTensorsValidationTests: XCTestCase {
    private let fileName = "bad.safetensors"
    private let fourFloats = [UInt8](repeating: 0, count: 16)

    /// Asserts decoding fails with a message naming the file and containing `fragments`.
    private func assertRejected(_ data: Data, _ fragments: [String],
                                file: StaticString = #filePath, line: UInt = #line) {
        let error = assertIOError([fileName] + fragments, file: file, line: line) {
            try SafeTensorsFile.decode(data, name: fileName)
        }
        if let error, case .invalidSafeTensors = error {} else {
            XCTFail("expected invalidSafeTensors, got \(String(describing: error))", file: file, line: line)
        }
    }

    private func entry(_ tensor: String, dtype: String = "F32", shape: String = "[4]",
                       offsets: String = "[0,16]") -> String {
        "\"\(tensor)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    private func file(_ entries: String..., buffer: [UInt8]? = nil) -> Data {
        makeSafeTensors(header: "{" + entries.joined(separator: ",") + "}", buffer: buffer ?? fourFloats)
    }

    func testValidBaselineIsAccepted() throws {
        // The helpers produce a valid file unless told otherwise.
        let ok = try SafeTensorsFile.decode(file(entry("w")), name: fileName)
        XCTAssertEqual(ok.tensors["w"]?.values, [0, 0, 0, 0])
    }

    func testFileShorterThanTheLengthField() {
        assertRejected(Data([1, 0, 0]), ["3 bytes", "too short"])
        assertRejected(Data(), ["0 bytes"])
    }

    func testHeaderLengthTooLarge() {
        assertRejected(makeSafeTensors(header: "{}", buffer: [], headerLength: 100_000_001),
                       ["100000001", "limit"])
        assertRejected(makeSafeTensors(header: "{}", buffer: [], headerLength: UInt64.max), ["limit"])
    }

    func testHeaderLengthPastEndOfFile() {
        assertRejected(makeSafeTensors(header: "{}", buffer: [], headerLength: 3), ["header length 3", "past the end"])
    }

    func testHeaderNotUTF8() {
        assertRejected(makeSafeTensors(headerBytes: Array("{\"a".utf8) + [0xFF, 0xFE] + Array("\":1}".utf8),
                                       buffer: []), ["UTF-8"])
    }

    func testHeaderNotJSON() {
        assertRejected(makeSafeTensors(header: "{\"w\": {", buffer: []), ["not valid JSON"])
        assertRejected(makeSafeTensors(header: "{} x", buffer: []), ["not valid JSON", "after"])
        assertRejected(makeSafeTensors(header: "{'w': 1}", buffer: []), ["not valid JSON"])
        assertRejected(makeSafeTensors(header: "", buffer: []), ["not valid JSON"])
        assertRejected(makeSafeTensors(header: String(repeating: "[", count: 1000), buffer: []), ["deeper"])
    }

    func testHeaderNotAnObject() {
        assertRejected(makeSafeTensors(header: "[1, 2]", buffer: []), ["an array", "expected a JSON object"])
        assertRejected(makeSafeTensors(header: "\"text\"", buffer: []), ["a string"])
    }

    func testEntryWithWrongFieldTypes() {
        assertRejected(file("\"w\":[1,2]"), ["\"w\"", "an array"])
        assertRejected(file("\"w\":{\"shape\":[4],\"data_offsets\":[0,16]}"), ["\"w\"", "missing field \"dtype\""])
        assertRejected(file("\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}"), ["\"w\"", "missing field \"shape\""])
        assertRejected(file("\"w\":{\"dtype\":\"F32\",\"shape\":[4]}"), ["\"w\"", "missing field \"data_offsets\""])
        assertRejected(file("\"w\":{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}"), ["\"w\"", "\"dtype\" is a number"])
        assertRejected(file(entry("w", shape: "4")), ["\"w\"", "\"shape\" is a number"])
        assertRejected(file(entry("w", shape: "[-4]")), ["\"w\"", "-4"])
        assertRejected(file(entry("w", shape: "[4.0]")), ["\"w\"", "4.0"])
        assertRejected(file(entry("w", shape: "[\"4\"]")), ["\"w\"", "a string"])
        assertRejected(file(entry("w", offsets: "[0,16,32]")), ["\"w\"", "3 entries"])
        assertRejected(file(entry("w", offsets: "{\"begin\":0}")), ["\"w\"", "\"data_offsets\" is an object"])
        assertRejected(file(entry("w", offsets: "[0, 1e2]")), ["\"w\"", "100.0"])
        assertRejected(file(entry("w", offsets: "[0, 99999999999999999999]")), ["\"w\""])
    }

    func testUnknownDType() {
        assertRejected(file(entry("w", dtype: "F33")), ["\"w\"", "unknown or unsupported dtype \"F33\""])
        assertRejected(file(entry("w", dtype: "float32")), ["\"w\"", "\"float32\""])
    }

    func testSizeMismatch() {
        assertRejected(file(entry("w", shape: "[5]")), ["\"w\"", "needs 20 bytes", "span 16"])
        assertRejected(file(entry("w", dtype: "F16")), ["\"w\"", "needs 8 bytes"])
        assertRejected(file(entry("w", shape: "[]")), ["\"w\"", "needs 4 bytes"])
    }

    func testShapeOverflow() {
        assertRejected(file(entry("w", shape: "[4611686018427387904, 4]")), ["\"w\"", "overflow"])
        assertRejected(file(entry("w", shape: "[2305843009213693952, 2]")), ["\"w\"", "overflow"])
    }

    func testBeginAfterEnd() {
        assertRejected(file(entry("w", shape: "[0]", offsets: "[16,0]")), ["\"w\"", "[16, 0]"])
    }

    func testOffsetsOutsideTheBuffer() {
        assertRejected(file(entry("w", offsets: "[4,20]")), ["\"w\"", "[4, 20]", "past the end", "16-byte"])
        assertRejected(file(entry("w", shape: "[8]", offsets: "[0,32]")), ["\"w\"", "past the end"])
    }

    func testOverlappingTensors() {
        assertRejected(file(entry("a", shape: "[3]", offsets: "[0,12]"), entry("b", shape: "[2]", offsets: "[8,16]")),
                       ["\"b\"", "overlap", "\"a\""])
        // Identical ranges overlap too.
        assertRejected(file(entry("a"), entry("b")), ["overlap"])
    }

    func testGapBetweenTensors() {
        assertRejected(file(entry("a", shape: "[1]", offsets: "[0,4]"), entry("b", shape: "[2]", offsets: "[8,16]")),
                       ["\"b\"", "4 unused bytes", "offset 4"])
        assertRejected(file(entry("late", shape: "[2]", offsets: "[8,16]")), ["\"late\"", "8 unused bytes"])
    }

    func testUnusedTrailingBytes() {
        assertRejected(file(entry("w", shape: "[3]", offsets: "[0,12]")), ["cover 12 bytes", "16", "4 trailing bytes"])
        assertRejected(makeSafeTensors(header: "{}", buffer: [0]), ["1 trailing bytes"])
    }

    func testDuplicateNames() {
        assertRejected(file(entry("w"), entry("w")), ["duplicate key \"w\""])
        assertRejected(makeSafeTensors(header: #"{"__metadata__":{"k":"a","k":"b"}}"#, buffer: []),
                       ["duplicate key \"k\""])
    }

    func testMetadataMustBeAStringMap() {
        assertRejected(makeSafeTensors(header: #"{"__metadata__":{"epoch":3}}"#, buffer: []),
                       ["__metadata__", "\"epoch\"", "a number", "expected a string"])
        assertRejected(makeSafeTensors(header: #"{"__metadata__":{"nested":{"a":"b"}}}"#, buffer: []),
                       ["\"nested\"", "an object"])
        assertRejected(makeSafeTensors(header: #"{"__metadata__":["a"]}"#, buffer: []),
                       ["__metadata__ is an array"])
    }

    func testMalformedFileOnDiskNamesThePath() throws {
        let directory = try TemporaryDirectory("SafeTensorsValidationTests")
        defer { directory.cleanUp() }
        let path = directory.file("broken-checkpoint.safetensors")
        try file(entry("w", shape: "[5]")).write(to: URL(fileURLWithPath: path))
        let error = assertIOError([path, "\"w\"", "needs 20 bytes"]) { try SafeTensorsFile.read(path: path) }
        XCTAssertEqual(error?.path, path)
        // Truncating a valid file by one byte breaks the buffer coverage.
        let valid = try Data(contentsOf: URL(fileURLWithPath: Fixture.path("reference.safetensors")))
        try valid.dropLast().write(to: URL(fileURLWithPath: path))
        assertIOError(["broken-checkpoint.safetensors", "past the end"]) { try SafeTensorsFile.read(path: path) }
    }
}

final class SafeTensorsWriteTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory("SafeTensorsWriteTests") }
    override func tearDown() { directory.cleanUp() }

    private func headerLength(_ data: Data) -> Int {
        Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }

    func testRoundTripWithMetadataAndHalfPrecision() throws {
        let config = #"{"resolution": 1024, "mapping_layers": 8, "label": "line\nbreak \"q\" \\ tab\t é ✓ \u{1}"}"#
        var file = SafeTensorsFile(metadata: ["config": config, "kimg": "1234.5", "": "empty key"])
        file.tensors["g.synthesis.b4.conv.weight"] = StoredTensor(shape: [3, 2, 3, 3],
                                                                  values: ramp(54, base: -1, step: 0.037))
        file.tensors["g.w_avg"] = StoredTensor(shape: [7], values: ramp(7, base: 0.1, step: -0.3))
        file.tensors["scalar"] = StoredTensor(shape: [], values: [-0.0])
        file.tensors["empty"] = StoredTensor(shape: [2, 0], values: [])
        // Exactly representable in F16 / BF16, so they survive exactly.
        file.tensors["ema.half"] = StoredTensor(shape: [2, 3], values: [1, -2, 0.5, 65504, 0x1p-24, -0.0], dtype: .f16)
        file.tensors["ema.bf16"] = StoredTensor(shape: [3], values: [1, -3.5, 0x1p100], dtype: .bf16)
        file.tensors["unicode-näme ✓"] = StoredTensor(shape: [1], values: [42])

        let path = directory.file("checkpoint.safetensors")
        try file.write(to: path)
        XCTAssertEqual(try directory.contents(), ["checkpoint.safetensors"], "no temporary files left behind")

        let back = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(back, file)
        XCTAssertEqual(back.metadata["config"], config)
        XCTAssertEqual(back.tensors["ema.half"]?.dtype, .f16)
        XCTAssertEqual(back.tensors["ema.bf16"]?.dtype, .bf16)
        XCTAssertEqual(back.tensors["scalar"]?.values.first?.sign, .minus)

        // Layout: 8-byte aligned header; F32 first, then BF16, then F16; names in
        // byte order within a dtype.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = headerLength(data)
        XCTAssertEqual(length % 8, 0)
        let headerText = String(decoding: data[8..<(8 + length)], as: UTF8.self)
        XCTAssertTrue(headerText.hasPrefix(#"{"__metadata__":{"":"empty key","config":"#), headerText)
        let order = ["empty", "g.synthesis.b4.conv.weight", "g.w_avg", "scalar", "unicode-näme ✓", "ema.bf16", "ema.half"]
        let positions = order.map { headerText.range(of: "\"\($0)\":{")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted(), "tensor order in header")
        XCTAssertEqual(data.count, 8 + length + 4 * (54 + 7 + 1 + 0 + 1) + 2 * 3 + 2 * 6)
    }

    func testNarrowingRoundsToNearestEven() throws {
        let values: [Float] = [0.1, 1 + 0x1p-11, 1 + 3 * 0x1p-11, 70000, -1e-9]
        let file = SafeTensorsFile(tensors: [
            "h": StoredTensor(shape: [5], values: values, dtype: .f16),
            "b": StoredTensor(shape: [5], values: values, dtype: .bf16),
        ])
        let back = try SafeTensorsFile.decode(try file.encoded())
        XCTAssertEqual(back.tensors["h"]?.values, [0.0999755859375, 1, 1 + 0x1p-9, .infinity, -0.0])
        XCTAssertEqual(back.tensors["b"]?.values, [0.10009765625, 1, 1, 70144, Float(bitPattern: 0xB089_0000)])
    }

    /// Byte-for-byte the outputs of the reference implementation's own unit tests
    /// (safetensors/src/tensor.rs: test_serialization, test_empty).
    func testMatchesReferenceSerializerBytes() throws {
        let attn = SafeTensorsFile(tensors: ["attn.0": StoredTensor(shape: [1, 2, 3], values: [0, 1, 2, 3, 4, 5])])
        XCTAssertEqual([UInt8](try attn.encoded()), [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ])
        XCTAssertEqual([UInt8](try SafeTensorsFile().encoded()),
                       [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        XCTAssertEqual([UInt8](try SafeTensorsFile(metadata: ["framework": "pt"]).encoded()), [
            40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32,
        ])
    }

    func testWriterRejectsInvalidTensors() throws {
        var wrongCount = StoredTensor(shape: [2, 2], values: [1, 2, 3, 4])
        wrongCount.values.removeLast()
        assertIOError(["out.safetensors", "\"w\"", "3 values for shape [2, 2]"]) {
            try SafeTensorsFile(tensors: ["w": wrongCount]).write(to: directory.file("out.safetensors"))
        }
        assertIOError(["out.safetensors", "\"i\"", "I32"]) {
            try SafeTensorsFile(tensors: ["i": StoredTensor(shape: [1], values: [1], dtype: .i32)])
                .write(to: directory.file("out.safetensors"))
        }
        assertIOError(["out.safetensors", "reserved"]) {
            try SafeTensorsFile(tensors: ["__metadata__": StoredTensor(shape: [], values: [1])])
                .write(to: directory.file("out.safetensors"))
        }
        XCTAssertEqual(try directory.contents(), [], "nothing written")
    }

    func testFailedWriteLeavesDestinationUntouched() throws {
        let path = directory.file("model.safetensors")
        let good = SafeTensorsFile(tensors: ["w": StoredTensor(shape: [2], values: [1, 2])], metadata: ["v": "1"])
        try good.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        var bad = StoredTensor(shape: [2], values: [1, 2])
        bad.shape = [3]
        assertIOError(["model.safetensors"]) { try SafeTensorsFile(tensors: ["w": bad]).write(to: path) }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try SafeTensorsFile.read(path: path), good)
        XCTAssertEqual(try directory.contents(), ["model.safetensors"])

        let missingParent = directory.file("runs/00001/model.safetensors")
        assertIOError(["runs/00001/model.safetensors", "cannot write"]) { try good.write(to: missingParent) }
    }
}
