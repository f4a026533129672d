/// An RGB image as 32-bit floats, stored planar (channel-major) like one NCHW sample:
/// `pixels[c * height * width + y * width + x]` for channel `c` in 0 (red), 1 (green),
/// 2 (blue), row `y` from the top and column `x` from the left.
///
/// Values are nominally in [0, 1] (0 = black, 1 = full intensity, sRGB-encoded as
/// stored in 8-bit image files; no gamma conversion is applied). Nothing enforces the
/// range in memory; `PNG.encode` clamps when writing.
public struct RGBImage: Sendable, Equatable {
    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// `3 * height * width` samples in channel, row, column order.
    public var pixels: [Float]

    /// Number of samples in one channel plane (`width * height`).
    public var planeSize: Int { width * height }

    /// Wraps an existing planar buffer. Requires `pixels.count == 3 * width * height`
    /// and non-negative dimensions.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative dimensions \(width) x \(height)")
        precondition(pixels.count == 3 * width * height,
                     "RGBImage: \(pixels.count) samples for a \(width) x \(height) image (need \(3 * width * height))")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image with every sample set to `value` (black by default).
    public init(width: Int, height: Int, fill value: Float = 0) {
        self.init(width: width, height: height, pixels: [Float](repeating: value, count: 3 * width * height))
    }

    /// The sample of `channel` (0 R, 1 G, 2 B) at column `x`, row `y`.
    public subscript(channel channel: Int, y y: Int, x x: Int) -> Float {
        get { pixels[(channel * height + y) * width + x] }
        set { pixels[(channel * height + y) * width + x] = newValue }
    }
}
