import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor
import StyleGANTraining

/// `stylegan project`: fit a latent (and the noise maps) to a photo.
struct Project: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Project a photo into the model: find the latent whose image is closest to it.",
        discussion: """
        Examples:
          stylegan project --target me.jpg --outdir proj/
          stylegan project --target me.jpg --space wplus --steps 500 --save-every 50 --outdir proj/
        The photo is centre-cropped and resized as training data is. The loss is a
        multi-scale pixel distance plus, when the weights file holds the discriminator,
        a distance between D's features (no downloaded network). Writes target.png,
        projected.png and projected_w.npy ([layers, w_dim] float32); render or mix the
        latent with `generate --latents`, `mix --rows` or `interpolate --keys`.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "The photo to project (PNG or JPEG).") var target: String
    @Option(help: "Optimisation steps.") var steps = 1000
    @Option(help: "w (one latent for all layers) or wplus (one per layer: closer, less editable).") var space: ProjectionSpace = .w
    @Option(help: "Seed of the initial noise maps and of the noise added to w.") var seed: UInt64 = 0
    @Option(help: "Also write the image every K steps to OUTDIR/steps/.") var saveEvery: Int?
    @Option(help: "Weight of the discriminator-feature distance (0: pixels only).") var featureWeight: Float = ProjectionOptions().featureWeight
    @Option(help: "Weight of the noise-map regulariser (keeps the maps from carrying the image).") var noiseRegularization: Float = ProjectionOptions().noiseRegularization
    @Flag(help: "Start the noise maps from random draws (the official projector) instead of the model's stored maps.") var randomNoiseStart = false
    @Option(help: "Output directory.") var outdir: String
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be in 1…100000, got \(steps)") }
        if let saveEvery, saveEvery < 1 { throw ValidationError("--save-every must be at least 1") }
        guard featureWeight.isFinite, (0...1000).contains(featureWeight) else { throw ValidationError("--feature-weight must be in 0…1000") }
        guard noiseRegularization.isFinite, (0...1e9).contains(noiseRegularization) else { throw ValidationError("--noise-regularization must be in 0…1e9") }
    }

    func run() throws {
        try OutputDirectory.prepare(outdir)
        if saveEvery != nil { try OutputDirectory.prepare("\(outdir)/steps") }
        let (weights, path) = try model.loadModel()
        let g = weights.samplingGenerator!
        let r = g.config.resolution
        let photo = ImageResize.trainingImage(try ImageFile.read(path: target), resolution: r)
        let targetTensor = ImageConversion.tensor(from: [photo])
        var options = ProjectionOptions()
        options.steps = steps
        options.space = space
        options.seed = seed
        options.featureWeight = featureWeight
        options.noiseRegularization = noiseRegularization
        options.randomNoiseStart = randomNoiseStart
        let projector = Projector(generator: g, discriminator: weights.discriminator, target: targetTensor, options: options)
        let loss = projector.discriminator == nil ? "pixel pyramid" : "pixel pyramid + D features ×\(featureWeight)"
        print("projecting \(target) into \(path) (\(r)x\(r), \(space.rawValue), \(steps) steps, loss: \(loss))")
        try PNG.write(photo, to: "\(outdir)/target.png")

        var progress = Progress(total: steps, label: "project")
        for k in 0..<steps {
            let report = projector.step()
            if let saveEvery, (k + 1) % saveEvery == 0 {
                try PNG.write(ImageConversion.images(from: projector.image())[0], to: "\(outdir)/steps/step\(String(format: "%05d", k + 1)).png")
            }
            progress.update(k + 1, detail: "step \(k + 1)/\(steps) PSNR \(String(format: "%.2f", report.psnr)) dB loss \(String(format: "%.4g", report.loss))")
        }
        let image = ImageConversion.images(from: projector.image())[0]
        try PNG.write(image, to: "\(outdir)/projected.png")
        try LatentFile.writeW(projector.dlatents, to: "\(outdir)/projected_w.npy")
        let fitted = ProjectionLoss.psnr(ImageConversion.tensor(from: [image]), targetTensor)
        // Rendering the latent alone uses the model's stored noise, not the fitted maps.
        let alone = ProjectionLoss.psnr(g.render(projector.dlatents), targetTensor)
        print("wrote \(outdir)/target.png, projected.png and projected_w.npy: PSNR \(String(format: "%.2f", fitted)) dB (\(String(format: "%.2f", alone)) dB rendered from the latent with the model's own noise)")
    }
}

extension ProjectionSpace: ExpressibleByArgument {}
