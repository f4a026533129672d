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
            Generated images use the EMA generator without truncation and with random noise,
            as the official metrics; reals are an evenly spaced sample of the folder. Compare
            only figures computed with the same --num.
            """
        )

        @OptionGroup var model: WeightsOptions
        @Option(help: "Folder of real images.") var data: String
        @Option(help: "Images per set.") var num = 4096
        @Option(help: "Seed of the generated latents and the SWD projections.") var seed: UInt64 = 1
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard num >= 16 else { throw ValidationError("--num must be at least 16") }
        }

        func run() throws {
            global.apply()
            let (g, path) = try model.loadGenerator()
            let r = g.config.resolution
            let dataset = try ImageDataset(directory: data, resolution: r)
            let n = min(num, dataset.count)
            if n < num { print("note: the folder has \(dataset.count) usable images; using \(n) per set") }
            print("SWD of \(path) against \(data), \(n) images per set at \(r)x\(r)")
            let reals = dataset.batch(indices: (0..<n).map { $0 * dataset.count / n }, mirror: [Bool](repeating: false, count: n), resolution: r)
            let fakes = SlicedWasserstein.sample(g, count: n, seed: seed)
            let result = SlicedWasserstein(resolution: r).distance(reals: reals, fakes: fakes, seed: seed)
            for level in result.perLevel.keys.sorted(by: >) {
                print("SWDx1e3_\(level): \(String(format: "%.3f", result.perLevel[level]!))")
            }
            print("SWDx1e3_avg: \(String(format: "%.3f", result.average))")
        }
    }
}
