import Foundation
import StyleGANModel
import StyleGANTensor

/// The loss terms of projection. None needs a downloaded network: a multi-scale pixel
/// distance, an optional distance between the model's own discriminator features, and
/// the official noise-map regulariser.
public enum ProjectionLoss {
    /// Mean squared Laplacian-pyramid difference of images x and target [N, C, H, W]:
    /// Σ over levels of the mean of (L_k(x) − L_k(t))², with L_k = G_k − up(G_{k+1}),
    /// G_{k+1} = box-downsampled G_k, down to 4×4 (the last level is G itself). A level's
    /// mean is over its own pixels, so coarse structure weighs as much as fine detail
    /// and the optimiser is not trapped matching texture before layout.
    public static func pyramid(_ x: Tensor, _ target: Tensor) -> Tensor {
        precondition(x.shape == target.shape && x.rank == 4, "pyramid: images \(x.shape) and \(target.shape)")
        // The pyramid is linear, so the pyramid of the difference is the difference of pyramids.
        var g = x - target
        var total: Tensor?
        while g.shape[2] > 4 && g.shape[2] % 2 == 0 && g.shape[3] % 2 == 0 {
            let coarse = downsampleBox2x(g)
            let term = mean(square(g - upsampleNearest2x(coarse)))
            total = total.map { $0 + term } ?? term
            g = coarse
        }
        let last = mean(square(g))
        return total.map { $0 + last } ?? last
    }

    /// Distance between discriminator features of x and of the target (`targetFeatures`,
    /// computed once): Σ over levels of mean((f(x) − f(t))²) / mean(f(t)²), so every
    /// level counts alike whatever its scale. D's weights stay fixed.
    public static func features(_ x: Tensor, discriminator: Discriminator, frozen: ParameterSet,
                                targetFeatures: [Tensor]) -> Tensor {
        let fx = discriminator.features(x, params: frozen)
        precondition(fx.count == targetFeatures.count, "features: \(fx.count) levels against \(targetFeatures.count)")
        var total: Tensor?
        for (a, t) in zip(fx, targetFeatures) {
            let scale = max(t.scalars.reduce(0) { $0 + $1 * $1 } / Float(t.count), 1e-8)
            let term = mean(square(a - t)) / scale
            total = total.map { $0 + term } ?? term
        }
        return total!
    }

    /// The official projector's noise regulariser: per map [1, 1, H, W], the squared
    /// mean autocorrelation at a one-pixel shift along each axis, summed over the map's
    /// 2× box pyramid down to 8×8 (maps of 8×8 and smaller count once). Zero for white
    /// noise; it keeps the maps from hiding the image in correlated structure.
    public static func noiseRegularization(_ maps: [Tensor]) -> Tensor {
        var total: Tensor?
        for map in maps {
            var n = map
            while true {
                let term = square(mean(n * roll(n, axis: 3))) + square(mean(n * roll(n, axis: 2)))
                total = total.map { $0 + term } ?? term
                if n.shape[2] <= 8 { break }
                n = downsampleBox2x(n)
            }
        }
        return total!
    }

    /// x shifted cyclically by one along `axis` (the last element comes first).
    static func roll(_ x: Tensor, axis: Int) -> Tensor {
        let size = x.shape[axis]
        guard size > 1 else { return x }
        return concat([slice(x, axis: axis, start: size - 1, length: 1), slice(x, axis: axis, start: 0, length: size - 1)], axis: axis)
    }

    /// Peak signal-to-noise ratio in dB of images in [-1, 1] (pixel range 2).
    public static func psnr(_ x: Tensor, _ target: Tensor) -> Double {
        precondition(x.count == target.count, "psnr: \(x.count) and \(target.count) values")
        var sum = 0.0
        for (a, b) in zip(x.scalars, target.scalars) {
            let d = Double(min(max(a, -1), 1) - b) / 2
            sum += d * d
        }
        let mse = sum / Double(x.count)
        return mse > 0 ? 10 * log10(1 / mse) : .infinity
    }
}
