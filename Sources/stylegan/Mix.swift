import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// `stylegan mix`: the style-mixing figure (paper Fig. 3).
struct Mix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a style-mixing grid: each row's image with a range of its styles taken from each column's image.",
        discussion: """
        Examples:
          stylegan mix --rows 1,2,3 --cols 4,5,6 --styles coarse --output mix.png
          stylegan mix --rows 10,11 --cols 20,21,22 --styles 4-7 --output mix.png
        Style ranges: coarse = layers 0-3 (4², 8²), middle = 4-7 (16², 32²), fine = 8 to
        the last layer, or an explicit inclusive layer range A-B.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "Seeds of the row (destination) images.") var rows: String
    @Option(help: "Seeds of the column (source) images.") var cols: String
    @Option(help: "Which styles the columns contribute: coarse, middle, fine or A-B.") var styles = "coarse"
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Output PNG.") var output = "mix.png"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        _ = try SeedList.parse(rows)
        _ = try SeedList.parse(cols)
    }

    /// Inclusive layer range for a style name, within the model's layers.
    static func layerRange(_ text: String, numLayers: Int) throws -> ClosedRange<Int> {
        let range: ClosedRange<Int>
        switch text {
        case "coarse": range = 0...3
        case "middle": range = 4...7
        case "fine": range = 8...max(8, numLayers - 1)
        default:
            let parts = text.split(separator: "-").map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a <= b else {
                throw ValidationError("--styles must be coarse, middle, fine or A-B, got '\(text)'")
            }
            range = a...b
        }
        guard range.lowerBound >= 0, range.upperBound < numLayers else {
            throw CLIError("style layers \(range.lowerBound)-\(range.upperBound) outside this model's 0-\(numLayers - 1)")
        }
        return range
    }

    func run() throws {
        global.apply()
        let (rowSeeds, colSeeds) = (try SeedList.parse(rows), try SeedList.parse(cols))
        let (g, path) = try model.loadGenerator()
        let range = try Self.layerRange(styles, numLayers: g.config.numLayers)
        let dir = (output as NSString).deletingLastPathComponent
        if !dir.isEmpty { try OutputDirectory.prepare(dir) }
        print("style mixing \(rowSeeds.count)x\(colSeeds.count) from \(path), layers \(range)")
        let activeLayers = Progression(lod: g.lod, log2Resolution: g.config.log2Resolution).activeLayers
        if range.upperBound >= activeLayers {
            print("note: this model renders at lod \(g.lod) (layers 0-\(activeLayers - 1) active); styles of layers \(max(range.lowerBound, activeLayers))-\(range.upperBound) have no effect")
        }

        let figure = withoutGradients { () -> RGBImage in
            func dlatents(_ seeds: [UInt32]) -> Tensor {
                let z = Tensor(shape: [seeds.count, g.config.latentSize], values: seeds.flatMap { g.latent(seed: $0) })
                return g.dlatents(from: g.map(z), psi: truncation.psi, cutoff: truncation.cutoff)
            }
            func render(_ d: Tensor) -> [RGBImage] { ImageConversion.images(from: g.render(d)) }
            let (rowD, colD) = (dlatents(rowSeeds), dlatents(colSeeds))
            let (rowImages, colImages) = (render(rowD), render(colD))
            let layers = g.config.numLayers
            var cells: [RGBImage?] = [nil] + colImages
            for (i, rowImage) in rowImages.enumerated() {
                cells.append(rowImage)
                let row = slice(rowD, axis: 0, start: i, length: 1)
                let mixed = (0..<colSeeds.count).map { j -> Tensor in
                    let col = slice(colD, axis: 0, start: j, length: 1)
                    // Layers in `range` from the column image, the rest from the row image.
                    var parts: [Tensor] = []
                    if range.lowerBound > 0 { parts.append(slice(row, axis: 1, start: 0, length: range.lowerBound)) }
                    parts.append(slice(col, axis: 1, start: range.lowerBound, length: range.count))
                    if range.upperBound < layers - 1 { parts.append(slice(row, axis: 1, start: range.upperBound + 1, length: layers - 1 - range.upperBound)) }
                    return concat(parts, axis: 1)
                }
                cells += render(concat(mixed, axis: 0)).map(Optional.some)
            }
            return ImageConversion.grid(cells, columns: colSeeds.count + 1)
        }
        try PNG.write(figure, to: output)
        print("wrote \(output)")
    }
}
