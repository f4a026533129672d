import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor

/// Weights files are untrusted input: an edited config, non-finite values or corrupted
/// tensor data give one clear error naming the file, never a trap or a huge allocation.
final class HostileWeightsTests: XCTestCase {
    /// A valid tiny model file and its parsed contents.
    private func validFile() throws -> (path: String, file: SafeTensorsFile) {
        let dir = try temporaryDirectory(self)
        let config = tinyConfig()
        let g = Generator(config: config, seed: 1)
        let path = "\(dir)/model.safetensors"
        try ModelWeights(config: config, emaGenerator: g, discriminator: Discriminator(config: config, seed: 2)).save(to: path)
        return (path, try SafeTensorsFile.read(path: path))
    }

    /// The file with one config field replaced by `value` (raw JSON text).
    private func withConfigField(_ file: SafeTensorsFile, _ key: String, _ value: String, path: String) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as? [String: Any])
        object[key] = "@@"
        var json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"@@\"", with: value)
        var edited = file
        edited.metadata["config"] = json
        edited.metadata[SafeTensorsFile.checksumKey] = nil
        try edited.write(to: path)
        return path
    }

    func testEditedConfigFieldsAreRejectedBeforeAllocating() throws {
        let (path, file) = try validFile()
        let cases: [(String, String, String)] = [
            ("mappingLayers", "1000000000", "mappingLayers must be in 1…32"),
            ("latentSize", "268435456", "latentSize must be in 1…4096"),
            ("fmapBase", "65536", "expected [3, 3, 8, 8] for this config"),   // within bounds: the file does not match it
            ("fmapMax", "65536", "fmapMax must be in 1…4096"),
            ("fmapBase", "1073741824", "fmapBase must be in 1…1048576"),
            ("numChannels", "1099511627776", "numChannels must be in 1…4"),
            ("mappingFmaps", "1099511627776", "mappingFmaps must be in 1…4096"),
            ("resolution", "0", "resolution must be in 4…1024"),
            ("resolution", "-16", "resolution must be in 4…1024"),
            ("resolution", "48", "power of two"),
            ("fmapDecay", "-100", "fmapDecay must be in 0.0…4.0"),
            ("mbstdGroupSize", "0", "mbstdGroupSize must be in 1…256"),
            ("truncationPsi", "1e30", "truncationPsi"),
            ("mappingLRMul", "-1", "mappingLRMul"),
            ("resolution", "9223372036854775807", "resolution must be in 4…1024"),
            ("resolution", "\"big\"", "config JSON does not parse"),
        ]
        for (key, value, fragment) in cases {
            let edited = try withConfigField(file, key, value, path: path)
            XCTAssertThrowsError(try ModelWeights.load(path: edited), "\(key) = \(value)") { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix(edited + ": ") && message.contains(fragment), "\(key) = \(value): \(message)")
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            }
        }
    }

    func testParameterBudgetIsEnforced() {
        var c = StyleGANConfig.official(resolution: 1024)
        XCTAssertNoThrow(try c.validate(), "the official model fits")
        c.fmapMax = 4096; c.fmapBase = 1 << 20
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("over the limit"), "\($0)") }
    }

    func testNonFiniteValuesAreAnErrorNamingTheTensor() throws {
        let (path, file) = try validFile()
        var edited = file
        var t = try XCTUnwrap(edited.tensors["Gs/synthesis/8x8/Conv1/weight"])
        t.values[3] = .nan
        edited.tensors["Gs/synthesis/8x8/Conv1/weight"] = t
        try edited.write(to: path, checksum: true)
        assertThrows(try ModelWeights.load(path: path), containing: "tensor 'Gs/synthesis/8x8/Conv1/weight' holds 1 non-finite value(s)")
        let forensic = try ModelWeights.load(path: path, allowNonFinite: true)
        XCTAssertTrue(forensic.emaGenerator!.params["synthesis/8x8/Conv1/weight"].scalars.contains { $0.isNaN })
    }

    func testCorruptedTensorDataFailsTheChecksum() throws {
        let (path, _) = try validFile()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertNoThrow(try ModelWeights.load(path: path))
        bytes[bytes.count - 5] ^= 0x10   // one bit of the last tensor's data
        try bytes.write(to: URL(fileURLWithPath: path))
        assertThrows(try ModelWeights.load(path: path), containing: "the file is corrupted")
    }

    func testLoadingFillsNetworksWithoutRandomInitialisation() throws {
        let (path, _) = try validFile()
        let loaded = try XCTUnwrap(ModelWeights.load(path: path).emaGenerator)
        XCTAssertEqual(loaded.params.flat.scalars, Generator(config: tinyConfig(), seed: 1).params.flat.scalars)
        XCTAssertEqual(Generator(config: tinyConfig(), initialize: false).params.flat.scalars.allSatisfy { $0 == 0 }, true)
    }
}

/// Asserts that `body` throws an error whose message contains `fragment`.
private func assertThrows<T>(_ body: @autoclosure () throws -> T, containing fragment: String,
                             file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertTrue("\(error)".contains(fragment), "message was: \(error)", file: file, line: line)
    }
}
