import Foundation

/// NumPy's legacy `RandomState`: MT19937 seeded like `np.random.RandomState(seed)`
/// and the polar Box–Muller Gaussian of `randn`, so a seed yields the same latent
/// vector as the official StyleGAN scripts.
public struct NumpyRandomState: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624
    private var cachedGaussian: Double?

    /// `np.random.RandomState(seed)` for an integer seed in 0 ..< 2³².
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// Next raw 32-bit output of MT19937.
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
            var next = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { next ^= 0x9908_b0df }
            state[i] = next
        }
        index = 0
    }

    /// Uniform double in [0, 1) with 53 random bits (`random_sample`).
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// Standard normal sample (`randn`, legacy polar method with a cached pair).
    public mutating func nextGaussian() -> Double {
        if let g = cachedGaussian {
            cachedGaussian = nil
            return g
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2 * nextDouble() - 1
            x2 = 2 * nextDouble() - 1
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1 || r2 == 0
        let f = (-2 * _log(r2) / r2).squareRoot()
        cachedGaussian = f * x1
        return f * x2
    }

    /// `randn(count)` as float32.
    public mutating func gaussians(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float(nextGaussian()) }
    }

    /// A tensor of standard normal samples.
    public mutating func normal(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: gaussians(Shape.count(shape)).map { $0 * scale })
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
