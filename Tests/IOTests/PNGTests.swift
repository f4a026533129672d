import CZlib
import Foundation
import XCTest
@testable import StyleGANIO

final class PNGReadTests: XCTestCase {
    /// Checks size and every sample against `expected(x, y, c)` (an 8-bit value), exactly.
    private func check(_ name: String, width: Int, height: Int,
                       file: StaticString = #filePath, line: UInt = #line,
                       expected: (Int, Int, Int) -> Int) throws {
        let image = try PNG.read(path: Fixture.path(name))
        XCTAssertEqual(image.width, width, "\(name) width", file: file, line: line)
        XCTAssertEqual(image.height, height, "\(name) height", file: file, line: line)
        XCTAssertEqual(image.pixels.count, 3 * width * height, file: file, line: line)
        guard image.width == width, image.height == height else { return }
        var mismatches = 0
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let want = Float(expected(x, y, c)) / 255
                    let got = image[channel: c, y: y, x: x]
                    XCTAssertEqual(got, image.pixels[(c * height + y) * width + x], file: file, line: line)
                    if got != want {
                        mismatches += 1
                        if mismatches <= 5 {
                            XCTFail("\(name) (x \(x), y \(y), c \(c)): got \(got * 255)/255, want \(want * 255)/255",
                                    file: file, line: line)
                        }
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) samples differ", file: file, line: line)
    }

    func testGray8() throws {
        try check("gray8.png", width: 5, height: 3) { x, y, _ in Fixture.v8(x, y, 0) }
    }

    func testGrayAlpha8DropsAlphaWithoutCompositing() throws {
        // a8 is 0 at a third of the pixels: colour must still come back as stored.
        try check("graya8.png", width: 4, height: 7) { x, y, _ in Fixture.v8(x, y, 0) }
    }

    func testRGB8() throws {
        try check("rgb8.png", width: 5, height: 3) { x, y, c in Fixture.v8(x, y, c) }
    }

    func testRGBA8DropsAlphaWithoutCompositing() throws {
        try check("rgba8.png", width: 4, height: 7) { x, y, c in Fixture.v8(x, y, c) }
    }

    func testGray2BitIsScaledToFullRange() throws {
        try check("gray2.png", width: 5, height: 3) { x, y, _ in 85 * ((x + 2 * y) % 4) }
    }

    func testAdam7Interlaced() throws {
        try check("rgb8_adam7.png", width: 7, height: 5) { x, y, c in Fixture.v8(x, y, c) }
    }

    func testPaletteWithTRNS() throws {
        try check("palette8.png", width: 5, height: 3) { x, y, c in
            let entry = Fixture.palette[(x + 2 * y) % Fixture.palette.count]
            return [entry.0, entry.1, entry.2][c]
        }
    }

    /// 16-bit samples come back as round(v * 255 / 65535) / 255: within 0.5/255 of
    /// v / 65535, and no gamma curve applied (a linear->sRGB re-encoding would move
    /// mid-range values by up to ~0.2).
    private func check16(_ name: String, width: Int, height: Int, gray: Bool) throws {
        let image = try PNG.read(path: Fixture.path(name))
        XCTAssertEqual(image.width, width)
        XCTAssertEqual(image.height, height)
        guard image.width == width, image.height == height else { return }
        var worst: Float = 0
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let v = Fixture.v16(x, y, gray ? 0 : c)
                    let got = image[channel: c, y: y, x: x]
                    let exact = Float(v) / 65535
                    worst = max(worst, abs(got - exact))
                    XCTAssertLessThanOrEqual(abs(got - exact), 1 / 255, "\(name) (\(x), \(y), \(c))")
                    let rounded = Float((Double(v) * 255 / 65535).rounded()) / 255
                    XCTAssertEqual(got, rounded, "\(name) (\(x), \(y), \(c)) v=\(v)")
                }
            }
        }
        XCTAssertLessThanOrEqual(worst, 0.5 / 255 + 1e-6, "\(name): worst error \(worst * 255)/255")
    }

    func testGray16() throws { try check16("gray16.png", width: 5, height: 3, gray: true) }
    func testRGB16() throws { try check16("rgb16.png", width: 4, height: 7, gray: false) }
    func testRGBA16DropsAlpha() throws { try check16("rgba16.png", width: 5, height: 3, gray: false) }

    func testDecodeFromMemoryMatchesFile() throws {
        let path = Fixture.path("rgba8.png")
        let fromMemory = try PNG.decode(try Data(contentsOf: URL(fileURLWithPath: path)), name: "x")
        XCTAssertEqual(fromMemory, try PNG.read(path: path))
    }

    func testAbsurdDimensionsAreRefusedBeforeAllocating() {
        let error = assertIOError(["too_large.png", "40000 x 40000"]) {
            try PNG.read(path: Fixture.path("too_large.png"))
        }
        guard case .imageTooLarge(_, 40000, 40000, _)? = error else {
            return XCTFail("expected imageTooLarge, got \(String(describing: error))")
        }
    }
}

