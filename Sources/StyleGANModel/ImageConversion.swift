import StyleGANIO
import StyleGANTensor

/// Conversions between network tensors (NCHW, [-1, 1]) and 8-bit-exact RGB images.
public enum ImageConversion {
    /// One image per batch entry of x [N, 3, H, W] in [-1, 1], quantised as the official
    /// code does: round(x · 127.5 + 127.5) saturated to 0…255 (stored as value/255).
    public static func images(from x: Tensor) -> [RGBImage] {
        precondition(x.rank == 4 && x.shape[1] == 3, "images(from:): expected [N, 3, H, W], got \(x.shape)")
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let per = 3 * h * w
        return (0..<n).map { i in
            let src = UnsafeBufferPointer(start: x.data + i * per, count: per)
            return RGBImage(width: w, height: h, pixels: src.map { v in
                let q = (v * 127.5 + 127.5).rounded()
                return (q.isNaN ? 0 : min(max(q, 0), 255)) / 255
            })
        }
    }

    /// A batch [N, 3, H, W] in [-1, 1] (x · 2 − 1 of the [0, 1] pixels); all images must
    /// have the same size.
    public static func tensor(from images: [RGBImage]) -> Tensor {
        precondition(!images.isEmpty, "tensor(from:): no images")
        let (h, w) = (images[0].height, images[0].width)
        precondition(images.allSatisfy { $0.width == w && $0.height == h }, "tensor(from:): images differ in size")
        var values: [Float] = []
        values.reserveCapacity(images.count * 3 * h * w)
        for image in images { values += image.pixels.map { $0 * 2 - 1 } }
        return Tensor(shape: [images.count, 3, h, w], values: values)
    }

    /// Tiles equally sized images row-major into `columns` columns (`nil` cells stay
    /// `background`), with `spacing` pixels between cells (see `GridCanvas`, which also
    /// bounds the size: over `GridCanvas.maxPixels` this throws).
    public static func grid(_ cells: [RGBImage?], columns: Int, spacing: Int = 0, background: Float = 1) throws -> RGBImage {
        guard let first = cells.compactMap({ $0 }).first else { return RGBImage(width: 1, height: 1, fill: background) }
        var canvas = try GridCanvas(cellWidth: first.width, cellHeight: first.height, count: cells.count, columns: columns,
                                    spacing: spacing, background: background)
        for (i, cell) in cells.enumerated() { if let cell { canvas.place(cell, at: i) } }
        return canvas.image
    }
}
