import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor

final class WeightsFileTests: XCTestCase {
    func testRoundTripKeepsNetworksAndOutputs() throws {
        let dir = try temporaryDirectory(self)
        let config = tinyConfig()
        let g = Generator(config: config, seed: 1)
        randomize(g.params, seed: 2)
        g.dlatentAvg = Tensor.randomNormal([config.dlatentSize], seed: 3)
        let d = Discriminator(config: config, seed: 4)
        var weights = ModelWeights(config: config, generator: g, emaGenerator: Generator(copying: g), discriminator: d)
        weights.metadata["note"] = "hello"
        let path = "\(dir)/model.safetensors"
        try weights.save(to: path)

        let loaded = try ModelWeights.load(path: path)
        XCTAssertEqual(loaded.config, config)
        XCTAssertEqual(loaded.metadata["note"], "hello")
        XCTAssertEqual(loaded.generator?.params.flat.scalars, g.params.flat.scalars)
        XCTAssertEqual(loaded.discriminator?.params.flat.scalars, d.params.flat.scalars)
        XCTAssertEqual(loaded.emaGenerator?.dlatentAvg.scalars, g.dlatentAvg.scalars)
        let z = Tensor.randomNormal([2, config.latentSize], seed: 5)
        XCTAssertEqual(loaded.samplingGenerator!.generate(z, psi: 0.7).scalars, g.generate(z, psi: 0.7).scalars)

        // Conv weights are stored in the official [kh, kw, in, out] layout.
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.tensors["G/synthesis/4x4/Conv/weight"]?.shape, [3, 3, 8, 8])
        XCTAssertEqual(file.tensors["D/FromRGB_lod0/weight"]?.shape, [1, 1, 3, config.nf(3)])
        let runtime = g.params["synthesis/8x8/Conv0_up/weight"]                         // [out, in, 3, 3]
        let stored = file.tensors["G/synthesis/8x8/Conv0_up/weight"]!                   // [3, 3, in, out]
        let (o, i, ky, kx) = (1, 2, 0, 2)
        let (cin, cout) = (runtime.shape[1], runtime.shape[0])
        XCTAssertEqual(runtime.scalars[((o * cin + i) * 3 + ky) * 3 + kx], stored.values[((ky * 3 + kx) * cin + i) * cout + o])
    }

    func testFloat16StorageLoadsBackWithinHalfPrecision() throws {
        let dir = try temporaryDirectory(self)
        let config = tinyConfig()
        let g = Generator(config: config, seed: 1)
        randomize(g.params, seed: 2)
        let path = "\(dir)/half.safetensors"
        try ModelWeights(config: config, emaGenerator: g).save(to: path, storage: .f16)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.tensors["Gs/mapping/Dense0/weight"]?.dtype, .f16)
        let loaded = try XCTUnwrap(ModelWeights.load(path: path).emaGenerator)
        for (a, b) in zip(loaded.params.flat.scalars, g.params.flat.scalars) {
            XCTAssertEqual(a, b, accuracy: max(abs(b) * 1e-3, 1e-6))
        }
    }

    func testBadFilesGiveErrorsNamingTheProblem() throws {
        let dir = try temporaryDirectory(self)
        let config = tinyConfig()
        let path = "\(dir)/model.safetensors"
        try ModelWeights(config: config, emaGenerator: Generator(config: config)).save(to: path)
        var file = try SafeTensorsFile.read(path: path)

        func expectError(_ mutate: (inout SafeTensorsFile) -> Void, _ fragment: String, line: UInt = #line) throws {
            var f = file
            mutate(&f)
            let bad = "\(dir)/bad.safetensors"
            try f.write(to: bad)
            XCTAssertThrowsError(try ModelWeights.load(path: bad), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("bad.safetensors") && text.contains(fragment), "message: \(text)", line: line)
            }
        }
        try expectError({ $0.tensors["Gs/mapping/Dense0/bias"] = nil }, "missing tensor 'Gs/mapping/Dense0/bias'")
        try expectError({ $0.tensors["Gs/synthesis/4x4/Conv/weight"] = StoredTensor(shape: [9], values: [Float](repeating: 0, count: 9)) }, "has shape [9]")
        try expectError({ $0.tensors["Gs/synthesis/4x4/Extra"] = StoredTensor(shape: [1], values: [0]) }, "unknown tensor 'Gs/synthesis/4x4/Extra'")
        try expectError({ $0.metadata["format"] = nil }, "not a stylegan-swift weights file")
        try expectError({ $0.metadata["config"] = "{\"resolution\": 48}" }, "resolution must be a power of two")
        try expectError({ $0.tensors = [:] }, "holds no network")
        try expectError({ $0.metadata["lod"] = "-1" }, "metadata lod '-1' is not a number in [0, 2]")
        try expectError({ $0.metadata["lod"] = "nan" }, "metadata lod 'nan'")
        try expectError({ $0.metadata["lod"] = "one" }, "metadata lod 'one'")
        file.metadata["config"] = "not json"
        try expectError({ _ in }, "config JSON does not parse")

        XCTAssertThrowsError(try ModelWeights.load(path: "\(dir)/missing.safetensors")) { XCTAssertTrue("\($0)".contains("missing.safetensors")) }
        let garbage = "\(dir)/garbage.safetensors"
        try Data("definitely not safetensors".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try ModelWeights.load(path: garbage)) { XCTAssertTrue("\($0)".contains("garbage.safetensors")) }
    }
}
