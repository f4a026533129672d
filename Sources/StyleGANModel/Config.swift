import Foundation
import StyleGANTensor

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

    /// log2 of the resolution (L); 2 for a resolution outside `Limits` (which
    /// `validate()` rejects), so that no caller traps on one.
    public var log2Resolution: Int { Limits.resolution.contains(resolution) ? Int(log2(Double(resolution)).rounded()) : 2 }

    /// Synthesis layers, 2·L − 2 (18 at 1024).
    public var numLayers: Int { 2 * log2Resolution - 2 }

    /// Feature maps of stage `stage`; a block at resolution 2^r has nf(r − 1) outputs.
    public func nf(_ stage: Int) -> Int {
        let value = Double(fmapBase) / pow(2.0, Double(stage) * fmapDecay)
        guard value.isFinite, value < Double(fmapMax) else { return fmapMax }   // no trap before validate()
        return Int(value)
    }

    /// Channels of G's block output (= D's block input) at resolution 2^r.
    public func channels(atLog2Resolution r: Int) -> Int { nf(r - 1) }

    /// Whether the up/down-sampling conv at output resolution 2^r is the fused (transposed
    /// / strided 4×4) form: resolutions ≥ 128, as `fused_scale='auto'`.
    public static func usesFusedScale(log2Resolution r: Int) -> Bool { r >= 7 }

    /// Bounds on every field, checked before anything is allocated (a weights file's
    /// config is untrusted input). They are far above any published StyleGAN (official
    /// 1024²: latent 512, 8 mapping layers, fmap_base 8192, fmap_max 512).
    public enum Limits {
        public static let resolution = 4...1024
        public static let numChannels = 1...4
        /// z, w and the mapping width.
        public static let latentSize = 1...4096
        public static let mappingLayers = 1...32
        public static let fmapBase = 1...(1 << 20)
        public static let fmapDecay = 0.0...4.0
        public static let fmapMax = 1...4096
        public static let mbstdGroupSize = 1...256
        public static let truncationCutoff = 0...64
        public static let truncationPsi: ClosedRange<Float> = -1...2
        public static let mappingLRMul: ClosedRange<Float> = 1e-6...10
        /// Trainable parameters of one network (G or D): 256 M floats, 1 GiB in float32,
        /// ten times the official 1024² generator.
        public static let parametersPerNetwork = 256 << 20
    }

    /// Throws unless the configuration describes a buildable model within `Limits`.
    /// Never traps and allocates nothing, whatever the field values.
    public func validate() throws {
        func check<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ name: String) throws {
            guard range.contains(value) else { throw ConfigError("\(name) must be in \(range.lowerBound)…\(range.upperBound), got \(value)") }
        }
        try check(resolution, Limits.resolution, "resolution")
        guard resolution & (resolution - 1) == 0 else { throw ConfigError("resolution must be a power of two in 4…1024, got \(resolution)") }
        try check(numChannels, Limits.numChannels, "numChannels")
        try check(latentSize, Limits.latentSize, "latentSize")
        try check(dlatentSize, Limits.latentSize, "dlatentSize")
        try check(mappingFmaps, Limits.latentSize, "mappingFmaps")
        try check(mappingLayers, Limits.mappingLayers, "mappingLayers")
        try check(mappingLRMul, Limits.mappingLRMul, "mappingLRMul")   // NaN fails every range check
        try check(fmapBase, Limits.fmapBase, "fmapBase")
        try check(fmapDecay, Limits.fmapDecay, "fmapDecay")
        try check(fmapMax, Limits.fmapMax, "fmapMax")
        try check(mbstdGroupSize, Limits.mbstdGroupSize, "mbstdGroupSize")
        try check(truncationCutoff, Limits.truncationCutoff, "truncationCutoff")
        try check(truncationPsi, Limits.truncationPsi, "truncationPsi")
        try check(styleMixingProb, 0...1, "styleMixingProb")
        try check(dlatentAvgBeta, 0...1, "dlatentAvgBeta")
        guard (1...log2Resolution).allSatisfy({ nf($0) >= 1 }) else {
            throw ConfigError("channel budget fmapBase \(fmapBase), fmapDecay \(fmapDecay), fmapMax \(fmapMax) leaves a stage without channels")
        }
        // Within the bounds above no product below overflows.
        let g = Generator.parameterCount(config: self), d = Discriminator.parameterCount(config: self)
        guard g <= Limits.parametersPerNetwork, d <= Limits.parametersPerNetwork else {
            throw ConfigError("the model would have \(g) generator and \(d) discriminator parameters, over the limit of \(Limits.parametersPerNetwork) per network")
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
