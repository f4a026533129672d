import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// `stylegan generate`: seeds → PNGs.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images from seeds (z = numpy RandomState(seed).randn, as the official scripts).",
        discussion: """
        Examples:
          stylegan generate --seeds 0-63 --grid --outdir out/
          stylegan generate --weights my.safetensors --seeds 1-8,42 --psi 0.5 --outdir out/
          stylegan generate --seeds 7 --noise random --psi 1 --outdir out/
        One PNG per seed (seed0042.png), or one grid.png with --grid. The same command
        gives the same bytes, whatever the thread count.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "Seeds, e.g. 1-8,42.", transform: SeedList.parse) var seeds: [UInt32]
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Noise inputs: const (the stored maps) or random (drawn per seed).") var noise: NoiseChoice = .const
    @Flag(help: "Write one grid.png instead of one file per seed.") var grid = false
    @Option(help: "Grid columns (default: about √count).") var columns: Int?
    @Option(help: "Images per forward pass (default: as many as fit in about 1 GiB of activations, at most 16).") var batch: Int?
    @Option(help: "Output directory.") var outdir: String
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let batch, !(1...1024).contains(batch) { throw ValidationError("--batch must be in 1…1024, got \(batch)") }
        if let columns, columns < 1 { throw ValidationError("--columns must be at least 1") }
    }

    func run() throws {
        let seedList = seeds
        try OutputDirectory.prepare(outdir)
        let (generator, path) = try model.loadGenerator()
        let r = generator.config.resolution
        print("generating \(seedList.count) image(s) at \(r)x\(r) from \(path), ψ \(truncation.psi)")
        let batch = try renderBatch(self.batch, for: generator)
        let writer = PNGWriter()
        var progress = Progress(total: seedList.count, label: "generate")
        var canvas: GridCanvas?
        if grid {
            do { canvas = try GridCanvas(cellWidth: r, cellHeight: r, count: seedList.count, columns: columns ?? Int(Double(seedList.count).squareRoot().rounded(.up))) }
            catch { throw ValidationError("--grid: \(error)") }
        }
        for start in stride(from: 0, to: seedList.count, by: batch) {
            let chunk = Array(seedList[start..<min(start + batch, seedList.count)])
            let rendered = render(generator, chunk)
            if canvas != nil {
                for (k, image) in rendered.enumerated() { canvas!.place(image, at: start + k) }
            } else {
                for (seed, image) in zip(chunk, rendered) {   // encoded while the next batch renders
                    try writer.submit(image, to: "\(outdir)/seed\(String(format: "%04u", seed)).png")
                }
            }
            progress.update(start + chunk.count)
        }
        try writer.finish()
        if let canvas {
            try PNG.write(canvas.image, to: "\(outdir)/grid.png")
            print("wrote \(outdir)/grid.png")
        } else {
            print("wrote \(seedList.count) PNG(s) to \(outdir)/")
        }
    }

    private func render(_ g: Generator, _ seeds: [UInt32]) -> [RGBImage] {
        let z = Tensor(shape: [seeds.count, g.config.latentSize], values: seeds.flatMap { g.latent(seed: $0) })
        return ImageConversion.images(from: g.generate(z, psi: truncation.psi, cutoff: truncation.cutoff, noise: noise.mode(seeds: seeds)))
    }
}

extension NoiseChoice: ExpressibleByArgument {}