final class PNGErrorTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory("PNGErrorTests") }
    override func tearDown() { directory.cleanUp() }

    private func fixtureBytes(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: Fixture.path(name)))
    }

    func testMissingFile() {
        let path = directory.file("missing-image.png")
        let error = assertIOError(["missing-image.png", "no such file"]) { try PNG.read(path: path) }
        XCTAssertEqual(error, .fileNotFound(path: path))
    }

    func testDirectory() throws {
        let path = directory.file("folder.png")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let error = assertIOError(["folder.png", "directory"]) { try PNG.read(path: path) }
        XCTAssertEqual(error, .isDirectory(path: path))
    }

    func testEmptyFile() throws {
        let path = directory.file("empty.png")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertIOError(["empty.png", "empty"]) { try PNG.read(path: path) }
    }

    func testNotAPNG() throws {
        let path = directory.file("notes.png")
        try Data("this is a text file, not an image\n".utf8).write(to: URL(fileURLWithPath: path))
        assertIOError(["notes.png", "not a PNG"]) { try PNG.read(path: path) }
        // A safetensors file is not a PNG either.
        assertIOError(["reference.safetensors", "not a PNG"]) {
            try PNG.read(path: Fixture.path("reference.safetensors"))
        }
    }

    func testTruncatedFilesThrowAtEveryLength() throws {
        let bytes = try fixtureBytes("rgb8.png")
        // Cut inside the signature, IHDR, the IDAT chunk and its CRC (the last 12
        // bytes are the IEND chunk; see below).
        var cuts = Array(stride(from: 4, through: bytes.count - 13, by: 3))
        cuts.append(bytes.count - 13)
        for cut in cuts {
            let path = directory.file("truncated-\(cut).png")
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            assertIOError(["truncated-\(cut).png", "PNG"]) { try PNG.read(path: path) }
        }
    }

    func testMissingOrDamagedIENDIsTolerated() throws {
        // libpng's simplified reader stops once it has every row, so a file cut right
        // after the image data (or with a bad IEND CRC) still decodes: documented
        // behaviour, checked here so a change is noticed.
        let bytes = try fixtureBytes("rgb8.png")
        let expected = try PNG.decode(bytes)
        XCTAssertEqual(try PNG.decode(bytes.prefix(bytes.count - 12), name: "no-iend"), expected)
        var badCRC = bytes
        badCRC[bytes.count - 2] ^= 1
        XCTAssertEqual(try PNG.decode(badCRC, name: "bad-iend-crc"), expected)
    }

    func testCorruptPixelDataThrows() throws {
        var bytes = try fixtureBytes("rgb8.png")
        // Flip a byte in the middle of the IDAT payload: the chunk CRC no longer matches.
        let idat = bytes.range(of: Data("IDAT".utf8))!
        bytes[idat.upperBound + 10] ^= 0xFF
        let path = directory.file("corrupt.png")
        try bytes.write(to: URL(fileURLWithPath: path))
        assertIOError(["corrupt.png", "libpng"]) { try PNG.read(path: path) }
    }

    func testCorruptHeaderThrows() throws {
        var bytes = try fixtureBytes("gray8.png")
        bytes[16 + 8] = 7  // IHDR bit depth 7 (invalid); CRC now wrong as well
        let path = directory.file("bad-ihdr.png")
        try bytes.write(to: URL(fileURLWithPath: path))
        assertIOError(["bad-ihdr.png", "invalid PNG"]) { try PNG.read(path: path) }
    }

    func testDecodeErrorsUseTheGivenName() {
        assertIOError(["buffer-name", "not a PNG"]) { try PNG.decode(Data([1, 2, 3]), name: "buffer-name") }
    }
}

