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
          stylegan generate --seeds 0-7 --save-latents --outdir out/
          stylegan generate --latents proj/projected_w.npy --outdir out/
        One PNG per seed (seed0042.png) or per latent (latent0000.png), or one grid.png
        with --grid. The same command and thread count give the same bytes.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "Seeds, e.g. 1-8,42.", transform: SeedList.parse) var seeds: [UInt32]?
    @Option(help: "Render latents from a .npy/.npz file instead of seeds (w: [layers, D] or [N, layers, D]; z: [N, latent]).") var latents: String?
    @Option(help: "What --latents holds: w (mapped, as project and --save-latents write) or z.") var latentSpace: LatentSpace = .w
    @Flag(help: "Also write OUTDIR/latents.npz: seeds, z [N, latent] and w [N, layers, D] after truncation.") var saveLatents = false
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Noise inputs: const (the stored maps) or random (drawn per seed).") var noise: NoiseChoice = .const
    @Flag(help: "Write one grid.png instead of one file per seed.") var grid = false
    @Option(help: "Grid columns (default: about √count).") var columns: Int?
    @Option(help: "Images per forward pass (default: the most that fit about 1 GiB of activations while batching still pays, 1–16).") var batch: Int?
    @Option(help: "Output directory.") var outdir: String
    @OptionGroup var global: GlobalOptions

    /// Most images whose latents `--save-latents` keeps (they are held until the end).
    static let maxSavedLatents = 10_000

    func validate() throws {
        if let batch, !(1...1024).contains(batch) { throw ValidationError("--batch must be in 1…1024, got \(batch)") }
        if let columns, columns < 1 { throw ValidationError("--columns must be at least 1") }
        guard (seeds == nil) != (latents == nil) else { throw ValidationError("give either --seeds or --latents") }
        if saveLatents, let count = seeds?.count, count > Self.maxSavedLatents {
            throw ValidationError("--save-latents keeps at most \(Self.maxSavedLatents) images' latents, got \(count) seeds")
        }
    }

    func run() throws {
        try OutputDirectory.prepare(outdir)
        let (generator, path) = try model.loadGenerator()
        let g = generator
        // What to render: z rows (seeds or a z file) are mapped and truncated; w rows are used as given.
        var z: [[Float]] = [], w: [[Float]] = []
        var names: [String]
        if let seeds {
            z = seeds.map { g.latent(seed: $0) }
            names = seeds.map { "seed\(String(format: "%04u", $0))" }
        } else {
            let file = latents!
            if latentSpace == .z { z = try LatentFile.readZ(file, config: g.config) } else { w = try LatentFile.readW(file, config: g.config) }
            names = (0..<max(z.count, w.count)).map { "latent\(String(format: "%04d", $0))" }
            guard !saveLatents || names.count <= Self.maxSavedLatents else {
                throw ValidationError("--save-latents keeps at most \(Self.maxSavedLatents) images' latents, \(file) holds \(names.count)")
            }
        }
        let count = names.count
        let r = g.config.resolution
        let psi = w.isEmpty ? truncation.psi : truncation.filePsi
        print("generating \(count) image(s) at \(r)x\(r) from \(path), ψ \(psi)")
        let batch = try renderBatch(self.batch, for: g)
        // Several batches: keep what renders derive from the weights. One batch: the
        // kept filters would only be fresh memory to touch.
        if count > batch { g.freeze() }
        let writer = PNGWriter()
        var progress = Progress(total: count, label: "generate")
        var canvas: GridCanvas?
        if grid {
            do { canvas = try GridCanvas(cellWidth: r, cellHeight: r, count: count, columns: columns ?? Int(Double(count).squareRoot().rounded(.up))) }
            catch { throw ValidationError("--grid: \(error)") }
        }
        var savedW: [Float] = []
        for start in stride(from: 0, to: count, by: batch) {
            let part = start..<min(start + batch, count)
            let dlatents = withoutGradients { () -> Tensor in
                if w.isEmpty {
                    let zs = Tensor(shape: [part.count, g.config.latentSize], values: part.flatMap { z[$0] })
                    return g.dlatents(from: g.map(zs), psi: psi, cutoff: truncation.cutoff)
                }
                let ws = Tensor(shape: [part.count, g.config.numLayers, g.config.dlatentSize], values: part.flatMap { w[$0] })
                return g.truncate(ws, psi: psi, cutoff: truncation.cutoff)
            }
            if saveLatents { savedW += dlatents.scalars }
            let noiseSeeds = part.map { UInt64(seeds?[$0] ?? UInt32($0)) }
            let mode: NoiseMode = noise == .const ? .constant : .random(seeds: noiseSeeds)
            let rendered = ImageConversion.images(from: g.render(dlatents, noise: mode))
            for (k, image) in rendered.enumerated() {
                if canvas != nil { canvas!.place(image, at: part.lowerBound + k); continue }
                try writer.submit(image, to: "\(outdir)/\(names[part.lowerBound + k]).png")   // encoded while the next batch renders
            }
            progress.update(part.upperBound)
        }
        try writer.finish()
        if let canvas {
            try PNG.write(canvas.image, to: "\(outdir)/grid.png")
            print("wrote \(outdir)/grid.png")
        } else {
            print("wrote \(count) PNG(s) to \(outdir)/")
        }
        if saveLatents {
            var arrays: [NumpyArchive.Entry] = []
            if let seeds { arrays.append(.init(name: "seeds", array: NumpyArray(shape: [count], int64: seeds.map(Int64.init)))) }
            if !z.isEmpty { arrays.append(.init(name: "z", array: NumpyArray(shape: [count, g.config.latentSize], float32: z.flatMap { $0 }))) }
            arrays.append(.init(name: "w", array: NumpyArray(shape: [count, g.config.numLayers, g.config.dlatentSize], float32: savedW)))
            try NumpyArchive(arrays).write(to: "\(outdir)/latents.npz")
            print("wrote \(outdir)/latents.npz (\(arrays.map(\.name).joined(separator: ", ")))")
        }
    }
}

extension NoiseChoice: ExpressibleByArgument {}
