import StyleGANTensor

/// Where a synthesis pass takes its per-layer noise from.
public enum NoiseMode: Sendable, Equatable {
    /// The stored constant maps (`synthesis/noise{ℓ}`), the same for every image.
    case constant
    /// Fresh N(0, 1) maps per layer, one seed per image: an image's noise does not
    /// depend on which batch it is rendered in.
    case random(seeds: [UInt64])
}

/// Noise as the command line and the server name it: `const` (the stored maps) or
/// `random` (maps drawn from each image's seed).
public enum NoiseChoice: String, CaseIterable, Sendable {
    case const, random

    /// The noise mode for a batch of images of `seeds`.
    public func mode(seeds: [UInt32]) -> NoiseMode { self == .const ? .constant : .random(seeds: seeds.map(UInt64.init)) }
}

/// The style-based generator: mapping + synthesis, the tracked average w̄ (`dlatent_avg`),
/// truncation and style mixing. Parameters live in one `ParameterSet` with names
/// `mapping/…` and `synthesis/…`; w̄ and the noise maps are non-trainable buffers.
public final class Generator: @unchecked Sendable {
    public let config: StyleGANConfig
    public let mapping: MappingNetwork
    public let synthesis: SynthesisNetwork
    /// Trainable parameters (mapping then synthesis, official names).
    public let params: ParameterSet
    /// Tracked average of w, [dlatentSize].
    public var dlatentAvg: Tensor
    /// Constant noise inputs, [1, 1, H, W] per layer.
    public var noiseMaps: [Tensor]
    /// Level of detail the model renders at (the official non-trainable `lod`): 0 for a
    /// finished model, the schedule's current (fractional) lod during progressive training.
    public var lod: Float = 0
    /// Set by `freeze()`: what renders derive from the weights, kept across renders.
    public private(set) var frozenWeights: FrozenWeights?

    /// A freshly initialised generator (official initialisation), deterministic in `seed`.
    /// With `initialize` false every value is zero: for a generator about to be filled
    /// from a file, which then costs no random draws.
    public convenience init(config: StyleGANConfig, seed: UInt64 = 0, initialize: Bool = true) {
        self.init(config: config, seed: seed, initialize: initialize) { ParameterSet(specs: $0, seed: seed, initialize: initialize) }
    }

    /// A generator whose parameters the caller fills completely before any use (the
    /// weights file loader); noise maps and the w average are zero.
    convenience init(unfilledConfig config: StyleGANConfig) {
        self.init(config: config, seed: 0, initialize: false) { ParameterSet(unfilledSpecs: $0) }
    }

    private init(config: StyleGANConfig, seed: UInt64, initialize: Bool, parameters: ([ParameterSpec]) -> ParameterSet) {
        self.config = config
        mapping = MappingNetwork(config: config)
        synthesis = SynthesisNetwork(config: config)
        params = parameters(mapping.parameterSpecs + synthesis.parameterSpecs)
        dlatentAvg = Tensor.zeros([config.dlatentSize])
        noiseMaps = synthesis.noiseShapes.enumerated().map { i, shape in
            initialize ? Tensor.randomNormal(shape, seed: seed &+ 0x6e6f697365 &+ UInt64(i)) : Tensor.zeros(shape)
        }
    }

    /// Trainable parameters a generator of `config` has (computed from the specs alone).
    public static func parameterCount(config: StyleGANConfig) -> Int {
        (MappingNetwork(config: config).parameterSpecs + SynthesisNetwork(config: config).parameterSpecs)
            .reduce(0) { $0 + Shape.count($1.shape) }
    }

    /// A copy with its own parameters and buffers (for the EMA generator).
    public init(copying other: Generator) {
        config = other.config
        mapping = other.mapping
        synthesis = other.synthesis
        params = other.params.copy()
        dlatentAvg = other.dlatentAvg.copy()
        noiseMaps = other.noiseMaps.map { $0.copy() }
        lod = other.lod
    }

    /// z [N, latentSize] → w [N, dlatentSize].
    public func map(_ z: Tensor) -> Tensor { mapping(z, params: params) }

    /// w [N, D] → [N, numLayers, D], truncated towards w̄ as w̄ + ψ(w − w̄) on layers
    /// below `cutoff` (ψ = 1 disables truncation).
    public func dlatents(from w: Tensor, psi: Float = 1, cutoff: Int? = nil) -> Tensor {
        let (n, d, layers) = (w.shape[0], config.dlatentSize, config.numLayers)
        return truncate(broadcast(reshape(w, [n, 1, d]), to: [n, layers, d]), psi: psi, cutoff: cutoff)
    }

    /// Truncation of arbitrary dlatents [N, numLayers, D] (e.g. read from a file):
    /// w̄ + ψ(w − w̄) on layers below `cutoff` (default: the config's), unchanged above.
    public func truncate(_ dlatents: Tensor, psi: Float, cutoff: Int? = nil) -> Tensor {
        let (d, layers) = (config.dlatentSize, config.numLayers)
        precondition(dlatents.rank == 3 && dlatents.shape[1] == layers && dlatents.shape[2] == d,
                     "truncate: dlatents \(dlatents.shape), expected [N, \(layers), \(d)]")
        guard psi != 1 else { return dlatents }
        let cut = min(max(cutoff ?? config.truncationCutoff, 0), layers)
        guard cut > 0 else { return dlatents }
        let avg = reshape(dlatentAvg, [1, 1, d])
        let truncated = avg + (slice(dlatents, axis: 1, start: 0, length: cut) - avg) * psi
        return cut == layers ? truncated : concat([truncated, slice(dlatents, axis: 1, start: cut, length: layers - cut)], axis: 1)
    }