final class PNGWriteTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory("PNGWriteTests") }
    override func tearDown() { directory.cleanUp() }

    /// A 7 x 5 image with a distinct, non-round value in every sample.
    private func sampleImage() -> RGBImage {
        var image = RGBImage(width: 7, height: 5)
        for c in 0..<3 {
            for y in 0..<5 {
                for x in 0..<7 {
                    image[channel: c, y: y, x: x] = Float((x * 31 + y * 17 + c * 83) % 256) / 255 + 0.0013
                }
            }
        }
        return image
    }

    func testRoundTripIsQuantisedTo8Bits() throws {
        let image = sampleImage()
        let path = directory.file("round-trip.png")
        try PNG.write(image, to: path)
        let back = try PNG.read(path: path)
        XCTAssertEqual(back.width, 7)
        XCTAssertEqual(back.height, 5)
        for (i, value) in image.pixels.enumerated() {
            XCTAssertEqual(back.pixels[i], (value * 255).rounded() / 255, "sample \(i)")
        }
        // Quantisation error is at most half a step.
        let worst = zip(image.pixels, back.pixels).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 0.5 / 255 + 1e-6)
        XCTAssertEqual(try directory.contents(), ["round-trip.png"], "no temporary files left behind")
    }

    func testOutOfRangeValuesAreClamped() throws {
        let input: [Float] = [-0.5, 1.5, .nan, .infinity,
                              -.infinity, 0.5, 1, 0,
                              0.2, 0.4, 0.6, 0.8]
        let expected: [Float] = [0, 255, 0, 255,
                                 0, 128, 255, 0,
                                 51, 102, 153, 204].map { $0 / 255 }
        let back = try PNG.decode(try PNG.encode(RGBImage(width: 2, height: 2, pixels: input)))
        XCTAssertEqual(back.pixels, expected)
    }

    /// Noise-like samples from a fixed LCG (the least compressible input).
    private func noiseImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var state = seed
        let pixels = (0..<(3 * width * height)).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A smooth gradient (the compressible case the row filters are for).
    private func smoothImage(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    image[channel: c, y: y, x: x] = Float(x + 2 * y + 40 * c) / Float(width + 2 * height + 80)
                }
            }
        }
        return image
    }

    private func quantized(_ image: RGBImage) -> [Float] { image.pixels.map { Float(PNG.quantize($0)) / 255 } }

    /// `encode` grows its output buffer up to libpng's worst case: incompressible noise
    /// (the largest output), smooth gradients and flat images (the smallest) round-trip
    /// exactly at odd sizes.
    func testRoundTripAtOddSizes() throws {
        for (width, height) in [(1, 1), (3, 2), (3, 5), (64, 64), (97, 61), (257, 3), (257, 129)] {
            for image in [noiseImage(width: width, height: height, seed: UInt64(width * height)),
                          smoothImage(width: width, height: height),
                          RGBImage(width: width, height: height, fill: 0.5)] {
                let data = try PNG.encode(image)
                XCTAssertEqual(try PNG.decode(data).pixels, quantized(image), "\(width)x\(height)")
            }
        }
    }

    /// Same image, same bytes: twice in a row and from several threads at once.
    func testEncodingIsDeterministic() throws {
        let image = noiseImage(width: 257, height: 129, seed: 7)
        let first = try PNG.encode(image)
        XCTAssertEqual(try PNG.encode(image), first)
        let results = UnsafeSendableBox(Array<Data?>(repeating: nil, count: 4))
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            let data = try? PNG.encode(image)
            results.lock.withLock { results.value[i] = data }
        }
        XCTAssertEqual(results.value, Array(repeating: first, count: 4))
    }

    /// libpng's writer refuses widths over its limit of 1,000,000 (as the simplified
    /// writer did); the error comes back through the C wrapper as `writeFailed`.
    func testWidthOverLibpngsLimitIsRefused() {
        let error = assertIOError(["wide.png", "libpng", "IHDR"]) {
            try PNG.encode(RGBImage(width: 1_000_001, height: 1), name: "wide.png")
        }
        guard case .writeFailed? = error else { return XCTFail("expected writeFailed, got \(String(describing: error))") }
    }

    /// The output bound of the C writer holds every byte libpng may write, also for
    /// images of 4 GiB of samples or more (libpng's PNG_IMAGE_PNG_SIZE_MAX multiplies
    /// width and height in 32 bits and wraps there).
    func testOutputLimitCoversLargeImages() {
        for (width, height) in [(1, 1), (64, 64), (1024, 1024), (1_000_000, 1432), (1_000_000, 1_000_000), (715_827_882, 2_147_483_647)] {
            let filtered = (3 * width + 1) * height   // raw samples and one filter byte per row
            XCTAssertGreaterThan(PNG.outputLimit(width: width, height: height), filtered + filtered / 8, "\(width) x \(height)")
        }
    }

    /// The file read by a decoder independent of libpng (chunks and CRCs checked here,
    /// zlib's `uncompress`, the five PNG row filters undone in Swift): 8-bit RGB,
    /// non-interlaced, chunks IHDR, sRGB, IDAT..., IEND, and the quantised samples.
    func testEncodedFileIsReadByAnIndependentDecoder() throws {
        for image in [noiseImage(width: 257, height: 129, seed: 3), smoothImage(width: 257, height: 129),
                      smoothImage(width: 1, height: 1)] {
            let data = [UInt8](try PNG.encode(image))
            let decoded = try IndependentPNGReader.decode(data)
            XCTAssertEqual(decoded.chunks.first, "IHDR")
            XCTAssertEqual(decoded.chunks.last, "IEND")
            XCTAssertEqual(Set(decoded.chunks), ["IHDR", "sRGB", "IDAT", "IEND"])
            XCTAssertEqual([decoded.width, decoded.height], [image.width, image.height])
            XCTAssertEqual(decoded.rgb.count, 3 * image.width * image.height)
            let plane = image.width * image.height
            var mismatches = 0
            for i in 0..<plane {
                for c in 0..<3 where decoded.rgb[3 * i + c] != PNG.quantize(image.pixels[c * plane + i]) { mismatches += 1 }
            }
            XCTAssertEqual(mismatches, 0, "\(image.width)x\(image.height)")
        }
    }

    func testOverwriteReplacesTheFile() throws {
        let path = directory.file("image.png")
        try PNG.write(RGBImage(width: 3, height: 2, fill: 0), to: path)
        try PNG.write(RGBImage(width: 2, height: 4, fill: 1), to: path)
        let back = try PNG.read(path: path)
        XCTAssertEqual([back.width, back.height], [2, 4])
        XCTAssertEqual(Set(back.pixels), [1])
        XCTAssertEqual(try directory.contents(), ["image.png"])
    }

    func testFailedWriteLeavesDestinationUntouched() throws {
        let path = directory.file("keep.png")
        try PNG.write(sampleImage(), to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        var broken = RGBImage(width: 4, height: 4)
        broken.pixels.removeLast()  // no longer 3 x 4 x 4 samples
        assertIOError(["keep.png", "samples"]) { try PNG.write(broken, to: path) }

        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try directory.contents(), ["keep.png"])
    }

    func testRenameFailureCleansUpTheTemporaryFile() throws {
        // A non-empty directory at the destination cannot be replaced by rename(2).
        let target = directory.file("occupied.png")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Data([1]).write(to: URL(fileURLWithPath: (target as NSString).appendingPathComponent("inside")))
        assertIOError(["occupied.png", "directory"]) { try PNG.write(sampleImage(), to: target) }
        XCTAssertEqual(try directory.contents(), ["occupied.png"], "no temporary file left behind")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["inside"])
    }

    func testUnwritableLocationNamesThePath() throws {
        let path = directory.file("no-such-dir/out.png")
        assertIOError(["no-such-dir/out.png", "cannot write"]) {
            try PNG.write(sampleImage(), to: path)
        }
        XCTAssertEqual(try directory.contents(), [])
    }

    func testEmptyImageIsRejected() {
        assertIOError(["empty-out.png"]) {
            try PNG.write(RGBImage(width: 0, height: 3), to: directory.file("empty-out.png"))
        }
    }
}

