import ArgumentParser
import Foundation
import StyleGANModel
import StyleGANTensor
import StyleGANTraining

/// `stylegan metrics swd`: sliced Wasserstein distance between a model and a folder.
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quality metrics computed offline.",
        subcommands: [SWD.self]
    )

    struct SWD: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "swd",
            abstract: "Sliced Wasserstein distance (ProGAN's, ×10³ per pyramid level and averaged) between generated and real images.",
            discussion: """
            Examples:
              stylegan metrics swd --data faces/ --num 4096
              stylegan metrics swd --weights run/network-snapshot-000300.safetensors --data faces/ --num 1024
              stylegan metrics swd --baseline --data faces/ --num 4096
            Generated images use the EMA generator without truncation and with random noise,
            as the official metrics; reals are an evenly spaced sample of the folder. Compare
            only figures computed with the same --num. --baseline scores a second, disjoint
            sample of the folder instead of a model: the figure a perfect model would get.
            """
        )

        @OptionGroup var model: WeightsOptions
        @Option(help: "Folder of real images.") var data: String
        @Option(help: "Images per set.") var num = 4096
        @Option(help: "Seed of the generated latents and the SWD projections.") var seed: UInt64 = 1
        @Flag(help: "Compare two disjoint samples of the folder (no model): SWD's floor at this --num.") var baseline = false
        @OptionGroup var global: GlobalOptions

        @Option(help: "Resolution of the --baseline comparison (default: the model's, else 64).") var resolution: Int?

        func validate() throws {
            guard (16...100_000).contains(num) else { throw ValidationError("--num must be in 16…100000, got \(num)") }
            if resolution != nil && !baseline { throw ValidationError("--resolution applies only with --baseline (a model sets its own)") }
            if let resolution, !(16...1024).contains(resolution) || resolution & (resolution - 1) != 0 {
                throw ValidationError("--resolution must be a power of two in 16…1024, got \(resolution)")
            }
        }

        func run() throws {
            let noMirror = { (n: Int) in [Bool](repeating: false, count: n) }
            let fakes: Tensor, r: Int, dataset: ImageDataset, n: Int, what: String
            if baseline {
                r = resolution ?? 64
                dataset = try ImageDataset(directory: data, resolution: r)
                n = min(num, dataset.count / 2)
                guard n >= 16 else { throw ValidationError("--baseline needs at least 32 usable images in \(data)") }
                // Halfway between the reals' evenly spaced indices (disjoint, as count ≥ 2n).
                fakes = dataset.batch(indices: (0..<n).map { (2 * $0 + 1) * dataset.count / (2 * n) }, mirror: noMirror(n), resolution: r)
                what = "a second sample of \(data)"
            } else {
                let (g, path) = try model.loadGenerator()
                g.freeze()   // thousands of samples from the same weights
                r = g.config.resolution
                guard r >= SlicedWasserstein.minimumResolution else {
                    throw CLIError("\(path): a \(r)x\(r) model is below SWD's \(SlicedWasserstein.minimumResolution)x\(SlicedWasserstein.minimumResolution) minimum")
                }
                dataset = try ImageDataset(directory: data, resolution: r)
                n = min(num, dataset.count)
                guard n >= 16 else { throw CLIError("\(data): SWD needs at least 16 usable images, found \(dataset.count)") }
                fakes = SlicedWasserstein.sample(g, count: n, seed: seed)
                what = path
            }
            if !dataset.skipped.isEmpty {
                print("skipped \(dataset.skipped.count) unusable file(s) or folder(s), e.g. \(dataset.skipped[0].reason)")
            }
            if n < num { print("note: the folder has \(dataset.count) usable images; using \(n) per set") }
            print("SWD of \(what) against \(data), \(n) images per set at \(r)x\(r)")
            let reals = dataset.batch(indices: (0..<n).map { $0 * dataset.count / n }, mirror: noMirror(n), resolution: r)
            let result = SlicedWasserstein(resolution: r).distance(reals: reals, fakes: fakes, seed: seed)
            for level in result.perLevel.keys.sorted(by: >) {
                print("SWDx1e3_\(level): \(String(format: "%.3f", result.perLevel[level]!))")
            }
            print("SWDx1e3_avg: \(String(format: "%.3f", result.average))")
        }
    }
}
