import Foundation
import StyleGANIO
@testable import StyleGANModel
import StyleGANTensor
import XCTest

/// End-to-end check of tools/convert_official_pickle.py against our loader: the Python
/// test builds a tiny pickle in the official layout, converts it (G, D, Gs) and leaves the
/// result plus a few expected values in a directory; this test loads that file.
final class ConverterTests: XCTestCase {
    /// Repository root: Tests/ModelTests/ConverterTests.swift → ../../
    private static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private struct RunResult {
        var status: Int32
        var output: String
    }

    /// Runs `python3 args…` from the repository root, output captured through files
    /// (no pipe can fill up and block the child).
    private func python(_ args: [String], in dir: String) throws -> RunResult {
        let outPath = "\(dir)/python-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + args
        process.currentDirectoryURL = Self.repoRoot
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return RunResult(status: process.terminationStatus, output: output)
    }

    func testConvertedOfficialPickleLoadsAndGenerates() throws {
        let dir = try temporaryDirectory(self)
        let probe: RunResult
        do { probe = try python(["-c", "import numpy"], in: dir) } catch {
            throw XCTSkip("python3 is not available (\(error)); the converter test needs python3 with numpy")
        }
        guard probe.status == 0 else {
            throw XCTSkip("python3 with numpy is not available (\(probe.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }

        let emitDir = "\(dir)/emit"
        let run = try python(["tools/test_convert_official_pickle.py", "--emit", emitDir], in: dir)
        XCTAssertEqual(run.status, 0, "tools/test_convert_official_pickle.py failed:\n\(run.output)")
        guard run.status == 0 else { return }

        let path = "\(emitDir)/converted.safetensors"
        let expectedData = try Data(contentsOf: URL(fileURLWithPath: "\(emitDir)/expected.json"))
        let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: expectedData) as? [String: Any])

        // The loader accepts the file: every name known, every shape right.
        let weights = try ModelWeights.load(path: path)
        let config = weights.config
        XCTAssertEqual(config.resolution, 16)
        XCTAssertEqual(config.numChannels, 3)
        XCTAssertEqual(config.latentSize, 8)
        XCTAssertEqual(config.dlatentSize, 8)
        XCTAssertEqual(config.mappingFmaps, 8)
        XCTAssertEqual(config.mappingLayers, 8)
        XCTAssertEqual(config.mappingLRMul, 0.01)
        XCTAssertEqual(config.fmapBase, 32)
        XCTAssertEqual(config.fmapDecay, 1)
        XCTAssertEqual(config.fmapMax, 8)
        XCTAssertEqual(config.mbstdGroupSize, 4)
        XCTAssertEqual(config.truncationPsi, 0.7)
        XCTAssertEqual(config.truncationCutoff, 8)
        XCTAssertEqual(config.dlatentAvgBeta, 0.995)
        XCTAssertEqual(config.styleMixingProb, 0.9)
        let configJSON = try JSONSerialization.data(withJSONObject: try XCTUnwrap(expected["config"]))
        XCTAssertEqual(config, try StyleGANConfig.parse(json: String(decoding: configJSON, as: UTF8.self)))
        XCTAssertNotNil(weights.generator)
        XCTAssertNotNil(weights.emaGenerator)
        XCTAssertNotNil(weights.discriminator)
        XCTAssertTrue(weights.extraTensors.isEmpty)
        XCTAssertEqual(weights.metadata["source"], "tiny-official.pkl")

        // Raw stored values and shapes, as the Python side wrote them.
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.tensors.count, expected["tensorCount"] as? Int)
        XCTAssertFalse(file.tensors.keys.contains { $0.hasSuffix("/lod") })
        let tensors = try XCTUnwrap(expected["tensors"] as? [String: [String: Any]])
        XCTAssertFalse(tensors.isEmpty)
        for (name, entry) in tensors.sorted(by: { $0.key < $1.key }) {
            let stored = try XCTUnwrap(file.tensors[name], "missing \(name)")
            XCTAssertEqual(stored.dtype, .f32, name)
            XCTAssertEqual(stored.shape, try XCTUnwrap(entry["shape"] as? [Int]), name)
            let first = try XCTUnwrap(entry["first"] as? [Double]).map { Float($0) }
            XCTAssertEqual(Array(stored.values.prefix(first.count)), first, name)
        }

        // The loader permuted conv weights to the run-time layout [out, in, kh, kw].
        let g = try XCTUnwrap(weights.samplingGenerator)
        let storedConv = try XCTUnwrap(file.tensors["Gs/synthesis/4x4/Conv/weight"])      // [3, 3, in, out]
        let runtimeConv = g.params["synthesis/4x4/Conv/weight"]                             // [out, in, 3, 3]
        XCTAssertEqual(runtimeConv.shape, [8, 8, 3, 3])
        let (cin, cout) = (storedConv.shape[2], storedConv.shape[3])
        for (o, i, ky, kx) in [(0, 0, 0, 0), (1, 2, 0, 2), (7, 5, 2, 1)] {
            XCTAssertEqual(runtimeConv.scalars[((o * cin + i) * 3 + ky) * 3 + kx],
                           storedConv.values[((ky * 3 + kx) * cin + i) * cout + o])
        }
        XCTAssertEqual(g.dlatentAvg.scalars, try XCTUnwrap(file.tensors["Gs/dlatent_avg"]).values)
        XCTAssertEqual(weights.discriminator!.params["4x4/Conv/weight"].shape, [8, 9, 3, 3])

        // And the generator runs.
        let z = Tensor.randomNormal([1, config.latentSize], seed: 1)
        let image = g.generate(z, psi: 0.7)
        XCTAssertEqual(image.shape, [1, 3, 16, 16])
        XCTAssertTrue(image.scalars.allSatisfy { $0.isFinite })
    }
}