/// A mutable value shared by the iterations of `concurrentPerform`, under a lock.
private final class UnsafeSendableBox<Value>: @unchecked Sendable {
    var value: Value
    let lock = NSLock()
    init(_ value: Value) { self.value = value }
}

/// A minimal 8-bit RGB, non-interlaced PNG reader that does not use libpng: every
/// chunk's CRC is checked, the IDAT data is inflated by zlib and unfiltered here.
enum IndependentPNGReader {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func decode(_ bytes: [UInt8]) throws -> (width: Int, height: Int, chunks: [String], rgb: [UInt8]) {
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Failure(description: "signature") }
        var offset = 8, chunks: [String] = [], idat: [UInt8] = [], width = 0, height = 0
        while offset + 12 <= bytes.count {
            let length = u32(offset)
            guard offset + 12 + length <= bytes.count else { throw Failure(description: "chunk past the end") }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let crc = bytes[(offset + 4)..<(offset + 8 + length)].withContiguousStorageIfAvailable {
                crc32(0, $0.baseAddress, uInt($0.count))
            }!
            guard Int(crc) == u32(offset + 8 + length) else { throw Failure(description: "CRC of \(type)") }
            let body = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            if type == "IHDR" {
                width = body[0..<4].reduce(0) { $0 << 8 | Int($1) }
                height = body[4..<8].reduce(0) { $0 << 8 | Int($1) }
                guard Array(body[8...]) == [8, 2, 0, 0, 0] else { throw Failure(description: "not 8-bit RGB, non-interlaced: \(body)") }
            }
            if type == "IDAT" { idat += body }
            chunks.append(type)
            offset += 12 + length
            if type == "IEND" { break }
        }
        guard offset == bytes.count else { throw Failure(description: "bytes after IEND") }
        let stride = 3 * width
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawCount = uLongf(raw.count)
        guard uncompress(&raw, &rawCount, idat, uLong(idat.count)) == Z_OK, Int(rawCount) == raw.count else {
            throw Failure(description: "IDAT does not inflate to \(raw.count) bytes")
        }
        // Undo the row filters (PNG spec, section 9), 3 bytes per pixel.
        var rgb = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for i in 0..<stride {
                let x = Int(raw[y * (stride + 1) + 1 + i])
                let a = i >= 3 ? Int(rgb[y * stride + i - 3]) : 0
                let b = y > 0 ? Int(rgb[(y - 1) * stride + i]) : 0
                let c = i >= 3 && y > 0 ? Int(rgb[(y - 1) * stride + i - 3]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(description: "filter type \(filter) in row \(y)")
                }
                rgb[y * stride + i] = UInt8((x + predictor) & 0xFF)
            }
        }
        return (width, height, chunks, rgb)
    }
}
