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
          stylegan mix --rows proj/projected_w.npy,3 --cols 4-8 --styles fine --output mix.png
        Style ranges: coarse = layers 0-3 (4², 8²), middle = 4-7 (16², 32²), fine = 8 to
        the last layer, or an explicit inclusive layer range A-B. Rows and columns are
        seeds or .npy/.npz files of w (each row of a file is one image).
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "Row (destination) images: seeds and latent files, e.g. 1,2,face.npy.", transform: LatentKeys.parse) var rows: [LatentSource]
    @Option(help: "Column (source) images: seeds and latent files.", transform: LatentKeys.parse) var cols: [LatentSource]
    @Option(help: "Which styles the columns contribute: coarse, middle, fine or A-B.") var styles = "coarse"
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Output PNG ('-' for standard output).") var output = "mix.png"
    @OptionGroup var global: GlobalOptions

    @Option(help: "Images per forward pass (default: the most that fit about 1 GiB of activations while batching still pays, 1–16).") var batch: Int?

    func validate() throws {
        guard (1...1024).contains(batch ?? 1) else { throw ValidationError("--batch must be in 1…1024") }
    }

    func run() throws {
        let (g, path) = try model.loadGenerator()
        let range: ClosedRange<Int>
        do { range = try StyleLayers.named(styles, numLayers: g.config.numLayers) } catch { throw ValidationError("--styles: \(error)") }
        // The figure's size is checked before any latent is mapped (a file adds at least
        // one cell, so this bound is never above the real count), then again exactly.
        do { _ = try GridCanvas.checkedSize(cellWidth: g.config.resolution, cellHeight: g.config.resolution, count: (rows.count + 1) * (cols.count + 1), columns: cols.count + 1) }
        catch { throw ValidationError("\(error)") }
        // Every row's and column's dlatents [count, layers, D] (files expand to their rows).
        let rowLatents = try g.dlatents(of: rows, psi: truncation.psi, filePsi: truncation.filePsi, cutoff: truncation.cutoff)
        let colLatents = try g.dlatents(of: cols, psi: truncation.psi, filePsi: truncation.filePsi, cutoff: truncation.cutoff)
        let (rowCount, colCount) = (rowLatents.shape[0], colLatents.shape[0])
        let dir = parentDirectory(of: output)
        if !dir.isEmpty && output != "-" { try OutputDirectory.prepare(dir) }
        try AtomicFile.checkDestination(output)   // before rendering, not after
        // The figure is checked against the size limit before anything is rendered, and
        // filled cell by cell: memory is the figure plus one batch.
        let r = g.config.resolution
        let batch = try renderBatch(self.batch, for: g)
        var canvas: GridCanvas
        do { canvas = try GridCanvas(cellWidth: r, cellHeight: r, count: (rowCount + 1) * (colCount + 1), columns: colCount + 1) }
        catch { throw ValidationError("\(error)") }
        let toStdout = output == "-"
        status("style mixing \(rowCount)x\(colCount) from \(path), layers \(range)", outputToStdout: toStdout)
        let activeLayers = Progression(lod: g.lod, log2Resolution: g.config.log2Resolution).activeLayers
        if range.upperBound >= activeLayers {
            status("note: this model renders at lod \(g.lod) (layers 0-\(activeLayers - 1) active); styles of layers \(max(range.lowerBound, activeLayers))-\(range.upperBound) have no effect", outputToStdout: toStdout)
        }
        let columns = colCount + 1
        var progress = Progress(total: rowCount + 1, label: "mix")
        withoutGradients {
            /// Renders `count` images in batches, `make(range)` giving each batch's dlatents.
            func render(count: Int, place: (Int, RGBImage) -> Void, make: (Range<Int>) -> Tensor) {
                for start in stride(from: 0, to: count, by: batch) {
                    let part = start..<min(start + batch, count)
                    for (k, image) in ImageConversion.images(from: g.render(make(part))).enumerated() { place(part.lowerBound + k, image) }
                }
            }
            // Top row: the column (source) images.
            render(count: colCount, place: { canvas.place($1, at: 1 + $0) }) { slice(colLatents, axis: 0, start: $0.lowerBound, length: $0.count) }
            progress.update(1)
            for i in 0..<rowCount {
                let row = slice(rowLatents, axis: 0, start: i, length: 1)
                render(count: 1, place: { canvas.place($1, at: (i + 1) * columns + $0) }) { _ in row }
                // Layers in `range` from each column image, the rest from the row image.
                render(count: colCount, place: { canvas.place($1, at: (i + 1) * columns + 1 + $0) }) { part in
                    let source = slice(colLatents, axis: 0, start: part.lowerBound, length: part.count)
                    return g.mix(broadcast(row, to: source.shape), source, layers: range)
                }
                progress.update(i + 2)
            }
        }
        try PNG.write(canvas.image, to: output)
        status("wrote \(toStdout ? "standard output" : output)", outputToStdout: toStdout)
    }
}
