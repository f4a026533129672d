import Foundation
import StyleGANModel
import StyleGANTensor

/// ProGAN's sliced Wasserstein distance between two image sets (reference §8.1):
/// Laplacian pyramid down to 16 px (5×5 binomial filter, mirror borders), 128 random
/// 7×7×3 neighbourhoods per level per image, per-channel normalisation of each set,
/// 4 × 128 random unit projections, mean |sorted(A·d) − sorted(B·d)|, reported ×10³
/// per level and averaged.
public struct SlicedWasserstein: Sendable {
    public let resolution: Int
    public var descriptorsPerImage = 128
    public var repeats = 4
    public var directionsPerRepeat = 128
    static let neighbourhood = 7

    /// Smallest image size SWD is defined for (its 7×7 descriptors on a 16-px level).
    public static let minimumResolution = 16

    /// `resolution` must be a power of two of at least `minimumResolution`.
    public init(resolution: Int) {
        precondition(resolution >= Self.minimumResolution, "SWD needs images of at least \(Self.minimumResolution) px, got \(resolution)")
        self.resolution = resolution
    }

    /// Pyramid level resolutions, finest first (R … 16; just R when R ≤ 16).
    public var levels: [Int] {
        var r = resolution, out: [Int] = []
        repeat { out.append(r); r /= 2 } while r >= 16
        return out
    }

    public struct Result: Sendable {
        /// SWD ×10³ per level resolution.
        public var perLevel: [Int: Double]
        /// Mean over levels.
        public var average: Double
    }

    /// SWD between two sets of images [N, 3, R, R] in [-1, 1] (equal N); `seed` fixes the
    /// neighbourhood positions and projection directions.
    public func distance(reals: Tensor, fakes: Tensor, seed: UInt64) -> Result {
        precondition(reals.shape == fakes.shape && reals.rank == 4 && reals.shape[2] == resolution,
                     "SWD: image sets of shapes \(reals.shape) and \(fakes.shape) at \(resolution) px")
        let rng = CounterRandom(seed: seed)
        // Both sets draw neighbourhood positions from the same stream (positions are
        // independent of content), so identical sets give exactly 0.
        let a = descriptors(of: reals, rng: rng, stream: 1)
        let b = descriptors(of: fakes, rng: rng, stream: 1)
        var perLevel: [Int: Double] = [:]
        for (k, level) in levels.enumerated() {
            perLevel[level] = sliced(a[k], b[k], rng: rng, stream: UInt64(100 + k)) * 1e3
        }
        return Result(perLevel: perLevel, average: perLevel.values.reduce(0, +) / Double(perLevel.count))
    }

    /// Normalised descriptors per level: [count·128, 147] each.
    func descriptors(of images: Tensor, rng: CounterRandom, stream: UInt64) -> [[Float]] {
        let n = images.shape[0], r = resolution
        // Images as 0…255 values, as the official code feeds uint8 images.
        var level = images.scalars.map { (($0 * 127.5 + 127.5).rounded()).clamped(0, 255) }
        var size = r
        var out: [[Float]] = []
        for (k, _) in levels.enumerated() {
            let isLast = k == levels.count - 1
            var band = level
            var next: [Float] = []
            if !isLast {
                next = Self.pyrDown(level, planes: n * 3, size: size)
                let up = Self.pyrUp(next, planes: n * 3, size: size / 2)
                for i in 0..<band.count { band[i] -= up[i] }
            }
            out.append(Self.normalize(extract(band, images: n, size: size, rng: rng, stream: stream &* 64 &+ UInt64(k))))
            level = next
            size /= 2
        }
        return out
    }

    private func extract(_ band: [Float], images n: Int, size: Int, rng: CounterRandom, stream: UInt64) -> [Float] {
        let h = Self.neighbourhood, per = descriptorsPerImage
        var out = [Float](repeating: 0, count: n * per * 3 * h * h)
        var o = 0
        for i in 0..<n {
            for j in 0..<per {
                let idx = UInt64(i * per + j)
                let y = rng.int(stream, idx &* 2, below: size - h + 1)
                let x = rng.int(stream, idx &* 2 &+ 1, below: size - h + 1)
                for c in 0..<3 {
                    for dy in 0..<h {
                        let row = ((i * 3 + c) * size + y + dy) * size + x
                        for dx in 0..<h { out[o] = band[row + dx]; o += 1 }
                    }
                }
            }
        }
        return out
    }

    /// Per-colour-channel standardisation over all descriptors and positions.
    static func normalize(_ d: [Float]) -> [Float] {
        let h2 = neighbourhood * neighbourhood, dim = 3 * h2
        let count = d.count / dim
        var out = d
        for c in 0..<3 {
            var s = 0.0, q = 0.0
            for i in 0..<count { for p in 0..<h2 { let v = Double(d[i * dim + c * h2 + p]); s += v; q += v * v } }
            let m = s / Double(count * h2)
            let std = max((q / Double(count * h2) - m * m).squareRoot(), 1e-8)
            for i in 0..<count { for p in 0..<h2 { let k = i * dim + c * h2 + p; out[k] = Float((Double(d[k]) - m) / std) } }
        }
        return out
    }