    /// Style mixing at a crossover (training): layers below `crossover` take rows of `a`,
    /// the rest rows of `b` (both [N, numLayers, D]).
    public func mix(_ a: Tensor, _ b: Tensor, crossover: Int) -> Tensor {
        let layers = config.numLayers
        let k = min(max(crossover, 0), layers)
        if k == layers { return a }
        if k == 0 { return b }
        return mix(a, b, layers: k...(layers - 1))
    }

    /// The noise tensors for a batch of `n` images.
    public func noise(_ mode: NoiseMode, batch n: Int) -> [Tensor] {
        switch mode {
        case .constant:
            return noiseMaps
        case .random(let seeds):
            precondition(seeds.count == n, "noise: \(seeds.count) seeds for a batch of \(n)")
            return synthesis.noiseShapes.enumerated().map { layer, s in
                let maps = seeds.map { seed in
                    Tensor.randomNormal([1, 1, s[2], s[3]], seed: seed &* 0x9e37_79b9 &+ UInt64(layer))
                }
                return maps.count == 1 ? maps[0] : concat(maps, axis: 0)
            }
        }
    }

    /// Images [N, C, R, R] in [-1, 1] (nominally) from dlatents [N, numLayers, D], at the
    /// native resolution R = 2^(log2(resolution) − floor(lod)) of `lod` (default: `self.lod`).
    public func synthesize(_ dlatents: Tensor, noise: NoiseMode = .constant, lod: Float? = nil) -> Tensor {
        synthesis(dlatents, params: params, noise: self.noise(noise, batch: dlatents.shape[0]), lod: lod ?? self.lod)
    }

    /// Images [N, C, resolution, resolution] from dlatents [N, numLayers, D] and explicit
    /// noise maps (one per layer, [N or 1, 1, H, W]) at `self.lod`, recording when
    /// gradients are on (projection optimises both); below full detail the native output
    /// is pixel-replicated to full size.
    public func synthesize(_ dlatents: Tensor, noiseMaps maps: [Tensor]) -> Tensor {
        var images = synthesis(dlatents, params: params.frozen(), noise: maps, lod: lod)
        while images.shape[2] < config.resolution { images = upsampleNearest2x(images) }
        return images
    }

    /// Images [N, C, resolution, resolution] from dlatents at `self.lod`, without recording:
    /// below full detail the native output is pixel-replicated to full size, as the
    /// official G's output always is.
    public func render(_ dlatents: Tensor, noise: NoiseMode = .constant) -> Tensor {
        inferring {
            var images = frozenWeights.map { kept in kept.use { synthesize(dlatents, noise: noise) } }
                ?? synthesize(dlatents, noise: noise)
            while images.shape[2] < config.resolution { images = upsampleNearest2x(images) }
            return images
        }
    }

    /// Promises that the parameters will not change from now on (a model loaded to be
    /// sampled, never trained), so renders keep the scaled weights and transformed
    /// filters they derive from them (`FrozenWeights`) instead of recomputing them: less
    /// work per render, more memory (up to 4x the synthesis weights), and the same images
    /// up to the inference kernels' rounding (see `FrozenWeights`).
    public func freeze() {
        if frozenWeights == nil { frozenWeights = FrozenWeights(params.tensors) }
    }

    /// z → images [N, C, resolution, resolution] with truncation (ψ, cutoff), without recording.
    public func generate(_ z: Tensor, psi: Float = 1, cutoff: Int? = nil, noise: NoiseMode = .constant) -> Tensor {
        inferring { render(dlatents(from: map(z), psi: psi, cutoff: cutoff), noise: noise) }
    }

    /// Latent vector of a seed: `np.random.RandomState(seed).randn(latentSize)`, as the
    /// official scripts draw it.
    public func latent(seed: UInt32) -> [Float] {
        var rng = NumpyRandomState(seed: seed)
        return rng.gaussians(config.latentSize)
    }
}

extension Generator {
    /// Bytes of the largest activation one image makes in the synthesis network
    /// (channels × pixels of the finest block, float32).
    public var largestActivationBytes: Int {
        (2...config.log2Resolution).map { config.channels(atLog2Resolution: $0) << (2 * $0) }.max()! * 4
    }

    /// A batch size for inference whose activations fit `memoryBudget` bytes (`maxBatch`)
    /// and run fastest: batching helps the small layers, but once one layer's activation
    /// for the batch outgrows `fastBatchBytes` the large layers stream memory instead.
    /// Clamped to 1…16. Measured with the in-cache Winograd chunks (session 12, 2 cores,
    /// whole-process `generate` of official-config models, alternated): 16 seeds at 256²
    /// batch 2 / 4 / 8: 3.98–4.27 / 3.32–3.47 / 3.14–3.47 s (peak 415 / 632 / 1015 MB);
    /// at 64² batch 8 / 16: 1.43–1.88 / 1.31–1.59 s; 4 seeds at 1024² batch 1 / 2:
    /// 2.60–2.87 / 2.46–2.56 s but 685 MB / 1.04 GB, so 1024² stays at 1.
    public func defaultBatch(memoryBudget: Int) -> Int {
        max(min(maxBatch(memoryBudget: memoryBudget), Self.fastBatchBytes / largestActivationBytes, 16), 1)
    }

    /// The largest single activation of a batch for which batching still pays.
    public static let fastBatchBytes = 64 << 20

    /// The largest inference batch whose activations fit `memoryBudget` bytes (at least 1).
    public func maxBatch(memoryBudget: Int) -> Int { max(memoryBudget / (8 * largestActivationBytes), 1) }

    /// Memory an explicit `--batch` may use: 4 GiB of activations.
    public static let batchMemoryLimit = 4 << 30
}
