import Foundation
import StyleGANIO

/// Preparing arbitrary images for training: centre crop to a square, then resize.
public enum ImageResize {
    /// An image as the training data sees it: centre crop, resize to `resolution`², then
    /// quantise to 8 bits (the dataset stores bytes; projection targets match it).
    public static func trainingImage(_ image: RGBImage, resolution: Int) -> RGBImage {
        var out = resize(centerSquare(image), to: resolution)
        for k in out.pixels.indices { out.pixels[k] = quantized(out.pixels[k]) / 255 }
        return out
    }

    /// A [0, 1] value as the byte the dataset stores.
    public static func quantized(_ v: Float) -> Float { min(max((v * 255).rounded(), 0), 255) }

    /// Centre crop to the largest square.
    public static func centerSquare(_ image: RGBImage) -> RGBImage {
        let side = min(image.width, image.height)
        guard image.width != image.height else { return image }
        let (ox, oy) = ((image.width - side) / 2, (image.height - side) / 2)
        var out = RGBImage(width: side, height: side)
        for c in 0..<3 {
            for y in 0..<side {
                let src = (c * image.height + oy + y) * image.width + ox
                let dst = (c * side + y) * side
                out.pixels.replaceSubrange(dst..<(dst + side), with: image.pixels[src..<(src + side)])
            }
        }
        return out
    }

    /// Resizes a square image to `size`×`size`: exact box averaging when `size` divides
    /// the side, otherwise separable Lanczos-3 (widened by the scale factor when
    /// shrinking, so it also filters out aliasing).
    public static func resize(_ image: RGBImage, to size: Int) -> RGBImage {
        if image.width == size && image.height == size { return image }
        if image.width % size == 0 && image.height % size == 0 { return boxDown(image, factorX: image.width / size, factorY: image.height / size) }
        let horizontal = resample(image.pixels, planes: 3, rows: image.height, from: image.width, to: size, stride: 1, lineStride: image.width)
        // Now [3, H, size]; resample the columns.
        let vertical = resample(horizontal, planes: 3, rows: size, from: image.height, to: size, stride: size, lineStride: 1)
        return RGBImage(width: size, height: size, pixels: vertical.map { min(max($0, 0), 1) })
    }

    private static func boxDown(_ image: RGBImage, factorX fx: Int, factorY fy: Int) -> RGBImage {
        let (w, h) = (image.width / fx, image.height / fy)
        var out = RGBImage(width: w, height: h)
        let norm = 1 / Float(fx * fy)
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    for dy in 0..<fy {
                        let row = (c * image.height + y * fy + dy) * image.width + x * fx
                        for dx in 0..<fx { s += image.pixels[row + dx] }
                    }
                    out.pixels[(c * h + y) * w + x] = s * norm
                }
            }
        }
        return out
    }

    private static func lanczos(_ x: Double) -> Double {
        if x == 0 { return 1 }
        if abs(x) >= 3 { return 0 }
        let px = Double.pi * x
        return 3 * sin(px) * sin(px / 3) / (px * px)
    }

    /// 1-D Lanczos-3 resampling of every line. Input lines have `from` samples at
    /// `stride` apart; consecutive lines start `lineStride` apart. Output is laid out
    /// [planes, rows, to] when resampling rows (stride 1) or [planes, to, rows] → transposed
    /// back to [planes, to, rows-as-width] when resampling columns.
    private static func resample(_ src: [Float], planes: Int, rows: Int, from n: Int, to m: Int,
                                 stride: Int, lineStride: Int) -> [Float] {
        let scale = Double(n) / Double(m)
        let support = 3 * max(scale, 1)
        // Precomputed taps per output sample.
        let taps: [(start: Int, weights: [Float])] = (0..<m).map { o in
            let center = (Double(o) + 0.5) * scale - 0.5
            let lo = Int((center - support).rounded(.up)), hi = Int((center + support).rounded(.down))
            var ws: [Double] = []
            for i in lo...hi { ws.append(lanczos((Double(i) - center) / max(scale, 1))) }
            let total = ws.reduce(0, +)
            return (lo, ws.map { Float($0 / total) })
        }
        var out = [Float](repeating: 0, count: planes * rows * m)
        let planeIn = stride == 1 ? rows * n : n * rows
        for p in 0..<planes {
            for line in 0..<rows {
                let base = p * planeIn + line * lineStride
                for (o, tap) in taps.enumerated() {
                    var s: Float = 0
                    for (k, wgt) in tap.weights.enumerated() {
                        let i = min(max(tap.start + k, 0), n - 1)       // clamp at the borders
                        s += wgt * src[base + i * stride]
                    }
                    // Rows: out [p, line, o]; columns: out [p, o, line].
                    if stride == 1 { out[(p * rows + line) * m + o] = s } else { out[(p * m + o) * rows + line] = s }
                }
            }
        }
        return out
    }
}
