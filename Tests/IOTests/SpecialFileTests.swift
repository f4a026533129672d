import CZlib
import Foundation
import XCTest
@testable import StyleGANIO

/// Reads and writes touch regular files only; the tensor-data checksum catches corruption.
final class SpecialFileTests: XCTestCase {
    private var directory: TemporaryDirectory!
    override func setUpWithError() throws { directory = try TemporaryDirectory("SpecialFiles") }
    override func tearDown() { directory.cleanUp() }

    func testDevicesAndFIFOsAreRefusedWithoutBlocking() throws {
        assertIOError(["/dev/zero", "not a regular file"]) { try AtomicFile.read("/dev/zero") }
        let fifo = directory.file("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        assertIOError(["pipe", "not a regular file"]) { try AtomicFile.read(fifo) }   // would block if opened
        assertIOError(["pipe", "not a regular file"]) { try AtomicFile.map(fifo) }
        assertIOError(["/dev/zero", "not a regular file"]) { try AtomicFile.map("/dev/zero") }
        assertIOError(["pipe", "device, FIFO or socket"]) { try AtomicFile.write(Data([1]), to: fifo) }
        assertIOError(["/dev/null", "device, FIFO or socket"]) { try AtomicFile.write(Data([1]), to: "/dev/null") }
        var info = stat()
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
        assertIOError(["is a directory"]) { try AtomicFile.write(Data([1]), to: directory.path) }
    }

    func testSymlinkDestinationWritesItsTarget() throws {
        let target = directory.file("target.bin"), link = directory.file("link.bin")
        try Data([0]).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try AtomicFile.write(Data([1, 2, 3]), to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target, "the link stays a link")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), Data([1, 2, 3]))
        let dangling = directory.file("dangling.bin")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: directory.file("nowhere/x"))
        assertIOError(["dangling.bin", "target does not exist"]) { try AtomicFile.write(Data([1]), to: dangling) }
    }

    func testChecksumIsWrittenAndVerified() throws {
        let path = directory.file("m.safetensors")
        let file = SafeTensorsFile(tensors: ["w": StoredTensor(shape: [4], values: [1, 2, 3, 4])], metadata: ["k": "v"])
        try file.write(to: path, checksum: true)
        let read = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(read.metadata[SafeTensorsFile.checksumKey]?.count, 8)
        XCTAssertEqual(read.tensors, file.tensors)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        assertIOError(["m.safetensors", "checksum", "corrupted"]) { try SafeTensorsFile.read(path: path) }
        try file.write(to: path)   // without a checksum nothing is verified, as for any safetensors file
        XCTAssertNil(try SafeTensorsFile.read(path: path).metadata[SafeTensorsFile.checksumKey])
    }

    func testMappedReadsMatchPlainReads() throws {
        let path = directory.file("bytes.bin")
        let bytes = Data((0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try AtomicFile.map(path), bytes)
        let empty = directory.file("empty.bin")
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertEqual(try AtomicFile.map(empty), Data())
        assertIOError(["nowhere.bin"]) { try AtomicFile.map(directory.file("nowhere.bin")) }
        assertIOError(["is a directory"]) { try AtomicFile.map(directory.path) }
        // Replacing the file (as every writer here does: rename) leaves the mapping intact.
        let mapped = try AtomicFile.map(path)
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        XCTAssertEqual(mapped, bytes)
    }

    func testParallelChecksumEqualsTheSerialOne() {
        for count in [0, 1, CRC32.parallelMinimum * 2 - 1, CRC32.parallelMinimum * 3 + 5] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 13) }
            bytes.withUnsafeBytes { raw in
                XCTAssertEqual(CRC32.checksum(raw), CRC32.update(CRC32.initial, with: raw), "\(count) bytes")
            }
        }
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)   // the CRC-32 check value
    }

    /// libdeflate's CRC-32 against zlib's, the reference: every length up to a few of its
    /// 64-byte folding blocks, at every start offset within a vector, continued from a
    /// running value.
    func testChecksumAgreesWithZlib() {
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 11) }
        bytes.withUnsafeBytes { raw in
            for start in 0..<16 {
                for count in Array(0...300) + [1023, 1024, 1025, 4096 - 16] {
                    let part = UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)])
                    let zlib = UInt32(crc32(0, part.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(count)))
                    XCTAssertEqual(CRC32.update(CRC32.initial, with: part), zlib, "\(count) bytes from \(start)")
                    let head = UnsafeRawBufferPointer(rebasing: part[..<(count / 3)]), tail = UnsafeRawBufferPointer(rebasing: part[(count / 3)...])
                    XCTAssertEqual(CRC32.update(CRC32.update(CRC32.initial, with: head), with: tail), zlib, "\(count) bytes from \(start) in two parts")
                }
            }
        }
    }
}
