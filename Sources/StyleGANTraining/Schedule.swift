import Foundation

/// The progressive-growing schedule (reference §6.1): kimg → lod, resolution, minibatch
/// and learning rate. Each phase is `stableKimg` at a resolution, then `fadeKimg` of
/// fading in the next; during a fade the new resolution's minibatch and lr apply.
public struct Schedule: Codable, Equatable, Sendable {
    /// Final resolution (power of two).
    public var resolution: Int
    /// First trained resolution (official: 8).
    public var startResolution = 8
    public var stableKimg: Double = 600
    public var fadeKimg: Double = 600
    /// Minibatch per resolution; missing entries use `defaultMinibatch`.
    public var minibatch: [Int: Int] = [:]
    public var defaultMinibatch = 16
    /// Learning rate per resolution; missing entries use `defaultLearningRate`.
    public var learningRate: [Int: Float] = [:]
    public var defaultLearningRate: Float = 0.001

    public init(resolution: Int) { self.resolution = resolution }

    private var l: Int { Int(log2(Double(resolution)).rounded()) }

    /// Level of detail after `kimg` thousand real images.
    public func lod(atKimg kimg: Double) -> Float {
        let phaseLength = stableKimg + fadeKimg
        let phase = phaseLength > 0 ? (kimg / phaseLength).rounded(.down) : 0
        let within = kimg - phase * phaseLength
        let fading = fadeKimg > 0 ? max(within - stableKimg, 0) / fadeKimg : 0
        let lod = Double(l) - log2(Double(startResolution)) - phase - fading
        return Float(max(lod, 0))
    }

    /// Resolution whose minibatch and lr apply at this lod: 2^(L − ⌊lod⌋).
    public func resolution(atLod lod: Float) -> Int { 1 << (l - Int(lod.rounded(.down))) }

    /// Every minibatch the schedule can use (the table's and the default), ascending, once each.
    public var minibatches: [Int] { Set(Array(minibatch.values) + [defaultMinibatch]).sorted() }

    public func minibatch(atLod lod: Float) -> Int {
        minibatch[resolution(atLod: lod)] ?? defaultMinibatch
    }

    public func learningRate(atLod lod: Float) -> Float {
        learningRate[resolution(atLod: lod)] ?? defaultLearningRate
    }

    /// Identifies the phase: changes whenever ⌊lod⌋ or ⌈lod⌉ does (optimiser reset).
    public static func phaseKey(_ lod: Float) -> Int {
        Int(lod.rounded(.down)) * 1000 + Int(lod.rounded(.up))
    }
}
