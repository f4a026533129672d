import CKernels

/// Instance normalisation of x [N, C, H, W] over H, W: (x − mean) / √(var + eps), no affine.
///
/// While recording it is composed of primitives (so it has every derivative); without
/// recording it runs the fused statistics + apply kernels.
public func instanceNorm(_ x: Tensor, epsilon: Float = 1e-8) -> Tensor {
    precondition(x.rank == 4, "instanceNorm: input \(x.shape) must be [N, C, H, W]")
    if GradMode.isEnabled && x.requiresGrad {
        let centered = x - mean(x, axes: [2, 3], keepDims: true)
        let variance = mean(square(centered), axes: [2, 3], keepDims: true)
        return centered * rsqrt(variance + epsilon)
    }
    let planes = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3]
    let stats = Tensor(uninitializedShape: [2, planes])
    let y = Tensor(uninitializedShape: x.shape)
    ck_instance_norm_stats(x.data, stats.data, stats.data + planes, Int64(planes), Int64(hw), epsilon)
    ck_instance_norm_apply(x.data, stats.data, stats.data + planes, y.data, Int64(planes), Int64(hw))
    return y
}

/// Minibatch standard deviation (ProGAN/StyleGAN, one feature): x [N, C, H, W] →
/// [N, C+1, H, W]. Samples form groups of G = min(groupSize, N) strided members
/// {m, m+M, …} (M = N/G); the extra channel holds, for every member of a group, the
/// mean over C, H, W of the group's standard deviation (biased variance + 1e-8).
public func minibatchStddev(_ x: Tensor, groupSize: Int = 4) -> Tensor {
    precondition(x.rank == 4, "minibatchStddev: input \(x.shape) must be [N, C, H, W]")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let g = min(groupSize, n)
    precondition(n % g == 0, "minibatchStddev: batch \(n) is not divisible by group size \(g)")
    let m = n / g
    let grouped = reshape(x, [g, m, c, h, w])                                  // [G, M, C, H, W]
    let centered = grouped - mean(grouped, axes: [0], keepDims: true)
    let stddev = sqrt(mean(square(centered), axes: [0]) + 1e-8)               // [M, C, H, W]
    let perGroup = mean(stddev, axes: [1, 2, 3], keepDims: true)              // [M, 1, 1, 1]
    let tiled = broadcast(reshape(perGroup, [1, m, 1, 1, 1]), to: [g, m, 1, h, w])
    return concat([x, reshape(tiled, [n, 1, h, w])], axis: 1)
}
