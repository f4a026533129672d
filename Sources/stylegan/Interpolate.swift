import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// `stylegan interpolate`: a latent walk through seeds and latent files as numbered PNG frames.
struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a smooth walk through keyframes (seeds and latent files) as numbered PNG frames.",
        discussion: """
        Examples:
          stylegan interpolate --keys 1,5,9 --frames-per-key 60 --outdir frames/
          stylegan interpolate --keys 3,proj/projected_w.npy,17 --mode cubic --loop --outdir frames/
          stylegan interpolate --keys 3,4 --space w --mode lerp --ease smooth --outdir frames/
        Frames are frame00000.png, frame00001.png, …; noise stays fixed across frames.
        Keys from files are w, so a walk through files runs in w (the default then).
        cubic is a Catmull-Rom curve through the keys (closed with --loop); --ease smooth
        slows down at every key.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(name: [.customLong("keys"), .customLong("seeds")], help: "Keyframes in order (at least 2): seeds and .npy/.npz files of w, e.g. 1,face.npy,9.", transform: LatentKeys.parse) var keys: [LatentSource]
    @Option(name: [.customLong("frames-per-key"), .customLong("frames-per-seed")], help: "Frames from one key to the next.") var framesPerKey = 60
    @Option(help: "Interpolate in z (input latents, seeds only) or w (mapped latents). Default: z for seeds only, w when a key is a file.") var space: LatentSpace?
    @Option(help: "lerp (straight), slerp (spherical) or cubic (Catmull-Rom through the keys).") var mode: LatentInterpolation = .slerp
    @Option(help: "linear (constant speed) or smooth (slow in and out at each key).") var ease: LatentEasing = .linear
    @Flag(help: "Return to the first key at the end (a seamless loop).") var loop = false
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Frames per forward pass (default: the most that fit about 1 GiB of activations while batching still pays, 1–16).") var batch: Int?
    @Option(help: "Frame rate in the printed ffmpeg command.") var fps = 30
    @Flag(help: "Write all frames side by side into one strip.png instead of numbered frames.") var strip = false
    @Option(help: "Output directory.") var outdir: String
    @OptionGroup var global: GlobalOptions

    /// Most frames one walk may have (a 9-hour video at 30 fps).
    static let maxFrames = 1_000_000

    func validate() throws {
        guard (1...100_000).contains(framesPerKey) else { throw ValidationError("--frames-per-key must be in 1…100000") }
        guard (1...1024).contains(batch ?? 1), (1...1000).contains(fps) else { throw ValidationError("--batch must be in 1…1024 and --fps in 1…1000") }
        let hasFile = keys.contains { if case .file = $0 { return true } else { return false } }
        if hasFile && space == .z { throw ValidationError("latent files hold w: use --space w with file keys") }
        // Files hold at least one latent each (a file alone may hold a whole walk), so the
        // count is known for seeds-only walks and checked once the files are read otherwise.
        if !hasFile || keys.count >= 2 { try Self.checkFrames(keys: keys.count, framesPerKey: framesPerKey, loop: loop) }
    }

    static func checkFrames(keys count: Int, framesPerKey: Int, loop: Bool) throws {
        guard count >= 2 else { throw ValidationError("--keys needs at least two keyframes, got \(count)") }
        let frames = (loop ? count : count - 1) * framesPerKey + (loop ? 0 : 1)
        guard frames <= maxFrames else {
            throw ValidationError("the walk would have \(frames) frames, over the limit of \(maxFrames): use fewer keys or --frames-per-key")
        }
    }

    func run() throws {
        try OutputDirectory.prepare(outdir)
        let (g, path) = try model.loadGenerator()
        g.freeze()   // every frame renders with the same weights
        let hasFile = keys.contains { if case .file = $0 { return true } else { return false } }
        let space = self.space ?? (hasFile ? .w : .z)
        // Keys: z vectors, or whole dlatents [layers·D] (seeds truncated, files as given).
        let keyVectors: [[Float]]
        if space == .z {
            keyVectors = keys.map { if case .seed(let s) = $0 { return g.latent(seed: s) } else { return [] } }
        } else {
            let dl = try g.dlatents(of: keys, psi: truncation.psi, filePsi: truncation.filePsi, cutoff: truncation.cutoff)
            let size = g.config.numLayers * g.config.dlatentSize
            let values = dl.scalars
            keyVectors = (0..<dl.shape[0]).map { Array(values[($0 * size)..<(($0 + 1) * size)]) }
        }
        try Self.checkFrames(keys: keyVectors.count, framesPerKey: framesPerKey, loop: loop)
        let batch = try renderBatch(self.batch, for: g)
        let walk = LatentWalk(keys: keyVectors, framesPerKey: framesPerKey, loop: loop, mode: mode, easing: ease)
        let r = g.config.resolution
        var canvas = strip ? try GridCanvas(cellWidth: r, cellHeight: r, count: walk.frameCount, columns: walk.frameCount) : nil

        print("rendering \(walk.frameCount) frames from \(path) (\(space.rawValue)-space \(mode.rawValue), \(ease.rawValue) easing)")
        let writer = PNGWriter()
        var progress = Progress(total: walk.frameCount, label: "interpolate")
        for start in stride(from: 0, to: walk.frameCount, by: batch) {
            let chunk = (start..<min(start + batch, walk.frameCount)).map(walk.frame)   // frames made as they are rendered
            let images = withoutGradients { () -> Tensor in
                if space == .z {
                    let z = Tensor(shape: [chunk.count, g.config.latentSize], values: chunk.flatMap { $0 })
                    return g.render(g.dlatents(from: g.map(z), psi: truncation.psi, cutoff: truncation.cutoff), noise: .constant)
                }
                return g.render(Tensor(shape: [chunk.count, g.config.numLayers, g.config.dlatentSize], values: chunk.flatMap { $0 }), noise: .constant)
            }
            for (k, image) in ImageConversion.images(from: images).enumerated() {
                if canvas != nil { canvas!.place(image, at: start + k); continue }
                try writer.submit(image, to: "\(outdir)/frame\(String(format: "%05d", start + k)).png")
            }
            progress.update(start + chunk.count)
        }
        try writer.finish()
        if let canvas {
            try PNG.write(canvas.image, to: "\(outdir)/strip.png")
            print("wrote \(outdir)/strip.png (\(walk.frameCount) frames)")
            return
        }
        print("wrote \(walk.frameCount) frames to \(outdir)/; make a video with:")
        print("  ffmpeg -framerate \(fps) -i \(outdir)/frame%05d.png -c:v libx264 -pix_fmt yuv420p -crf 18 walk.mp4")
    }
}

extension LatentSpace: ExpressibleByArgument {}
extension LatentInterpolation: ExpressibleByArgument {}
extension LatentEasing: ExpressibleByArgument {}
