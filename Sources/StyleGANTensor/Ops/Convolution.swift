import CKernels

/// Geometry of one convolution, shared by its three primitives.
struct ConvGeometry {
    var shape: ck_conv_shape

    /// x [N, Cin, H, W], weight [Cout, Cin, kh, kw]; output size derived unless given.
    init(input x: [Int], weight w: [Int], stride: Int, padding: Int, op: String) {
        precondition(x.count == 4 && w.count == 4, "\(op): input \(x) and weight \(w) must be 4-D (NCHW, OIHW)")
        precondition(x[1] == w[1], "\(op): input \(x) has \(x[1]) channels but weight \(w) expects \(w[1])")
        precondition(stride >= 1 && padding >= 0, "\(op): stride \(stride) and padding \(padding) must be positive")
        precondition(x[2] + 2 * padding >= w[2] && x[3] + 2 * padding >= w[3],
                     "\(op): kernel \(w) larger than padded input \(x)")
        shape = ck_conv_shape(n: Int32(x[0]), cin: Int32(x[1]), h: Int32(x[2]), w: Int32(x[3]),
                              cout: Int32(w[0]), kh: Int32(w[2]), kw: Int32(w[3]),
                              stride: Int32(stride), pad: Int32(padding), ho: 0, wo: 0)
        ck_conv_shape_finish(&shape)
    }

    var inputShape: [Int] { [Int(shape.n), Int(shape.cin), Int(shape.h), Int(shape.w)] }
    var weightShape: [Int] { [Int(shape.cout), Int(shape.cin), Int(shape.kh), Int(shape.kw)] }
    var outputShape: [Int] { [Int(shape.n), Int(shape.cout), Int(shape.ho), Int(shape.wo)] }
    var stride: Int { Int(shape.stride) }
    var padding: Int { Int(shape.pad) }

    var workspace: UnsafeMutablePointer<Float> {
        var s = shape
        return Workspace.pointer(floats: ck_conv2d_workspace_floats(&s))
    }

    /// Scratch for the inference pass (its F(4x4, 3x3) buffers are larger than training's).
    var inferenceWorkspace: UnsafeMutablePointer<Float> {
        var s = shape
        return Workspace.pointer(floats: ck_conv2d_inference_workspace_floats(&s))
    }
}

/// 2-D cross-correlation (PyTorch's conv2d), zero padding, no bias.
/// x [N, Cin, H, W], weight [Cout, Cin, kh, kw] → [N, Cout, Ho, Wo].
public func conv2d(_ x: Tensor, _ weight: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
    conv2d(x, weight, ConvGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding, op: "conv2d"))
}

/// Inside `inferring` the forward runs the inference entry point: the same plan and values,
/// with the filter a frozen generator keeps (see winograd.c).
func conv2d(_ x: Tensor, _ weight: Tensor, _ geo: ConvGeometry) -> Tensor {
    let y = Tensor(uninitializedShape: geo.outputShape)
    var s = geo.shape
    if GradMode.usesInferenceKernels {
        let filter = FrozenWeights.inferenceFilter(weight, shape: s, rotated: false)
        ck_conv2d_forward_inference(&s, x.data, weight.data, filter?.data, y.data, geo.inferenceWorkspace)
    } else {
        ck_conv2d_forward(&s, x.data, weight.data, y.data, geo.workspace)
    }
    return recorded(y, op: "conv2d", inputs: [x, weight]) { g, needs in
        [needs[0] ? convTranspose2d(g, weight, geo) : nil,
         needs[1] ? conv2dWeightGradient(x, g, geo) : nil]
    }
}

/// conv2d(upsampleNearest2x(x), weight, padding: 1) for a 3x3 weight [Cout, Cin, 3, 3];
/// x [N, Cin, H, W] → [N, Cout, 2H, 2W]. Inside `inferring`, for the shapes the kernels plan
/// to F(4x4, 3x3), the conv reads x through the upsampling and the 4x larger map never
/// exists (`upsampledConv3x3IsFused`); otherwise it is exactly those two ops.
public func upsampledConv3x3(_ x: Tensor, _ weight: Tensor) -> Tensor {
    upsampledConv3x3Inference(x, weight) ?? conv2d(upsampleNearest2x(x), weight, padding: 1)
}

