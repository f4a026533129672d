import Foundation
import Hummingbird
import HummingbirdTesting
import StyleGANIO
import StyleGANModel
import StyleGANServer
import XCTest

/// A tiny random 16×16 model (6 style layers, latent 8), written to a temp dir and
/// loaded back as `stylegan serve` loads a file.
enum TinyModel {
    static func write(to dir: String) throws -> String {
        var c = StyleGANConfig()
        c.resolution = 16; c.latentSize = 8; c.dlatentSize = 8; c.mappingFmaps = 8; c.mappingLayers = 2
        c.fmapBase = 32; c.fmapMax = 8
        let g = Generator(config: c, seed: 7)   // the official initialisation: faces differ by seed
        // Noise strengths start at zero: made non-zero so `noise=random` shows.
        for (spec, t) in zip(g.params.specs, g.params.tensors) where spec.name.hasSuffix("Noise/weight") {
            t.withMutableData { $0.update(repeating: 0.5) }
        }
        var weights = ModelWeights(config: c, emaGenerator: g)
        weights.metadata["note"] = "tiny test model"
        let path = "\(dir)/tiny.safetensors"
        try weights.save(to: path)
        return path
    }

    /// The explorer of a freshly written tiny model.
    static func explorer() throws -> Explorer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let weights = try ModelWeights.load(path: try write(to: dir))
        return Explorer(generator: weights.samplingGenerator!, fileName: "tiny.safetensors", metadata: weights.metadata)
    }
}

extension TestResponse {
    var bytes: [UInt8] { body.readableBytesView.map { $0 } }
    var text: String { String(buffer: body) }
}
