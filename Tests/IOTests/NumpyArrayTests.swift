import Foundation
import XCTest
@testable import StyleGANIO

/// Values tools/make_numpy_fixtures.py stored: base + step * k at flat index k, computed
/// in double precision and rounded to the storage type.
private func ramp(_ count: Int, base: Double, step: Double) -> [Float] {
    (0..<count).map { Float(base + step * Double($0)) }
}

private func numpyFixture(_ name: String) -> String { Fixture.path("numpy/\(name)") }

private func fixtureBytes(_ name: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: numpyFixture(name)))
}

private let zLatents = NumpyArray(shape: [2, 4], float32: ramp(8, base: -1, step: 0.3125))
private let seeds = NumpyArray(shape: [4], int64: [0, 1, 1 << 40, -7])

/// Arrays whose `.npy` encoding must equal `np.save`'s bytes (numpy-made fixture names).
private let byteIdentical: [(String, NumpyArray)] = [
    ("f4_2x3.npy", NumpyArray(shape: [2, 3], float32: ramp(6, base: -1, step: 0.5))),
    ("f4_2x3x4.npy", NumpyArray(shape: [2, 3, 4], float32: ramp(24, base: 0.25, step: -0.125))),
    ("f4_scalar.npy", NumpyArray(shape: [], float32: [3.5])),
    ("f4_empty_0x4.npy", NumpyArray(shape: [0, 4], float32: [])),
    ("i8_seeds.npy", seeds),
]

final class NumpyArrayTests: XCTestCase {
    private var directory: TemporaryDirectory!
    override func setUpWithError() throws { directory = try TemporaryDirectory("NumpyArray") }
    override func tearDown() { directory.cleanUp() }

    // MARK: Compatibility with numpy

    func testEncodingIsByteIdenticalToNumpySave() throws {
        for (name, array) in byteIdentical {
            XCTAssertEqual(array.encoded(), try fixtureBytes(name), name)
            XCTAssertEqual(try NumpyArray.read(path: numpyFixture(name)), array, name)
        }
    }

    func testEncodedDataStartsAtAMultipleOf64() {
        for shape in [[], [7], [1, 14, 512], [123_456_789_012, 0], Array(repeating: 1, count: 64)] {
            let data = NumpyArray(shape: shape, float32: Array(repeating: 0, count: shape.reduce(1, *))).encoded()
            let headerEnd = 10 + Int(data[8]) + Int(data[9]) << 8
            XCTAssertEqual(headerEnd % 64, 0, "\(shape)")
            XCTAssertEqual(data[headerEnd - 1], 0x0A, "\(shape)")
        }
    }

    func testReadsWhatNumpyWritesForOtherDTypesAndVersions() throws {
        let f8 = try NumpyArray.read(path: numpyFixture("f8_3.npy"))
        XCTAssertEqual(f8.shape, [3])
        XCTAssertEqual(f8.floats, [Float(0.1), -2.5, Float(1e30)])
        XCTAssertEqual(try NumpyArray.read(path: numpyFixture("be_f4.npy")),
                       NumpyArray(shape: [2, 2], float32: ramp(4, base: 1, step: 0.75)))
        XCTAssertEqual(try NumpyArray.read(path: numpyFixture("f2.npy")),
                       NumpyArray(shape: [5], float32: ramp(5, base: -2, step: 0.625)))
        for name in ["v2.npy", "v3.npy"] {
            XCTAssertEqual(try NumpyArray.read(path: numpyFixture(name)),
                           NumpyArray(shape: [3, 2], float32: ramp(6, base: -1, step: 0.5)), name)
        }
        XCTAssertEqual(try NumpyArray.read(path: numpyFixture("u4_seeds.npy")).integers, [0, 123, 4_294_967_295])
        XCTAssertEqual(try NumpyArray.read(path: numpyFixture("i2.npy")).integers, [-32768, 5, 32767])
    }

    func testReadsNumpySavezArchives() throws {
        for name in ["savez.npz", "savez_compressed.npz"] {
            let archive = try NumpyArchive.read(path: numpyFixture(name))
            XCTAssertEqual(archive.names, ["z", "seeds"], name)
            XCTAssertEqual(try archive.array(named: "z"), zLatents, name)
            XCTAssertEqual(archive["seeds"], seeds, name)
            assertIOError([name, "no tensor named \"w\""]) { try archive.array(named: "w") }
        }
        let zip64 = try NumpyArchive.read(path: numpyFixture("zip64.npz"))
        XCTAssertEqual(zip64.entries, [.init(name: "z", array: zLatents)])
    }

