import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// `stylegan interpolate`: a latent walk through seeds as numbered PNG frames.
struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a smooth walk through the latents of several seeds as numbered PNG frames.",
        discussion: """
        Examples:
          stylegan interpolate --seeds 1,5,9 --frames-per-seed 60 --outdir frames/
          stylegan interpolate --seeds 3,4 --space w --mode lerp --loop --outdir frames/
        Frames are frame00000.png, frame00001.png, …; noise stays fixed across frames.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "Seeds to pass through, in order (at least 2), e.g. 1,5,9.", transform: SeedList.parse) var seeds: [UInt32]
    @Option(help: "Frames from one seed to the next.") var framesPerSeed = 60
    @Option(help: "Interpolate in z (input latents) or w (mapped latents).") var space: LatentSpace = .z
    @Option(help: "slerp (spherical) or lerp (linear).") var mode: LatentInterpolation = .slerp
    @Flag(help: "Return to the first seed at the end (a seamless loop).") var loop = false
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Frames per forward pass (default: as many as fit in about 1 GiB of activations, at most 16).") var batch: Int?
    @Option(help: "Frame rate in the printed ffmpeg command.") var fps = 30
    @Flag(help: "Write all frames side by side into one strip.png instead of numbered frames.") var strip = false
    @Option(help: "Output directory.") var outdir: String
    @OptionGroup var global: GlobalOptions

    /// Most frames one walk may have (a 9-hour video at 30 fps).
    static let maxFrames = 1_000_000

    func validate() throws {
        let count = seeds.count
        guard count >= 2 else { throw ValidationError("--seeds needs at least two seeds, got \(count)") }
        guard (1...100_000).contains(framesPerSeed) else { throw ValidationError("--frames-per-seed must be in 1…100000") }
        guard (1...1024).contains(batch ?? 1), (1...1000).contains(fps) else { throw ValidationError("--batch must be in 1…1024 and --fps in 1…1000") }
        let frames = (loop ? count : count - 1) * framesPerSeed + (loop ? 0 : 1)
        guard frames <= Self.maxFrames else {
            throw ValidationError("the walk would have \(frames) frames, over the limit of \(Self.maxFrames): use fewer seeds or --frames-per-seed")
        }
    }

    func run() throws {
        let seedList = seeds
        try OutputDirectory.prepare(outdir)
        let (g, path) = try model.loadGenerator()
        // Key latents in the chosen space (w: mapped in batches).
        var keys = seedList.map { g.latent(seed: $0) }
        if space == .w {
            keys = stride(from: 0, to: keys.count, by: 256).flatMap { start -> [[Float]] in
                let chunk = Array(keys[start..<min(start + 256, keys.count)])
                let w = withoutGradients { g.map(Tensor(shape: [chunk.count, g.config.latentSize], values: chunk.flatMap { $0 })) }
                let d = w.shape[1]
                return (0..<chunk.count).map { Array(w.scalars[($0 * d)..<(($0 + 1) * d)]) }
            }
        }
        let batch = try renderBatch(self.batch, for: g)
        let walk = LatentWalk(keys: keys, framesPerKey: framesPerSeed, loop: loop, mode: mode)
        let r = g.config.resolution
        var canvas = strip ? try GridCanvas(cellWidth: r, cellHeight: r, count: walk.frameCount, columns: walk.frameCount) : nil

        print("rendering \(walk.frameCount) frames from \(path) (\(space.rawValue)-space \(mode.rawValue))")
        let writer = PNGWriter()
        var progress = Progress(total: walk.frameCount, label: "interpolate")
        for start in stride(from: 0, to: walk.frameCount, by: batch) {
            let chunk = (start..<min(start + batch, walk.frameCount)).map(walk.frame)   // frames made as they are rendered
            let images = withoutGradients { () -> Tensor in
                let v = Tensor(shape: [chunk.count, chunk[0].count], values: chunk.flatMap { $0 })
                let w = space == .z ? g.map(v) : v
                return g.render(g.dlatents(from: w, psi: truncation.psi, cutoff: truncation.cutoff), noise: .constant)
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
