import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// The loaded model and the three pictures the explorer draws from it. Rendering touches
/// tensors, so `render` is only ever called on the render queue's thread.
public final class Explorer: @unchecked Sendable {   // immutable after init; renders serialised by RenderQueue
    public let generator: Generator
    /// What `/api/info` reports.
    public let info: ModelInfo

    /// CRC-32 of everything a render reads (the config, G's parameters, w̄, the noise
    /// maps, lod), as 8 hex digits: the model part of every picture's entity tag. The
    /// config counts: values alone do not fix the picture (the mapping network scales
    /// its weights by `mappingLRMul` at run time).
    public let modelTag: String

    /// `fileName` and `metadata` describe the weights file (`ModelWeights.metadata`).
    /// `renderer` names whatever else decides a picture's bytes (the program's version,
    /// the render thread count, the kernel level and BLAS kernel: GEMM rounding depends on
    /// them), so an upgraded or reconfigured server does not answer 304 for a stale picture.
    public init(generator: Generator, fileName: String, metadata: [String: String], renderer: String = "") {
        self.generator = generator
        info = ModelInfo(generator: generator, fileName: fileName, metadata: metadata)
        var crc = Array((renderer + generator.config.jsonString()).utf8).withUnsafeBytes { CRC32.update(CRC32.initial, with: $0) }
        for t in [generator.params.flat, generator.dlatentAvg] + generator.noiseMaps + [Tensor(shape: [1], values: [generator.lod])] {
            crc = t.scalars.withUnsafeBytes { CRC32.update(crc, with: $0) }
        }
        modelTag = String(format: "%08x", crc)
    }

    /// The HTTP entity tag of `picture` (quoted): the model's tag and a CRC-32 of the
    /// picture's full description, so it changes with the model or any parameter.
    public func entityTag(of picture: Picture) -> String {
        let description = Array(String(reflecting: picture).utf8)
        let crc = description.withUnsafeBytes { CRC32.update(CRC32.initial, with: $0) }
        return "\"\(modelTag)-\(String(format: "%08x", crc))\""
    }

    /// One picture to render: the parameters of one endpoint, already validated.
    public enum Picture: Sendable, Hashable {
        /// The face of `seed`.
        case face(seed: UInt32, truncation: Truncation, noise: NoiseChoice)
        /// The face of `row` with the styles of `layers` taken from the face of `column`.
        case mix(row: UInt32, column: UInt32, layers: ClosedRange<Int>, truncation: Truncation)
        /// The point `t` of the way from the face of `from` to that of `to`.
        case walk(from: UInt32, to: UInt32, t: Float, mode: LatentInterpolation, space: LatentSpace, truncation: Truncation)
    }

    /// Truncation towards w̄: ψ on the layers below `cutoff`.
    public struct Truncation: Sendable, Hashable {
        public var psi: Float
        public var cutoff: Int
        public init(psi: Float, cutoff: Int) { self.psi = psi; self.cutoff = cutoff }
    }

    /// Renders `picture` at the model's resolution (constant noise unless a face asks
    /// for random). Call on the render queue only.
    public func render(_ picture: Picture) -> RGBImage {
        let g = generator
        func z(_ seed: UInt32) -> Tensor { Tensor(shape: [1, g.config.latentSize], values: g.latent(seed: seed)) }
        func styles(_ w: Tensor, _ tr: Truncation) -> Tensor { g.dlatents(from: w, psi: tr.psi, cutoff: tr.cutoff) }
        let images = withoutGradients { () -> Tensor in
            switch picture {
            case let .face(seed, tr, noise):
                return g.render(styles(g.map(z(seed)), tr), noise: noise.mode(seeds: [seed]))
            case let .mix(row, column, layers, tr):
                return g.render(g.mix(styles(g.map(z(row)), tr), styles(g.map(z(column)), tr), layers: layers))
            case let .walk(from, to, t, mode, space, tr):
                let (a, b) = space == .z ? (z(from), z(to)) : (g.map(z(from)), g.map(z(to)))
                let v = Tensor(shape: a.shape, values: mode(a.scalars, b.scalars, t))
                return g.render(styles(space == .z ? g.map(v) : v, tr))
            }
        }
        return ImageConversion.images(from: images)[0]
    }
}

/// The model as `/api/info` describes it.
public struct ModelInfo: Encodable, Sendable {
    /// Width and height of every image, in pixels.
    public let resolution: Int
    /// Synthesis layers (style inputs), 2·log2(resolution) − 2.
    public let layers: Int
    /// Length of z (the seed's latent) and of w (a style).
    public let latentSize: Int
    public let dlatentSize: Int
    /// Level of detail the model renders at (0 for a finished model).
    public let lod: Float
    /// Default ψ and cutoff (the model's own) and the ranges the API accepts.
    public let truncation: TruncationInfo
    /// The named style ranges this model accepts, as [first, last] layer.
    public let styles: [String: [Int]]
    /// The weights file.
    public let file: FileInfo

    /// Truncation defaults and limits; ranges as [lowest, highest].
    public struct TruncationInfo: Encodable, Sendable {
        public let psi: Float
        public let cutoff: Int
        public let psiRange: [Float]
        public let cutoffRange: [Int]
    }

    /// The weights file's name and `__metadata__` (less format, config, lod and checksum).
    public struct FileInfo: Encodable, Sendable {
        /// The file's name, without its directory.
        public let name: String
        /// Metadata entries such as `trained_kimg` or a snapshot's training options.
        public let metadata: [String: String]
    }

    init(generator g: Generator, fileName: String, metadata: [String: String]) {
        let c = g.config
        resolution = c.resolution
        layers = c.numLayers
        latentSize = c.latentSize
        dlatentSize = c.dlatentSize
        lod = g.lod
        truncation = TruncationInfo(psi: c.truncationPsi, cutoff: min(c.truncationCutoff, c.numLayers),
                                    psiRange: [StyleGANConfig.Limits.truncationPsi.lowerBound, StyleGANConfig.Limits.truncationPsi.upperBound],
                                    cutoffRange: [0, c.numLayers])
        var named: [String: [Int]] = [:]
        for name in ["coarse", "middle", "fine"] {
            if let r = try? StyleLayers.named(name, numLayers: c.numLayers) { named[name] = [r.lowerBound, r.upperBound] }
        }
        styles = named
        file = FileInfo(name: fileName, metadata: metadata)
    }
}