    /// With STYLEGAN_WRITE_NUMPY_FIXTURES=<Tests/IOTests/Fixtures/numpy>, writes the ours_*
    /// files that `tools/make_numpy_fixtures.py --verify` loads with numpy. Always checks
    /// that the writer still produces the committed bytes.
    func testWritesFixturesForNumpy() throws {
        let w = NumpyArray(shape: [1, 14, 512], float32: ramp(14 * 512, base: -3, step: 0.001))
        let npy: [(String, NumpyArray)] = [
            ("ours_f4_2x3.npy", byteIdentical[0].1), ("ours_f4_2x3x4.npy", byteIdentical[1].1),
            ("ours_f4_scalar.npy", byteIdentical[2].1), ("ours_i8_seeds.npy", seeds), ("ours_w_1x14x512.npy", w),
        ]
        let archive = NumpyArchive(["z": zLatents, "seeds": seeds])
        var files = npy.map { ($0.0, $0.1.encoded()) }
        files.append(("ours_savez.npz", try archive.encoded()))
        files.append(("ours_savez_compressed.npz", try archive.encoded(compressed: true)))
        if let folder = ProcessInfo.processInfo.environment["STYLEGAN_WRITE_NUMPY_FIXTURES"] {
            for (name, data) in files { try AtomicFile.write(data, to: "\(folder)/\(name)") }
        }
        for (name, data) in files { XCTAssertEqual(data, try fixtureBytes(name), "\(name) changed") }
    }

    // MARK: Round trips

    func testRoundTripsThroughFiles() throws {
        let arrays = [
            NumpyArray(shape: [], float32: [-0.0]),
            NumpyArray(shape: [], int64: [Int64.min]),
            NumpyArray(shape: [5], float32: [1, -2, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0]),
            NumpyArray(shape: [3], int64: [Int64.max, 0, -1]),
            NumpyArray(shape: [2, 3, 4], float32: ramp(24, base: 5, step: -0.37)),
            NumpyArray(shape: [4, 0, 2], int64: []),
        ]
        for (i, array) in arrays.enumerated() {
            let path = directory.file("a\(i).npy")
            try array.write(to: path)
            XCTAssertEqual(try NumpyArray.read(path: path), array, "\(array.shape)")
        }
        let withNaN = NumpyArray(shape: [2], float32: [.nan, .infinity])
        let back = try NumpyArray.decode(withNaN.encoded(), requireFinite: false).floats!
        XCTAssertTrue(back[0].isNaN)
        XCTAssertEqual(back[1], .infinity)
        assertIOError(["<memory>", "nan", "index 0", "not a finite number"]) { try NumpyArray.decode(withNaN.encoded()) }
    }

