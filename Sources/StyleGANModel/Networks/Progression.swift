/// Which resolutions a fractional level of detail activates (progressive growing).
///
/// lod = L − log2(resolution) (+ a fraction during a fade). The top block is 2^top with
/// top = L − ⌊lod⌋; `fade` t = lod − ⌊lod⌋ is the weight of the upsampled lower-resolution
/// path (the new layer gets 1 − t). Networks run at the native resolution 2^top.
public struct Progression: Equatable, Sendable {
    public let top: Int
    public let fade: Float

    /// Clamps lod to [0, L − 2].
    public init(lod: Float, log2Resolution l: Int) {
        let clamped = min(max(lod, 0), Float(l - 2))
        let whole = clamped.rounded(.down)
        top = l - Int(whole)
        fade = top > 2 ? clamped - whole : 0
    }

    /// Native image size at this lod.
    public var resolution: Int { 1 << top }

    /// Synthesis layers in use (two per resolution 4 … 2^top): the style / dlatent rows
    /// 0 ..< activeLayers affect the image.
    public var activeLayers: Int { 2 * top - 2 }
}
