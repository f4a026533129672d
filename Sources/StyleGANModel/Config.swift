import Foundation

/// Architecture hyper-parameters of a StyleGAN model (names follow the official
/// `G_style` / `G_mapping` / `G_synthesis` / `D_basic` keyword arguments). Stored as JSON
/// in the `__metadata__` of every weights file.
public struct StyleGANConfig: Codable, Equatable, Sendable {
    /// Output resolution R, a power of two in 4 … 1024.
    public var resolution = 1024
    /// Colour channels of the images.
    public var numChannels = 3
    /// Size of z.
    public var latentSize = 512
    /// Size of w.
    public var dlatentSize = 512
    /// Width of the hidden mapping layers.
    public var mappingFmaps = 512
    /// Dense layers in the mapping network.
    public var mappingLayers = 8
    /// Learning-rate multiplier of the mapping network.
    public var mappingLRMul: Float = 0.01
    /// Channel budget: nf(stage) = min(fmapBase / 2^(stage·fmapDecay), fmapMax).
    public var fmapBase = 8192
    public var fmapDecay: Double = 1.0
    public var fmapMax = 512
    /// Minibatch-stddev group size in D (1 disables the layer).
    public var mbstdGroupSize = 4
    /// Truncation defaults for inference.
    public var truncationPsi: Float = 0.7
    public var truncationCutoff = 8
    /// Decay of the tracked average w.
    public var dlatentAvgBeta: Float = 0.995
    /// Probability of style mixing during training.
    public var styleMixingProb: Float = 0.9

    public init() {}

    /// The official FFHQ configuration at `resolution` (default 1024).
    public static func official(resolution: Int = 1024) -> StyleGANConfig {
        var c = StyleGANConfig()
        c.resolution = resolution
        return c
    }

    /// log2 of the resolution (L).
    public var log2Resolution: Int { Int(log2(Double(resolution)).rounded()) }

    /// Synthesis layers, 2·L − 2 (18 at 1024).
    public var numLayers: Int { 2 * log2Resolution - 2 }

    /// Feature maps of stage `stage`; a block at resolution 2^r has nf(r − 1) outputs.
    public func nf(_ stage: Int) -> Int {
        min(Int(Double(fmapBase) / pow(2.0, Double(stage) * fmapDecay)), fmapMax)
    }

    /// Channels of G's block output (= D's block input) at resolution 2^r.
    public func channels(atLog2Resolution r: Int) -> Int { nf(r - 1) }

    /// Whether the up/down-sampling conv at output resolution 2^r is the fused (transposed
    /// / strided 4×4) form: resolutions ≥ 128, as `fused_scale='auto'`.
    public static func usesFusedScale(log2Resolution r: Int) -> Bool { r >= 7 }

    /// Throws unless the configuration describes a buildable model.
    public func validate() throws {
        let l = log2Resolution
        guard resolution >= 4, resolution <= 1024, 1 << l == resolution else {
            throw ConfigError("resolution must be a power of two in 4…1024, got \(resolution)")
        }
        guard numChannels >= 1, latentSize >= 1, dlatentSize >= 1, mappingFmaps >= 1, mappingLayers >= 1 else {
            throw ConfigError("latent sizes, mapping width/layers and channels must be positive")
        }
        guard fmapBase >= 1, fmapMax >= 1, (1...l).allSatisfy({ nf($0) >= 1 }) else {
            throw ConfigError("channel budget fmapBase \(fmapBase), fmapMax \(fmapMax) leaves a stage without channels")
        }
        guard mbstdGroupSize >= 1 else { throw ConfigError("mbstdGroupSize must be at least 1") }
        guard truncationCutoff >= 0, (0...1).contains(styleMixingProb), (0...1).contains(dlatentAvgBeta) else {
            throw ConfigError("truncation cutoff, mixing probability or w̄ decay out of range")
        }
    }

    /// Compact JSON (sorted keys) for file metadata.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Parses `jsonString()` output; missing keys keep their defaults.
    public static func parse(json: String) throws -> StyleGANConfig {
        do {
            return try JSONDecoder().decode(StyleGANConfig.self, from: Data(json.utf8))
        } catch {
            throw ConfigError("config JSON does not parse: \(error)")
        }
    }
}

extension StyleGANConfig {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try read(.resolution, &resolution); try read(.numChannels, &numChannels)
        try read(.latentSize, &latentSize); try read(.dlatentSize, &dlatentSize)
        try read(.mappingFmaps, &mappingFmaps); try read(.mappingLayers, &mappingLayers)
        try read(.mappingLRMul, &mappingLRMul); try read(.fmapBase, &fmapBase)
        try read(.fmapDecay, &fmapDecay); try read(.fmapMax, &fmapMax)
        try read(.mbstdGroupSize, &mbstdGroupSize); try read(.truncationPsi, &truncationPsi)
        try read(.truncationCutoff, &truncationCutoff); try read(.dlatentAvgBeta, &dlatentAvgBeta)
        try read(.styleMixingProb, &styleMixingProb)
        try validate()
    }
}

/// An invalid model configuration.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
