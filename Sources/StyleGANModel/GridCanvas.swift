import StyleGANIO

/// A grid image assembled cell by cell, so a figure of many images holds only itself in
/// memory, never all its cells at once. Its size is bounded (`maxPixels`).
public struct GridCanvas {
    /// Largest canvas: 64 M pixels (8192²), 768 MiB of float RGB.
    public static let maxPixels = 1 << 26

    public private(set) var image: RGBImage
    public let columns: Int, cellWidth: Int, cellHeight: Int, spacing: Int

    /// A canvas of `count` cells in `columns` columns (row-major), cells `spacing` pixels
    /// apart on `background`. Throws when it would exceed `maxPixels`.
    public init(cellWidth: Int, cellHeight: Int, count: Int, columns: Int, spacing: Int = 0, background: Float = 1) throws {
        let (width, height) = try Self.checkedSize(cellWidth: cellWidth, cellHeight: cellHeight, count: count, columns: columns, spacing: spacing)
        self.columns = max(1, min(columns, max(count, 1)))
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.spacing = spacing
        image = RGBImage(width: width, height: height, fill: background)
    }

    /// The pixel size such a canvas would have, without allocating it; throws when it
    /// would exceed `maxPixels` (or overflow).
    public static func checkedSize(cellWidth: Int, cellHeight: Int, count: Int, columns: Int, spacing: Int = 0) throws -> (width: Int, height: Int) {
        let cols = max(1, min(columns, max(count, 1)))
        let rows = max(1, (count + cols - 1) / cols)
        let (width, widthOverflow) = cols.multipliedReportingOverflow(by: cellWidth + spacing)
        let (height, heightOverflow) = rows.multipliedReportingOverflow(by: cellHeight + spacing)
        let (pixels, pixelsOverflow) = width.multipliedReportingOverflow(by: height)
        guard !widthOverflow, !heightOverflow, !pixelsOverflow, pixels <= maxPixels else {
            throw ConfigError("a grid of \(count) images of \(cellWidth)x\(cellHeight) in \(cols) columns is over the limit of \(maxPixels) pixels (8192x8192); use fewer images or files per image")
        }
        return (width - spacing, height - spacing)
    }

    /// Copies `cell` (cellWidth × cellHeight) into cell `index`.
    public mutating func place(_ cell: RGBImage, at index: Int) {
        precondition(cell.width == cellWidth && cell.height == cellHeight, "GridCanvas: cell is \(cell.width)x\(cell.height), expected \(cellWidth)x\(cellHeight)")
        let (ox, oy) = ((index % columns) * (cellWidth + spacing), (index / columns) * (cellHeight + spacing))
        precondition(oy + cellHeight <= image.height, "GridCanvas: cell \(index) is outside the grid")
        let (width, height) = (image.width, image.height)
        for c in 0..<3 {
            for y in 0..<cellHeight {
                let src = (c * cellHeight + y) * cellWidth, dst = (c * height + oy + y) * width + ox
                image.pixels.replaceSubrange(dst..<(dst + cellWidth), with: cell.pixels[src..<(src + cellWidth)])
            }
        }
    }
}
