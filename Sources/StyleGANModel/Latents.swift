import Foundation
import StyleGANTensor

/// How a latent walk moves between key vectors.
public enum LatentInterpolation: String, CaseIterable, Sendable {
    /// Straight line: a + (b − a)·t.
    case lerp
    /// Spherical interpolation of the directions with linearly interpolated length, so
    /// Gaussian latents keep a typical norm along the walk (lerp when a vector is zero or
    /// the two are nearly parallel).
    case slerp
    /// A uniform Catmull-Rom spline through the keys: smooth at every key, not just
    /// continuous. Between two keys alone (ends repeated) it eases in and out.
    case cubic

    /// The point at `t` ∈ [0, 1] between `a` and `b` (equal lengths).
    public func callAsFunction(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        precondition(a.count == b.count, "interpolation: vectors of \(a.count) and \(b.count) values")
        switch self {
        case .lerp: return Self.straight(a, b, t)
        case .slerp: return Self.spherical(a, b, t)
        case .cubic: return Self.catmullRom(a, a, b, b, t)
        }
    }

    /// a + (b − a)·t.
    public static func straight(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] { zip(a, b).map { $0 + ($1 - $0) * t } }

    /// Spherical interpolation of the directions, lengths interpolated linearly.
    public static func spherical(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        let na = sqrt(a.reduce(0) { $0 + $1 * $1 }), nb = sqrt(b.reduce(0) { $0 + $1 * $1 })
        guard na > 0, nb > 0 else { return straight(a, b, t) }
        let cosine = min(max(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / (na * nb), -1), 1)
        let omega = acos(cosine)
        guard omega > 1e-4 else { return straight(a, b, t) }
        let s = sin(omega)
        let (wa, wb) = (sin((1 - t) * omega) / s, sin(t * omega) / s)
        let length = na + (nb - na) * t
        return zip(a, b).map { (wa * $0 / na + wb * $1 / nb) * length }
    }

    /// The uniform Catmull-Rom segment from p1 (t = 0) to p2 (t = 1), tangents set by the
    /// neighbours p0 and p3.
    public static func catmullRom(_ p0: [Float], _ p1: [Float], _ p2: [Float], _ p3: [Float], _ t: Float) -> [Float] {
        let (t2, t3) = (t * t, t * t * t)
        // Basis weights of p0 … p3.
        let w0 = 0.5 * (-t + 2 * t2 - t3), w1 = 0.5 * (2 - 5 * t2 + 3 * t3)
        let w2 = 0.5 * (t + 4 * t2 - 3 * t3), w3 = 0.5 * (-t2 + t3)
        return (0..<p1.count).map { w0 * p0[$0] + w1 * p1[$0] + w2 * p2[$0] + w3 * p3[$0] }
    }
}

/// How time runs within each leg of a walk.
public enum LatentEasing: String, CaseIterable, Sendable {
    /// Constant speed.
    case linear
    /// Slow in and out at every key (smoothstep 3t² − 2t³).
    case smooth

    public func callAsFunction(_ t: Float) -> Float { self == .linear ? t : t * t * (3 - 2 * t) }
}

/// Where a latent walk interpolates: z (the inputs, mapped after interpolation) or w
/// (the mapped latents).
public enum LatentSpace: String, CaseIterable, Sendable { case z, w }

/// A walk through key latents, `framesPerKey` frames from each key to the next (and back
/// to the first when `loop`), computed one frame at a time so a long walk costs no
/// memory up front. Keys are flat vectors (z, w, or a whole [layers, D] dlatent).
public struct LatentWalk: Sendable {
    public let keys: [[Float]]
    public let framesPerKey: Int
    public let loop: Bool
    public let mode: LatentInterpolation
    public let easing: LatentEasing

    /// Needs at least two keys of equal length and `framesPerKey` ≥ 1.
    public init(keys: [[Float]], framesPerKey: Int, loop: Bool, mode: LatentInterpolation, easing: LatentEasing = .linear) {
        precondition(keys.count >= 2 && framesPerKey >= 1 && keys.allSatisfy { $0.count == keys[0].count }, "LatentWalk: bad keys or frame count")
        self.keys = keys
        self.framesPerKey = framesPerKey
        self.loop = loop
        self.mode = mode
        self.easing = easing
    }

    /// Frames in the walk: one per step of each leg, plus the last key when not looping.
    public var frameCount: Int {
        let legs = loop ? keys.count : keys.count - 1
        return legs * framesPerKey + (loop ? 0 : 1)
    }

    /// The latent of frame `index` (0 ..< frameCount).
    public func frame(_ index: Int) -> [Float] {
        let leg = index / framesPerKey, step = index % framesPerKey
        let legs = loop ? keys.count : keys.count - 1
        guard leg < legs else { return keys[keys.count - 1] }
        let t = easing(Float(step) / Float(framesPerKey))
        guard mode == .cubic else { return mode(keys[leg], keys[(leg + 1) % keys.count], t) }
        // Neighbours wrap around a loop and repeat the end keys of an open walk.
        func key(_ i: Int) -> [Float] {
            loop ? keys[(i % keys.count + keys.count) % keys.count] : keys[min(max(i, 0), keys.count - 1)]
        }
        return LatentInterpolation.catmullRom(key(leg - 1), key(leg), key(leg + 1), key(leg + 2), t)
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
