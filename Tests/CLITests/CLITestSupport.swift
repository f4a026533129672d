import Foundation
import XCTest
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// The result of running the `stylegan` binary.
struct Run { var status: Int32; var stdout: String; var stderr: String }

/// Running the built `stylegan` binary as a user would, with tiny models and images.
extension XCTestCase {
    var binary: String {
        get throws {
            let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for candidate in [dir, dir.deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent("stylegan").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            let bundle = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("stylegan").path
            guard FileManager.default.isExecutableFile(atPath: bundle) else {
                throw XCTSkip("stylegan binary not found next to the test bundle")
            }
            return bundle
        }
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try runProgram(try binary, arguments, environment: environment)
    }

    /// Runs `program` to its end and collects its output.
    func runProgram(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let (out, err) = (Pipe(), Pipe())
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// A tiny random model saved to a temp dir.
    func tinyModel(_ dir: String, withDiscriminator: Bool = false) throws -> String {
        var c = StyleGANConfig()
        c.resolution = 16; c.latentSize = 8; c.dlatentSize = 8; c.mappingFmaps = 8; c.mappingLayers = 2
        c.fmapBase = 32; c.fmapMax = 8
        let g = Generator(config: c, seed: 7)
        let noise = Tensor.randomNormal([g.params.count], seed: 8, scale: 0.3)
        g.params.flat.withMutableData { $0.baseAddress!.update(from: noise.data, count: noise.count) }
        let path = "\(dir)/tiny.safetensors"
        try ModelWeights(config: c, emaGenerator: g, discriminator: withDiscriminator ? Discriminator(config: c, seed: 9) : nil).save(to: path)
        return path
    }

    /// `count` procedural size×size PNGs in `dir` (created), pixel p of image i being
    /// (p·a + i·b) mod 256.
    func writeImages(to dir: String, count: Int, size: Int, pattern: (a: Int, b: Int)) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<count {
            var image = RGBImage(width: size, height: size)
            for p in 0..<image.pixels.count { image.pixels[p] = Float((p * pattern.a + i * pattern.b) % 256) / 255 }
            try PNG.write(image, to: "\(dir)/\(i).png")
        }
    }

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Checks a refused command: a non-zero exit (exactly `status` when given) and one
    /// `stylegan: …` line on stderr containing `fragment`.
    func assertOneLineError(_ r: Run, containing fragment: String, status: Int32? = nil, _ context: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        if let status { XCTAssertEqual(r.status, status, "\(context): \(r.stderr)", file: file, line: line) }
        XCTAssertNotEqual(r.status, 0, context, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("stylegan: ") && r.stderr.contains(fragment), "\(context): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(context): not one line: \(r.stderr)", file: file, line: line)
    }
}
