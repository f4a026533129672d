import Foundation
import XCTest
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// `project`, latent files in `generate`, `mix` and `interpolate`, end to end.
final class LatentCommandTests: XCTestCase {
    func testProjectWritesImagesAndALatentThatRendersTheProjection() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir, withDiscriminator: true)
        // A 24×16 photo: centre-cropped to 16×16 as training data is.
        var photo = RGBImage(width: 24, height: 16)
        for p in 0..<photo.pixels.count { photo.pixels[p] = Float(p % 97) / 96 }
        try PNG.write(photo, to: "\(dir)/photo.png")
        let r = try run(["project", "--weights", weights, "--target", "\(dir)/photo.png", "--steps", "20",
                         "--space", "wplus", "--save-every", "10", "--outdir", "\(dir)/p"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("D features"), "the file's discriminator is used: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("PSNR"), r.stdout)
        for name in ["target.png", "projected.png", "projected_w.npy", "steps/step00010.png", "steps/step00020.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/p/\(name)"), name)
        }
        let target = try PNG.read(path: "\(dir)/p/target.png")
        XCTAssertEqual([target.width, target.height], [16, 16])
        let w = try NumpyArray.read(path: "\(dir)/p/projected_w.npy")
        XCTAssertEqual(w.shape, [6, 8], "[layers, w_dim] of the 16² tiny model")
        // Rendering the latent file gives the projection up to the fitted noise maps.
        let g = try run(["generate", "--weights", weights, "--latents", "\(dir)/p/projected_w.npy", "--outdir", "\(dir)/g"])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/g/latent0000.png"))
    }

    func testSavedLatentsRenderTheSameImages() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let a = try run(["generate", "--weights", weights, "--seeds", "3,9", "--save-latents", "--outdir", "\(dir)/a"])
        XCTAssertEqual(a.status, 0, a.stderr)
        let archive = try NumpyArchive.read(path: "\(dir)/a/latents.npz")
        XCTAssertEqual(archive.names, ["seeds", "z", "w"])
        XCTAssertEqual(archive["seeds"]?.integers, [3, 9])
        XCTAssertEqual(archive["w"]?.shape, [2, 6, 8])
        var rng = NumpyRandomState(seed: 9)
        XCTAssertEqual(Array(archive["z"]!.floats![8...]), rng.gaussians(8), "z is RandomState(seed).randn")
        for (space, extra) in [("w", [String]()), ("z", ["--psi", "0.7"])] {
            let b = try run(["generate", "--weights", weights, "--latents", "\(dir)/a/latents.npz", "--latent-space", space, "--outdir", "\(dir)/\(space)"] + extra)
            XCTAssertEqual(b.status, 0, b.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a/seed0009.png")),
                           try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(space)/latent0001.png")), "\(space) latents give the seed's image")
        }
    }

    func testMixAndInterpolateTakeLatentFiles() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        XCTAssertEqual(try run(["generate", "--weights", weights, "--seeds", "5,6", "--save-latents", "--outdir", dir]).status, 0)
        let mix = try run(["mix", "--weights", weights, "--rows", "\(dir)/latents.npz,1", "--cols", "2-3", "--styles", "0-1", "--output", "\(dir)/mix.png"])
        XCTAssertEqual(mix.status, 0, mix.stderr)
        let figure = try PNG.read(path: "\(dir)/mix.png")
        XCTAssertEqual([figure.width, figure.height], [3 * 16, 4 * 16], "the file adds two rows")
        // The file's first row is seed 5's image: the mix figure's row 1, column 0.
        let seed5 = try PNG.read(path: "\(dir)/seed0005.png")
        XCTAssertEqual((0..<16).map { figure[channel: 1, y: 16 + $0, x: 3] }, (0..<16).map { seed5[channel: 1, y: $0, x: 3] })

        for mode in ["lerp", "slerp", "cubic"] {
            let walk = try run(["interpolate", "--weights", weights, "--keys", "7,\(dir)/latents.npz", "--mode", mode, "--ease", "smooth",
                                "--loop", "--frames-per-key", "3", "--outdir", "\(dir)/\(mode)"])
            XCTAssertEqual(walk.status, 0, walk.stderr)
            XCTAssertTrue(walk.stdout.contains("w-space"), "file keys walk in w: \(walk.stdout)")
            let frames = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/\(mode)").filter { $0.hasSuffix(".png") }
            XCTAssertEqual(frames.count, 9, "three keys (seed 7 and the file's two rows), looped")
        }
        // One file of two rows is a whole walk.
        let alone = try run(["interpolate", "--weights", weights, "--keys", "\(dir)/latents.npz", "--frames-per-key", "2", "--outdir", "\(dir)/alone"])
        XCTAssertEqual(alone.status, 0, alone.stderr)
        XCTAssertTrue(alone.stdout.contains("rendering 3 frames"), alone.stdout)
        // Keys at frame boundaries are the keys' own images.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/cubic/frame00003.png")),
                       try Data(contentsOf: URL(fileURLWithPath: "\(dir)/seed0005.png")))
    }

    func testBadLatentInputsGiveOneLine() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        try NumpyArray(shape: [3, 7], float32: [Float](repeating: 0, count: 21)).write(to: "\(dir)/wrong.npy")
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: "\(dir)/junk.npy"))
        try NumpyArray(shape: [6, 8], float32: [Float](repeating: .nan, count: 48)).write(to: "\(dir)/nan.npy")
        try NumpyArray(shape: [6, 8], int64: [Int64](repeating: 0, count: 48)).write(to: "\(dir)/int.npy")
        try NumpyArray(shape: [1, 6, 8], float32: [Float](repeating: 0, count: 48)).write(to: "\(dir)/one.npy")
        let cases: [([String], String)] = [
            (["generate", "--latents", "\(dir)/wrong.npy", "--outdir", "\(dir)/o"], "does not fit this model"),
            (["generate", "--latents", "\(dir)/wrong.npy", "--latent-space", "z", "--outdir", "\(dir)/o"], "does not fit this model"),
            (["generate", "--latents", "\(dir)/junk.npy", "--outdir", "\(dir)/o"], "junk.npy"),
            (["generate", "--latents", "\(dir)/nan.npy", "--outdir", "\(dir)/o"], "nan.npy"),
            (["generate", "--latents", "\(dir)/missing.npy", "--outdir", "\(dir)/o"], "missing.npy"),
            (["generate", "--seeds", "1", "--latents", "\(dir)/wrong.npy", "--outdir", "\(dir)/o"], "either --seeds or --latents"),
            (["mix", "--rows", "\(dir)/wrong.npy", "--cols", "1", "--output", "\(dir)/m.png"], "does not fit"),
            (["interpolate", "--keys", "1,\(dir)/wrong.npy", "--space", "z", "--outdir", "\(dir)/o"], "use --space w"),
            (["interpolate", "--keys", "1", "--outdir", "\(dir)/o"], "at least two"),
            (["interpolate", "--keys", "\(dir)/one.npy", "--outdir", "\(dir)/o"], "at least two"),
            (["generate", "--latents", "\(dir)/int.npy", "--outdir", "\(dir)/o"], "holds integers"),
            (["project", "--target", "\(dir)/missing.png", "--outdir", "\(dir)/o"], "missing.png"),
            (["project", "--target", "\(dir)/junk.npy", "--outdir", "\(dir)/o"], "junk.npy"),
            (["project", "--target", "\(dir)/x.png", "--steps", "0", "--outdir", "\(dir)/o"], "--steps"),
        ]
        for (arguments, fragment) in cases {
            assertOneLineError(try run(arguments + ["--weights", weights]), containing: fragment, "\(arguments)")
        }
    }
}