    func testArchiveRoundTripsInOrder() throws {
        let w = NumpyArray(shape: [3, 14, 8], float32: ramp(3 * 14 * 8, base: 0, step: 0.01))
        let archive = NumpyArchive(["w": w, "seeds": seeds, "a.b": NumpyArray(shape: [], float32: [1])])
        for compressed in [false, true] {
            let path = directory.file("l\(compressed).npz")
            try archive.write(to: path, compressed: compressed)
            let back = try NumpyArchive.read(path: path)
            XCTAssertEqual(back.entries, archive.entries)
            XCTAssertEqual(back.source, path)
        }
        XCTAssertEqual(try directory.contents(), ["lfalse.npz", "ltrue.npz"], "no temporary file left behind")
        assertIOError(["x.npz", "two arrays are named \"z\""]) {
            try NumpyArchive([.init(name: "z", array: zLatents), .init(name: "z", array: seeds)]).write(to: directory.file("x.npz"))
        }
        assertIOError(["x.npz", "array name \"\""]) { try NumpyArchive(["": seeds]).write(to: directory.file("x.npz")) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("x.npz")))
    }

    // MARK: Refusals

    func testRefusesNumpyFilesItDoesNotRead() throws {
        let cases: [(String, [String])] = [
            ("fortran.npy", ["fortran_order is True"]),
            ("object.npy", ["object array"]),
            ("structured.npy", ["structured dtypes"]),
            ("c8.npy", ["unsupported dtype '<c8'"]),
            ("nan.npy", ["nan", "index 1", "not a finite number"]),
            ("inf_f8.npy", ["1e+300", "index 1", "beyond float32's range"]),
        ]
        for (name, fragments) in cases {
            assertIOError([name] + fragments) { try NumpyArray.read(path: numpyFixture(name)) }
        }
        XCTAssertEqual(try NumpyArray.read(path: numpyFixture("nan.npy"), requireFinite: false).elementCount, 3)
    }

    func testRefusesMalformedNpyBytes() throws {
        let good = byteIdentical[0].1.encoded()   // (2, 3) float32, 128-byte header
        func header(_ text: String, version: UInt8 = 1, extra: Int = 0) -> Data {
            var bytes = Data([0x93] + Array("NUMPY".utf8) + [version, 0])
            let body = Array(text.utf8) + [0x0A]
            let length = body.count + extra
            bytes.append(contentsOf: version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                                                  : (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
            return bytes + body
        }
        func dict(_ shape: String, descr: String = "<f4", fortran: String = "False") -> String {
            "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
        }
        let cases: [(Data, [String])] = [
            (Data(), ["not a .npy file"]),
            (Data("PK\u{3}\u{4}".utf8), ["not a .npy file"]),
            (good.prefix(7), ["truncated"]),
            (good.prefix(9), ["truncated"]),
            (good.prefix(100), ["truncated", "header", "runs past the end"]),
            (good.dropLast(), ["truncated", "needs 24 bytes", "has 23"]),
            (good + Data([0]), ["1 trailing bytes"]),
            (header(dict("(2,)"), version: 4) + Data(count: 8), ["unsupported .npy format version 4.0"]),
            (header(dict("(2,)"), version: 2, extra: 70_000), ["header length", "exceeds the limit of 65536"]),
            (header("garbage"), ["header is not a Python dict"]),
            (header("{'descr': '<f4', 'fortran_order': False}"), ["no 'shape'"]),
            (header(dict("(1,)") + "x"), ["unexpected text"]),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}"), ["unexpected key 'extra'"]),
            (header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"), ["'descr' given twice"]),
            (header(dict("(3)")) + Data(count: 12), ["is an integer, not a tuple"]),
            (header(dict("[3]")) + Data(count: 12), ["'shape' is not a tuple"]),
            (header(dict("(1,)", fortran: "0")) + Data(count: 4), ["not True or False"]),
            (header(dict("(4611686018427387904,)")), ["truncated", "(4611686018427387904,)", "more bytes than can be addressed"]),
            (header(dict("(2, -3)")), ["negative dimension"]),
            (header(dict("(99999999999999999999999,)")), ["too large"]),
            (header(dict("(4294967296, 4294967296)")), ["has too many elements"]),
            (header(dict("(1,)", descr: "<U4")) + Data(count: 16), ["unsupported dtype '<U4'"]),
            (header(dict("(1,)", descr: "|b1")) + Data(count: 1), ["unsupported dtype '|b1'"]),
            (header(dict("(1,)", descr: "<f+4")) + Data(count: 4), ["unsupported dtype '<f+4'"]),
            (header(dict("(1,)", descr: "<u8")) + Data(repeating: 0xFF, count: 8), ["does not fit in int64"]),
            (header(dict("(" + String(repeating: "1,", count: 65) + ")")) + Data(count: 4), ["more than 64 dimensions"]),
        ]
        for (bytes, fragments) in cases {
            assertIOError(["bad.npy"] + fragments) { try NumpyArray.decode(bytes, name: "bad.npy") }
        }
    }

    func testRefusesBadArchives() throws {
        let cases: [(String, [String])] = [
            ("not_npy_member.npz", ["entry \"readme.txt\"", "not a .npy file"]),
            ("bomb_small_declared.npz", ["entry \"big.npy\"", "inflates past its declared size of 1000 bytes"]),
            ("bomb_huge_declared.npz", ["add up to more than the limit"]),
            ("f4_2x3.npy", ["not a .npz file"]),
        ]
        for (name, fragments) in cases {
            assertIOError([name] + fragments) { try NumpyArchive.read(path: numpyFixture(name)) }
        }
        let many = NumpyArchive((0...NumpyArchive.maxEntries).map { .init(name: "a\($0)", array: seeds) })
        assertIOError(["many.npz", "more than 1024 arrays"]) { try NumpyArchive.decode(many.encoded(), name: "many.npz") }
        let nan = NumpyArchive(["z": NumpyArray(shape: [1], float32: [.nan])])
        assertIOError(["nan.npz", "entry \"z.npy\"", "not a finite number"]) { try NumpyArchive.decode(nan.encoded(), name: "nan.npz") }
        var corrupt = try zLatentsArchiveBytes()
        corrupt[corrupt.count / 4] ^= 0x40
        assertIOError(["c.npz"]) { try NumpyArchive.decode(corrupt, name: "c.npz") }
    }

    private func zLatentsArchiveBytes() throws -> Data { try NumpyArchive(["z": zLatents]).encoded() }

    func testReadsOnlyBoundedRegularFiles() throws {
        let fifo = directory.file("pipe.npy")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        assertIOError(["pipe.npy", "not a regular file"]) { try NumpyArray.read(path: fifo) }   // would block if opened
        assertIOError(["pipe.npy", "not a regular file"]) { try NumpyArchive.read(path: fifo) }
        assertIOError(["missing.npy", "no such file"]) { try NumpyArray.read(path: directory.file("missing.npy")) }

        let huge = directory.file("huge.npy")
        XCTAssertTrue(FileManager.default.createFile(atPath: huge, contents: nil))
        XCTAssertEqual(truncate(huge, off_t(NumpyArray.maxFileSize) + 1), 0)   // sparse: no disk used
        assertIOError(["huge.npy", "1073741825 bytes", "more than the limit"]) { try NumpyArray.read(path: huge) }
        assertIOError(["huge.npy", "more than the limit"]) { try NumpyArchive.read(path: huge) }
    }
}