/// The fused inference kernel of `upsampledConv3x3`, with the weight's taps rotated by 180°
/// when `rotated` (the form the official transposed up-conv takes); nil where the kernels
/// do not take the shape, and always outside `inferring`.
public func upsampledConv3x3Inference(_ x: Tensor, _ weight: Tensor, rotated: Bool = false) -> Tensor? {
    guard let geo = fusedUpsampledGeometry(input: x.shape, weight: weight.shape) else { return nil }
    let kept = FrozenWeights.keepsFilter(weight)
    let y = Tensor(uninitializedShape: geo.outputShape)
    var s = geo.shape
    let filter = kept ? FrozenWeights.inferenceFilter(weight, shape: s, rotated: rotated) : nil
    precondition(filter != nil || !kept, "upsampledConv3x3: no kept filter for a shape planned with one")
    let status = ck_conv2d_upsample_inference(&s, rotated ? 1 : 0, x.data, weight.data, filter?.data, y.data,
                                              geo.inferenceWorkspace)
    precondition(status == 0, "upsampledConv3x3: kernel refused a shape it planned")
    return y
}

/// Whether `upsampledConv3x3` skips the upsampled map for an input and weight of these
/// shapes (only inside `inferring`).
public func upsampledConv3x3IsFused(input: [Int], weight: [Int]) -> Bool {
    fusedUpsampledGeometry(input: input, weight: weight) != nil
}

/// The conv on the upsampled map, when the fused inference kernel takes it.
private func fusedUpsampledGeometry(input x: [Int], weight w: [Int]) -> ConvGeometry? {
    guard GradMode.usesInferenceKernels, x.count == 4, w.count == 4, w[2] == 3, w[3] == 3, x[1] == w[1] else { return nil }
    let geo = ConvGeometry(input: [x[0], x[1], 2 * x[2], 2 * x[3]], weight: w, stride: 1, padding: 1, op: "upsampledConv3x3")
    var s = geo.shape
    return ck_conv2d_upsample_fusable(&s) != 0 ? geo : nil
}

/// Transposed convolution: the adjoint of `conv2d` with respect to its input.
/// x [N, Cout, Ho, Wo], weight [Cout, Cin, kh, kw] (PyTorch's conv_transpose2d layout
/// [in, out, kh, kw]) → [N, Cin, H, W], where H, W are `outputSize` (default: the
/// smallest size a conv2d with this stride and padding maps onto Ho, Wo).
public func convTranspose2d(_ x: Tensor, _ weight: Tensor, stride: Int = 1, padding: Int = 0,
                            outputSize: (height: Int, width: Int)? = nil) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4, "convTranspose2d: input \(x.shape) and weight \(weight.shape) must be 4-D")
    precondition(x.shape[1] == weight.shape[0], "convTranspose2d: input \(x.shape) has \(x.shape[1]) channels but weight \(weight.shape) expects \(weight.shape[0])")
    let h = outputSize?.height ?? (x.shape[2] - 1) * stride + weight.shape[2] - 2 * padding
    let w = outputSize?.width ?? (x.shape[3] - 1) * stride + weight.shape[3] - 2 * padding
    let geo = ConvGeometry(input: [x.shape[0], weight.shape[1], h, w], weight: weight.shape,
                           stride: stride, padding: padding, op: "convTranspose2d")
    precondition(geo.outputShape == x.shape, "convTranspose2d: output size \(h)x\(w) does not map back onto input \(x.shape)")
    return convTranspose2d(x, weight, geo)
}

func convTranspose2d(_ gy: Tensor, _ weight: Tensor, _ geo: ConvGeometry) -> Tensor {
    gy.expectShape(geo.outputShape, "convTranspose2d")
    let gx = Tensor(uninitializedShape: geo.inputShape)
    var s = geo.shape
    ck_conv2d_input_grad(&s, gy.data, weight.data, gx.data, geo.workspace)
    return recorded(gx, op: "convTranspose2d", inputs: [gy, weight]) { h, needs in
        [needs[0] ? conv2d(h, weight, geo) : nil,
         needs[1] ? conv2dWeightGradient(h, gy, geo) : nil]
    }
}

/// The adjoint of `conv2d` with respect to its weight: x [N, Cin, H, W] and the output
/// gradient gy [N, Cout, Ho, Wo] → [Cout, Cin, kh, kw].
func conv2dWeightGradient(_ x: Tensor, _ gy: Tensor, _ geo: ConvGeometry) -> Tensor {
    x.expectShape(geo.inputShape, "conv2dWeightGradient input")
    gy.expectShape(geo.outputShape, "conv2dWeightGradient output gradient")
    let gw = Tensor(uninitializedShape: geo.weightShape)
    var s = geo.shape
    ck_conv2d_weight_grad(&s, x.data, gy.data, gw.data, geo.workspace)
    return recorded(gw, op: "conv2dWeightGradient", inputs: [x, gy]) { k, needs in
        [needs[0] ? convTranspose2d(gy, k, geo) : nil,
         needs[1] ? conv2d(x, k, geo) : nil]
    }
}
