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
    @Option(help: "Seeds to pass through, in order (at least 2), e.g. 1,5,9.") var seeds: String
    @Option(help: "Frames from one seed to the next.") var framesPerSeed = 60
    @Option(help: "Interpolate in z (input latents) or w (mapped latents).") var space: LatentSpace = .z
    @Option(help: "slerp (spherical) or lerp (linear).") var mode: InterpolationMode = .slerp
    @Flag(help: "Return to the first seed at the end (a seamless loop).") var loop = false
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Frames per forward pass.") var batch = 8
    @Option(help: "Frame rate in the printed ffmpeg command.") var fps = 30
    @Flag(help: "Write all frames side by side into one strip.png instead of numbered frames.") var strip = false
    @Option(help: "Output directory.") var outdir: String
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard try SeedList.parse(seeds).count >= 2 else { throw ValidationError("--seeds needs at least two seeds, got '\(seeds)'") }
        guard (1...100_000).contains(framesPerSeed) else { throw ValidationError("--frames-per-seed must be in 1…100000") }
        guard batch >= 1, fps >= 1 else { throw ValidationError("--batch and --fps must be at least 1") }
    }

    func run() throws {
        global.apply()
        let seedList = try SeedList.parse(seeds)
        try OutputDirectory.prepare(outdir)
        let (g, path) = try model.loadGenerator()
        let d = g.config.latentSize
        let keys = seedList.map { g.latent(seed: $0) }
        // Key latents in the chosen space.
        let keyVectors: [[Float]] = space == .z ? keys : withoutGradients {
            let w = g.map(Tensor(shape: [keys.count, d], values: keys.flatMap { $0 }))
            return (0..<keys.count).map { Array(w.scalars[($0 * w.shape[1])..<(($0 + 1) * w.shape[1])]) }
        }
        let stops = loop ? keyVectors + [keyVectors[0]] : keyVectors
        var frames: [[Float]] = []
        for i in 0..<(stops.count - 1) {
            for f in 0..<framesPerSeed {
                let t = Float(f) / Float(framesPerSeed)
                frames.append(mode == .slerp ? Interpolation.slerp(stops[i], stops[i + 1], t) : Interpolation.lerp(stops[i], stops[i + 1], t))
            }
        }
        if !loop { frames.append(stops[stops.count - 1]) }

        print("rendering \(frames.count) frames from \(path) (\(space.rawValue)-space \(mode.rawValue))")
        var progress = Progress(total: frames.count, label: "interpolate")
        var stripImages: [RGBImage] = []
        for start in stride(from: 0, to: frames.count, by: batch) {
            let chunk = Array(frames[start..<min(start + batch, frames.count)])
            let images = withoutGradients { () -> Tensor in
                let v = Tensor(shape: [chunk.count, chunk[0].count], values: chunk.flatMap { $0 })
                let w = space == .z ? g.map(v) : v
                return g.render(g.dlatents(from: w, psi: truncation.psi, cutoff: truncation.cutoff), noise: .constant)
            }
            for (k, image) in ImageConversion.images(from: images).enumerated() {
                if strip { stripImages.append(image); continue }
                try PNG.write(image, to: "\(outdir)/frame\(String(format: "%05d", start + k)).png")
            }
            progress.update(start + chunk.count)
        }
        if strip {
            try PNG.write(ImageConversion.grid(stripImages, columns: stripImages.count), to: "\(outdir)/strip.png")
            print("wrote \(outdir)/strip.png (\(frames.count) frames)")
            return
        }
        print("wrote \(frames.count) frames to \(outdir)/; make a video with:")
        print("  ffmpeg -framerate \(fps) -i \(outdir)/frame%05d.png -c:v libx264 -pix_fmt yuv420p -crf 18 walk.mp4")
    }
}

enum LatentSpace: String, ExpressibleByArgument, CaseIterable { case z, w }
enum InterpolationMode: String, ExpressibleByArgument, CaseIterable { case slerp, lerp }

/// Interpolation between latent vectors.
enum Interpolation {
    static func lerp(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        zip(a, b).map { $0 + ($1 - $0) * t }
    }

    /// Spherical interpolation of the directions with linearly interpolated length,
    /// so Gaussian latents keep a typical norm along the walk.
    static func slerp(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        let na = sqrt(a.reduce(0) { $0 + $1 * $1 }), nb = sqrt(b.reduce(0) { $0 + $1 * $1 })
        guard na > 0, nb > 0 else { return lerp(a, b, t) }
        let cosine = min(max(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / (na * nb), -1), 1)
        let omega = acos(cosine)
        guard omega > 1e-4 else { return lerp(a, b, t) }
        let s = sin(omega)
        let (wa, wb) = (sin((1 - t) * omega) / s, sin(t * omega) / s)
        let length = na + (nb - na) * t
        return zip(a, b).map { (wa * $0 / na + wb * $1 / nb) * length }
    }
}
