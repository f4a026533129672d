import StyleGANTensor

/// f: z → w. Pixel-norm of z (once, ε 1e-8), then `mappingLayers` equalized dense layers
/// with leaky ReLU 0.2 after every one (lr multiplier 0.01 on weights and biases).
/// Parameter names: `mapping/Dense{i}/weight` [in, out], `mapping/Dense{i}/bias` [out].
public struct MappingNetwork: Sendable {
    public let config: StyleGANConfig
    public let scope = "mapping"

    public init(config: StyleGANConfig) { self.config = config }

    public var parameterSpecs: [ParameterSpec] {
        (0..<config.mappingLayers).flatMap { i in
            EqualizedLR.denseSpecs("\(scope)/Dense\(i)",
                                   inputs: i == 0 ? config.latentSize : config.mappingFmaps,
                                   outputs: i == config.mappingLayers - 1 ? config.dlatentSize : config.mappingFmaps,
                                   lrMul: config.mappingLRMul)
        }
    }

    /// z [N, latentSize] → w [N, dlatentSize].
    public func callAsFunction(_ z: Tensor, params: ParameterSet) -> Tensor {
        precondition(z.rank == 2 && z.shape[1] == config.latentSize,
                     "mapping: z has shape \(z.shape), expected [N, \(config.latentSize)]")
        var x = z * rsqrt(mean(square(z), axes: [1], keepDims: true) + 1e-8)
        for i in 0..<config.mappingLayers {
            x = equalizedDense(x, weight: params["\(scope)/Dense\(i)/weight"], bias: params["\(scope)/Dense\(i)/bias"],
                               gain: EqualizedLR.reluGain, lrMul: config.mappingLRMul)
            x = leakyRelu(x, slope: 0.2)
        }
        return x
    }
}