    private func sliced(_ a: [Float], _ b: [Float], rng: CounterRandom, stream: UInt64) -> Double {
        let dim = 3 * Self.neighbourhood * Self.neighbourhood
        let (na, nb) = (a.count / dim, b.count / dim)
        let ta = Tensor(shape: [na, dim], values: a), tb = Tensor(shape: [nb, dim], values: b)
        var total = 0.0
        for rep in 0..<repeats {
            var dirs = Tensor.randomNormal([dim, directionsPerRepeat], seed: rng.derivedSeed(stream, UInt64(rep))).scalars
            for j in 0..<directionsPerRepeat {
                var norm: Float = 0
                for i in 0..<dim { norm += dirs[i * directionsPerRepeat + j] * dirs[i * directionsPerRepeat + j] }
                norm = norm.squareRoot()
                for i in 0..<dim { dirs[i * directionsPerRepeat + j] /= norm }
            }
            let d = Tensor(shape: [dim, directionsPerRepeat], values: dirs)
            // Projections as [directions, descriptors]: each direction's values contiguous.
            var (pa, pb) = withoutGradients {
                (matmul(d, ta, transposeA: true, transposeB: true).scalars, matmul(d, tb, transposeA: true, transposeB: true).scalars)
            }
            let sorted = Fused.sortRows(&pa, rows: directionsPerRepeat) && Fused.sortRows(&pb, rows: directionsPerRepeat)
            precondition(sorted, "SWD: out of memory sorting the projections")
            var sum = 0.0
            for j in 0..<directionsPerRepeat {
                let (ra, rb) = (j * na, j * nb)
                for i in 0..<min(na, nb) { sum += Double(abs(pa[ra + i] - pb[rb + i])) }
            }
            total += sum / Double(min(na, nb) * directionsPerRepeat)
        }
        return total / Double(repeats)
    }

    // MARK: Pyramid (scipy.ndimage mode 'mirror' = reflect without repeating the edge)

    static let binomial: [Float] = [1, 4, 6, 4, 1].map { $0 / 16 }

    static func mirror(_ i: Int, _ n: Int) -> Int {
        var i = i
        if n == 1 { return 0 }
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
        return i
    }

    /// Separable 5×5 binomial filter with mirror borders, times `gain`.
    static func blur(_ x: [Float], planes: Int, size: Int, gain: Float) -> [Float] {
        var tmp = [Float](repeating: 0, count: x.count), out = tmp
        for p in 0..<planes {
            let base = p * size * size
            for y in 0..<size { for xx in 0..<size {
                var s: Float = 0
                for k in 0..<5 { s += binomial[k] * x[base + y * size + mirror(xx + k - 2, size)] }
                tmp[base + y * size + xx] = s
            } }
            for y in 0..<size { for xx in 0..<size {
                var s: Float = 0
                for k in 0..<5 { s += binomial[k] * tmp[base + mirror(y + k - 2, size) * size + xx] }
                out[base + y * size + xx] = s * gain
            } }
        }
        return out
    }

    static func pyrDown(_ x: [Float], planes: Int, size: Int) -> [Float] {
        let b = blur(x, planes: planes, size: size, gain: 1), h = size / 2
        var out = [Float](repeating: 0, count: planes * h * h)
        for p in 0..<planes { for y in 0..<h { for xx in 0..<h {
            out[(p * h + y) * h + xx] = b[(p * size + 2 * y) * size + 2 * xx]
        } } }
        return out
    }

    static func pyrUp(_ x: [Float], planes: Int, size: Int) -> [Float] {
        let s2 = size * 2
        var z = [Float](repeating: 0, count: planes * s2 * s2)
        for p in 0..<planes { for y in 0..<size { for xx in 0..<size {
            z[(p * s2 + 2 * y) * s2 + 2 * xx] = x[(p * size + y) * size + xx]
        } } }
        return blur(z, planes: planes, size: s2, gain: 4)
    }

    /// `count` images from a generator's EMA weights without truncation and with random
    /// noise, as the official metrics sample them.
    public static func sample(_ g: Generator, count: Int, seed: UInt64, batch: Int = 32) -> Tensor {
        precondition(count >= 1, "SlicedWasserstein.sample: count \(count) < 1")
        return sample(g, count: count, seed: seed, batch: batch, share: MinibatchShare(rank: 0, size: 1))!
    }

    /// This process's contiguous part of the batches of `sample(_:count:seed:batch:)`,
    /// nil when it has none (more processes than batches); the parts in rank order are
    /// the whole sample.
    public static func sample(_ g: Generator, count: Int, seed: UInt64, batch: Int = 32, share: MinibatchShare) -> Tensor? {
        let starts = Array(stride(from: 0, to: count, by: batch))
        let mine = starts[(starts.count * share.rank / share.size)..<(starts.count * (share.rank + 1) / share.size)]
        var parts: [Tensor] = []
        for start in mine {
            let n = min(batch, count - start)
            let z = Tensor.randomNormal([n, g.config.latentSize], seed: seed &+ UInt64(start))
            parts.append(g.generate(z, psi: 1, noise: .random(seeds: (0..<n).map { seed &* 31 &+ UInt64(start + $0) })))
        }
        if parts.isEmpty { return nil }
        return withoutGradients { parts.count == 1 ? parts[0] : concat(parts, axis: 0) }
    }
}

extension Float {
    func clamped(_ lo: Float, _ hi: Float) -> Float { Swift.min(Swift.max(self, lo), hi) }
}
