import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANTensor
@testable import StyleGANTraining

final class DatasetTests: XCTestCase {
    func testMixedFolderIsCroppedResizedAndBadFilesSkipped() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: "\(dir)/sub", withIntermediateDirectories: true)
        // A wide image: the centre square is a red block on green.
        var wide = RGBImage(width: 24, height: 8)
        for y in 0..<8 { for x in 0..<24 { wide[channel: x >= 8 && x < 16 ? 0 : 1, y: y, x: x] = 1 } }
        try PNG.write(wide, to: "\(dir)/wide.png")
        try PNG.write(syntheticImage(size: 16, seed: 1), to: "\(dir)/sub/nested.png")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: "\(dir)/broken.png"))
        let good = try PNG.encode(syntheticImage(size: 8, seed: 2))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: "\(dir)/truncated.png"))
        try Data().write(to: URL(fileURLWithPath: "\(dir)/empty.jpg"))
        try Data("ignored".utf8).write(to: URL(fileURLWithPath: "\(dir)/notes.txt"))

        let d = try ImageDataset(directory: dir, resolution: 8)
        XCTAssertEqual(d.count, 2)
        XCTAssertEqual(Set(d.skipped.map { ($0.path as NSString).lastPathComponent }), ["broken.png", "truncated.png", "empty.jpg"])
        XCTAssertTrue(d.skipped.allSatisfy { !$0.reason.isEmpty })
        // Sorted order: sub/nested.png, wide.png → index 1 is the cropped wide image: all red.
        let x = d.batch(indices: [1], mirror: [false], resolution: 8)
        XCTAssertEqual(x.shape, [1, 3, 8, 8])
        XCTAssertEqual(Array(x.scalars[0..<64]), [Float](repeating: 1, count: 64), "red channel of the centre crop")
        XCTAssertEqual(Array(x.scalars[64..<128]), [Float](repeating: -1, count: 64), "green channel")
        // Pyramid levels are box averages; mirroring flips columns.
        let low = d.batch(indices: [0], mirror: [false], resolution: 4)
        XCTAssertEqual(low.shape, [1, 3, 4, 4])
        let a = d.batch(indices: [0], mirror: [false], resolution: 8).scalars, m = d.batch(indices: [0], mirror: [true], resolution: 8).scalars
        XCTAssertEqual(a[3], m[4])
    }

    func testFolderWithoutUsableImagesIsAnErrorUpFront() throws {
        let dir = try temporaryDirectory(self)
        assertThrows(try ImageDataset(directory: dir, resolution: 8), containing: "no PNG or JPEG")
        try Data("x".utf8).write(to: URL(fileURLWithPath: "\(dir)/a.png"))
        assertThrows(try ImageDataset(directory: dir, resolution: 8), containing: "none of the 1 image files")
        assertThrows(try ImageDataset(directory: "\(dir)/missing", resolution: 8), containing: "no such directory")
    }

    func testResizeFilters() {
        let img = syntheticImage(size: 30, seed: 3)
        let down = ImageResize.resize(img, to: 8)         // Lanczos (30 is not a multiple of 8)
        XCTAssertEqual([down.width, down.height], [8, 8])
        XCTAssertTrue(down.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        var flat = RGBImage(width: 12, height: 12, fill: 0.25)
        flat[channel: 2, y: 0, x: 0] = 0.25
        XCTAssertTrue(ImageResize.resize(flat, to: 5).pixels.allSatisfy { abs($0 - 0.25) < 1e-5 }, "a constant image stays constant")
        let box = ImageResize.resize(syntheticImage(size: 16, seed: 4), to: 8)  // exact 2×2 box
        let src = syntheticImage(size: 16, seed: 4)
        XCTAssertEqual(box[channel: 1, y: 2, x: 3], (src[channel: 1, y: 4, x: 6] + src[channel: 1, y: 4, x: 7] + src[channel: 1, y: 5, x: 6] + src[channel: 1, y: 5, x: 7]) / 4, accuracy: 1e-6)
    }
}

/// Decoding shares one memory budget; unusable images are skipped and counted.
final class DatasetLimitTests: XCTestCase {
    func testBudgetRefusesWhatCanNeverFitAndWaitsForTheRest() {
        let budget = DecodeBudget(bytes: 100)
        XCTAssertFalse(budget.acquire(101))
        XCTAssertTrue(budget.acquire(60))
        let released = expectation(description: "the second acquire waits for the release")
        DispatchQueue.global().async {
            XCTAssertTrue(budget.acquire(60))
            released.fulfill()
            budget.release(60)
        }
        Thread.sleep(forTimeInterval: 0.05)
        budget.release(60)
        wait(for: [released], timeout: 5)
    }

    func testOversizedAndBrokenFilesAreSkippedAndCounted() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 3, size: 8)
        // A PNG whose header claims 16384 x 16384 (over the pixel cap) and a stray text file.
        var png = [UInt8](try PNG.encode(RGBImage(width: 8, height: 8)))
        png[16...23] = [0, 0, 0x40, 0, 0, 0, 0x40, 0][...]
        let crc = crc32(png[12..<29])   // IHDR type + data
        png[29...32] = [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)][...]
        try Data(png).write(to: URL(fileURLWithPath: "\(dir)/huge.png"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: "\(dir)/notes.jpg"))
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        XCTAssertEqual(dataset.count, 3)
        XCTAssertEqual(dataset.skipped.count, 2)
        XCTAssertTrue(dataset.skipped.contains { $0.path.hasSuffix("huge.png") && $0.reason.contains("pixels") }, "\(dataset.skipped)")
    }
}

/// CRC-32 (PNG's), bit by bit.
private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
