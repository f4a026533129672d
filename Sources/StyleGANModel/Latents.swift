import Foundation
import StyleGANTensor

/// How a latent walk moves between two key vectors.
public enum LatentInterpolation: String, CaseIterable, Sendable {
    /// Straight line: a + (b − a)·t.
    case lerp
    /// Spherical interpolation of the directions with linearly interpolated length, so
    /// Gaussian latents keep a typical norm along the walk (lerp when a vector is zero or
    /// the two are nearly parallel).
    case slerp

    /// The point at `t` ∈ [0, 1] between `a` and `b` (equal lengths).
    public func callAsFunction(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        precondition(a.count == b.count, "interpolation: vectors of \(a.count) and \(b.count) values")
        func lerp() -> [Float] { zip(a, b).map { $0 + ($1 - $0) * t } }
        guard self == .slerp else { return lerp() }
        let na = sqrt(a.reduce(0) { $0 + $1 * $1 }), nb = sqrt(b.reduce(0) { $0 + $1 * $1 })
        guard na > 0, nb > 0 else { return lerp() }
        let cosine = min(max(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / (na * nb), -1), 1)
        let omega = acos(cosine)
        guard omega > 1e-4 else { return lerp() }
        let s = sin(omega)
        let (wa, wb) = (sin((1 - t) * omega) / s, sin(t * omega) / s)
        let length = na + (nb - na) * t
        return zip(a, b).map { (wa * $0 / na + wb * $1 / nb) * length }
    }
}

/// Where a latent walk interpolates: z (the inputs, mapped after interpolation) or w
/// (the mapped latents).
public enum LatentSpace: String, CaseIterable, Sendable { case z, w }

/// A walk through key latents, `framesPerKey` frames from each key to the next (and back
/// to the first when `loop`), computed one frame at a time so a long walk costs no
/// memory up front.
public struct LatentWalk: Sendable {
    public let keys: [[Float]]
    public let framesPerKey: Int
    public let loop: Bool
    public let mode: LatentInterpolation

    /// Needs at least two keys of equal length and `framesPerKey` ≥ 1.
    public init(keys: [[Float]], framesPerKey: Int, loop: Bool, mode: LatentInterpolation) {
        precondition(keys.count >= 2 && framesPerKey >= 1 && keys.allSatisfy { $0.count == keys[0].count }, "LatentWalk: bad keys or frame count")
        self.keys = keys
        self.framesPerKey = framesPerKey
        self.loop = loop
        self.mode = mode
    }

    /// Frames in the walk: one per step of each leg, plus the last key when not looping.
    public var frameCount: Int {
        let legs = loop ? keys.count : keys.count - 1
        return legs * framesPerKey + (loop ? 0 : 1)
    }

    /// The latent of frame `index` (0 ..< frameCount).
    public func frame(_ index: Int) -> [Float] {
        let leg = index / framesPerKey, step = index % framesPerKey
        guard leg < (loop ? keys.count : keys.count - 1) else { return keys[keys.count - 1] }
        return mode(keys[leg], keys[(leg + 1) % keys.count], Float(step) / Float(framesPerKey))
    }
}

/// Layer ranges for style mixing (paper Fig. 3).
public enum StyleLayers {
    /// `coarse` (layers 0–3: 4²–8², pose and shape), `middle` (4–7: 16²–32², features),
    /// `fine` (8 and up: 64² and finer, colours and micro-structure) or an inclusive
    /// range `A-B`; throws unless it lies within the model's `numLayers`.
    public static func named(_ text: String, numLayers: Int) throws -> ClosedRange<Int> {
        let range: ClosedRange<Int>
        switch text {
        case "coarse": range = 0...3
        case "middle": range = 4...7
        case "fine": range = 8...max(8, numLayers - 1)
        default:
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a <= b else {
                throw ConfigError("styles must be coarse, middle, fine or A-B (0 ≤ A ≤ B), got '\(text)'")
            }
            range = a...b
        }
        guard range.lowerBound >= 0, range.upperBound < numLayers else {
            throw ConfigError("style layers \(range.lowerBound)-\(range.upperBound) outside this model's 0-\(numLayers - 1)")
        }
        return range
    }
}

extension Generator {
    /// Style mixing by layer range: dlatents [N, numLayers, D] taking `layers` from
    /// `source` and every other layer from `destination` (both [N, numLayers, D]).
    public func mix(_ destination: Tensor, _ source: Tensor, layers: ClosedRange<Int>) -> Tensor {
        let count = config.numLayers
        precondition(destination.shape == source.shape && destination.rank == 3 && destination.shape[1] == count,
                     "mix: dlatents \(destination.shape) and \(source.shape), expected equal [N, \(count), D]")
        let lo = min(max(layers.lowerBound, 0), count), hi = min(max(layers.upperBound + 1, lo), count)
        var parts: [Tensor] = []
        if lo > 0 { parts.append(slice(destination, axis: 1, start: 0, length: lo)) }
        if hi > lo { parts.append(slice(source, axis: 1, start: lo, length: hi - lo)) }
        if hi < count { parts.append(slice(destination, axis: 1, start: hi, length: count - hi)) }
        return parts.count == 1 ? parts[0] : concat(parts, axis: 1)
    }
}
