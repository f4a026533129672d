import Foundation
import XCTest
@testable import StyleGANIO

final class JPEGTests: XCTestCase {
    private func fixture(_ name: String) -> String {
        Bundle.module.bundleURL.appendingPathComponent("Fixtures/\(name)").path
    }

    func testColourAndProgressiveJPEGsDecodeCloseToTheirSource() throws {
        for name in ["jpeg_rgb.jpg", "jpeg_progressive.jpg"] {
            let image = try ImageFile.read(path: fixture(name))
            XCTAssertEqual([image.width, image.height], [12, 8], name)
            var worst: Float = 0
            for y in 0..<8 {
                for x in 0..<12 {
                    let expected = [Float(min(255, 20 * x)), Float(min(255, 30 * y)), 128].map { $0 / 255 }
                    for c in 0..<3 { worst = max(worst, abs(image[channel: c, y: y, x: x] - expected[c])) }
                }
            }
            XCTAssertLessThan(worst, 6 / 255, "\(name): JPEG error too large")
        }
    }

    func testGrayJPEGBecomesRGB() throws {
        let image = try JPEG.read(path: fixture("jpeg_gray.jpg"))
        XCTAssertEqual([image.width, image.height], [9, 5])
        XCTAssertEqual(image[channel: 0, y: 2, x: 3], image[channel: 2, y: 2, x: 3])
        XCTAssertEqual(image[channel: 1, y: 2, x: 3], Float((25 * 3 + 10 * 2) % 256) / 255, accuracy: 4 / 255)
    }

    func testBadJPEGsGiveErrorsNamingTheFile() throws {
        XCTAssertThrowsError(try ImageFile.read(path: fixture("jpeg_cmyk.jpg"))) { error in
            XCTAssertTrue("\(error)".contains("jpeg_cmyk.jpg"), "\(error)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jpeg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("jpeg_rgb.jpg")))
        for (name, bytes) in [("truncated.jpg", data.prefix(data.count / 3)), ("header-only.jpg", data.prefix(4)), ("empty.jpg", Data())] {
            let path = "\(dir)/\(name)"
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ImageFile.read(path: path), name) { XCTAssertTrue("\($0)".contains(name), "\($0)") }
        }
        let text = "\(dir)/notes.jpg"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try ImageFile.read(path: text)) { XCTAssertTrue("\($0)".contains("neither a PNG nor a JPEG")) }
    }
}

/// Large images are bounded before any pixel memory is allocated: JPEGs over the pixel
/// cap decode scaled down, PNGs over it are refused from the header.
final class LargeImageTests: XCTestCase {
    /// The fixture with its frame header (SOF) claiming `width` x `height`.
    private func jpeg(claiming width: Int, _ height: Int) throws -> Data {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixture.path("jpeg_rgb.jpg"))))
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) })
        bytes[sof + 5] = UInt8(height >> 8); bytes[sof + 6] = UInt8(height & 0xFF)
        bytes[sof + 7] = UInt8(width >> 8); bytes[sof + 8] = UInt8(width & 0xFF)
        return Data(bytes)
    }

    func testHugeJPEGIsDecodedScaledDown() throws {
        let data = try jpeg(claiming: 32768, 16384)
        let (w, h) = try JPEG.dimensions(data, name: "big.jpg")
        XCTAssertEqual([w, h], [8192, 4096], "scaled by 4, the least factor within the cap")
        XCTAssertLessThanOrEqual(w * h, PNG.maxPixelCount)
        // The pixel data is the small fixture's: a clean error, not a 3 GB allocation.
        assertIOError(["big.jpg", "JPEG"]) { try JPEG.decode(data, name: "big.jpg") }
        XCTAssertEqual(try ImageFile.dimensions(try jpeg(claiming: 64, 48), name: "small.jpg").width, 64)
    }

    func testHugePNGIsRefusedFromItsHeader() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixture.path("too_large.png")))
        assertIOError(["too_large.png", "pixels"]) { try ImageFile.dimensions(data, name: "too_large.png") }
    }
}

/// Inputs found by tools/fuzz that once made the decoders allocate gigabytes: each is now
/// refused, quickly, with the reader's own error.
final class FuzzRegressionTests: XCTestCase {
    func testFuzzFindingsAreRefusedQuickly() throws {
        for (file, fragment) in [("fuzz_png_huge_text_chunk.png", "claims 1741160458 bytes"),
                                 ("fuzz_jpeg_progressive_huge.jpg", "coefficients would need"),
                                 ("fuzz_jpeg_huge_gray.jpg", "JPEG")] {
            let started = Date()
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixture.path(file)))
            assertIOError([file, fragment]) { try ImageFile.decode(data, name: file) }
            XCTAssertLessThan(Date().timeIntervalSince(started), 2, "\(file) took too long")
        }
    }
}

/// A progressive JPEG with more scans than any real file is refused before decoding
/// (each scan is a pass over the whole coefficient buffer: thousands took minutes).
final class ScanBombTests: XCTestCase {
    func testTooManyScansAreRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixture.path("jpeg_progressive.jpg"))))
        for _ in 0..<70 { bytes += [0xFF, 0xDA] }
        assertIOError(["scans"]) { try JPEG.decode(Data(bytes), name: "bomb.jpg") }
        XCTAssertNoThrow(try JPEG.decode(try Data(contentsOf: URL(fileURLWithPath: Fixture.path("jpeg_progressive.jpg")))))
    }
}
