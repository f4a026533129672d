import Foundation
import XCTest
@testable import StyleGANIO

/// Fixture paths and the formulas tools/make_io_fixtures.py used to write them.
enum Fixture {
    /// Absolute path of a file in Tests/IOTests/Fixtures (copied into the test bundle).
    static func path(_ name: String) -> String {
        guard let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures directory missing from the IOTests bundle")
        }
        return directory.appendingPathComponent(name).path
    }

    static func v8(_ x: Int, _ y: Int, _ c: Int) -> Int { (37 * x + 101 * y + 59 * c + 11) % 256 }
    static func a8(_ x: Int, _ y: Int) -> Int { [0, 255, (41 * x + 67 * y) % 256][(x + y) % 3] }
    static func v16(_ x: Int, _ y: Int, _ c: Int) -> Int { (7919 * x + 15331 * y + 20011 * c + 123) % 65536 }
    static func a16(_ x: Int, _ y: Int) -> Int { [0, 65535, (3001 * x + 17011 * y) % 65536][(x + y) % 3] }

    static let palette: [(Int, Int, Int)] = [
        (255, 0, 0), (0, 255, 0), (0, 0, 255), (12, 34, 56), (200, 100, 50), (1, 2, 3),
    ]
}

/// A fresh empty directory under the system temporary directory, removed by `cleanUp`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "IOTests") throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

/// Asserts that `body` throws an `IOError` whose message contains every one of
/// `fragments` (typically the file name and a word about the problem). Returns the error.
@discardableResult
func assertIOError<T>(
    _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> T
) -> IOError? {
    do {
        let value = try body()
        XCTFail("expected an IOError containing \(fragments), got \(value)", file: file, line: line)
        return nil
    } catch let error as IOError {
        let message = error.description
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment),
                          "error message \"\(message)\" does not contain \"\(fragment)\"", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected an IOError, got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}
