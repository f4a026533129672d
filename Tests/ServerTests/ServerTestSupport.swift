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

/// Requests `uri` and checks the status and a one-line JSON `{"error": "..."}` body;
/// returns the message.
@discardableResult
func assertJSONError(_ client: any TestClientProtocol, _ uri: String, _ status: HTTPResponse.Status,
                     method: HTTPRequest.Method = .get, body: ByteBuffer? = nil,
                     file: StaticString = #filePath, line: UInt = #line) async throws -> String {
    try await client.execute(uri: uri, method: method, body: body) { response in
        XCTAssertEqual(response.status, status, "\(uri): \(response.text)", file: file, line: line)
        XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", uri, file: file, line: line)
        let text = response.text
        XCTAssertEqual(text.split(separator: "\n").count, 1, "\(uri): not one line: \(text)", file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        XCTAssertEqual(object?.count, 1, "\(uri): \(text)", file: file, line: line)
        let message = object?["error"] as? String ?? ""
        XCTAssertFalse(message.isEmpty, "\(uri): \(text)", file: file, line: line)
        return message
    }
}
