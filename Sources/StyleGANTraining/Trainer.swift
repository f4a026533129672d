import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// Figures of one training iteration.
public struct StepStats: Sendable {
    public var kimg: Double
    public var lod: Float
    public var resolution: Int
    public var minibatch: Int
    public var lossG: Float
    public var lossD: Float
    /// The R1 penalty, on steps that compute it (every step, or every N-th with lazy R1).
    public var r1: Float?
    public var skipped: Bool
}

/// Progressive StyleGAN training: one D step (logistic + R1) and one G step
/// (non-saturating logistic) per minibatch, style mixing, w̄ tracking, the EMA
/// generator, Adam reset at phase changes, non-finite updates skipped.
///
/// All randomness is a function of (seed, step), so a run resumed from a snapshot
/// continues exactly as if it had not stopped.
public final class Trainer {
    public let options: TrainingOptions
    public let dataset: ImageDataset
    public let generator: Generator
    public let emaGenerator: Generator
    public let discriminator: Discriminator
    let adamG: Adam, adamD: Adam
    /// Real images shown to D so far, in thousands.
    public internal(set) var kimg: Double = 0
    /// Minibatches trained so far.
    public internal(set) var step: Int64 = 0
    /// Updates skipped because a gradient was not finite.
    public internal(set) var skippedUpdates = 0
    /// Steps in a row whose update was skipped for a non-finite gradient (0 after a good step).
    public private(set) var consecutiveSkips = 0
    /// Whether G, G_ema and D hold only finite values (checked before a snapshot is written).
    public var weightsAreFinite: Bool {
        generator.params.flat.isAllFinite && emaGenerator.params.flat.isAllFinite && discriminator.params.flat.isAllFinite
            && generator.dlatentAvg.isAllFinite
    }
    /// CRC-32 of G, G_ema, D and w̄: equal on every process of a group while they agree.
    public var weightsChecksum: UInt32 {
        [generator.params.flat, emaGenerator.params.flat, discriminator.params.flat, generator.dlatentAvg].reduce(CRC32.initial) { crc, t in
            CRC32.update(crc, with: UnsafeRawBufferPointer(start: t.data, count: t.count * MemoryLayout<Float>.size))
        }
    }
    /// Processes that trained the resumed snapshot (nil for a new run, or a snapshot from before process groups).
    public internal(set) var resumedProcesses: Int?
    /// The snapshot this trainer resumed from (nil for a new or fine-tuning run).
    public internal(set) var resumedFrom: String?
    /// Settings that differ from the resumed snapshot's (empty for a new run).
    public internal(set) var changesAtResume: [OptionChange] = []
    /// How a fine-tuning run was initialised where the file did not say (e.g. a fresh D).
    public internal(set) var initNotes: [String] = []
    var phaseKey: Int?
    private let rng: CounterRandom
    /// The processes sharing each minibatch (`distribute(over:)`); one by default.
    public private(set) var group: ProcessGroup = SingleProcess()
    /// Which samples of each minibatch this process computes.
    public private(set) var share = MinibatchShare(rank: 0, size: 1)

    /// The independent random streams of a run. The raw values, like the two counter
    /// constants below, decide every sample of every run (and exact resume across
    /// versions): they are pinned by `RandomStreamGoldenTests` and must never change.
    enum Stream: UInt64 {
        case data = 1, mirror = 2, latentD = 3, latentG = 4, mixD = 5, mixG = 6
        case noiseD = 7, noiseG = 8, mixChoiceD = 9, mixChoiceG = 10
    }
    /// Counter slots per step for per-sample draws (data index, flip, noise): the largest
    /// minibatch (`TrainingOptions.Limits.minibatch`).
    static let samplesPerStep: UInt64 = 4096
    /// Counter offset of the crossover draw within a step's mixing-choice stream.
    static let crossoverCounterOffset: UInt64 = 1_000_000

    /// The reals of step `step`: dataset indices and horizontal flips.
    func dataDraws(step: Int64, batch: Int) -> (indices: [Int], mirror: [Bool]) {
        let base = UInt64(step) &* Self.samplesPerStep
        let indices = (0..<batch).map { rng.int(Stream.data.rawValue, base &+ UInt64($0), below: dataset.count) }
        let mirror = (0..<batch).map { options.mirror && rng.uniform(Stream.mirror.rawValue, base &+ UInt64($0)) < 0.5 }
        return (indices, mirror)
    }

    /// Seed of the latents [batch, latentSize] of `stream` at `step`.
    func latentSeed(_ stream: Stream, step: Int64) -> UInt64 { rng.derivedSeed(stream.rawValue, UInt64(step)) }

    /// The style-mixing crossover of step `step` (nil: no mixing this step).
    func crossover(_ choice: Stream, step: Int64, activeLayers: Int) -> Int? {
        guard activeLayers > 1, rng.uniform(choice.rawValue, UInt64(step)) < Double(options.config.styleMixingProb) else { return nil }
        return 1 + rng.int(choice.rawValue, UInt64(step) &+ Self.crossoverCounterOffset, below: activeLayers - 1)
    }

    /// Per-image noise seeds of `stream` at `step`.
    func noiseSeeds(_ stream: Stream, step: Int64, batch: Int) -> [UInt64] {
        (0..<batch).map { rng.derivedSeed(stream.rawValue, UInt64(step) &* Self.samplesPerStep &+ UInt64($0)) }
    }

    /// A new run (official initialisation from the seed).
    public init(options: TrainingOptions, dataset: ImageDataset) throws {
        try options.validate()
        guard dataset.resolution == options.config.resolution else {
            throw ConfigError("dataset resolution \(dataset.resolution) differs from the model's \(options.config.resolution)")
        }
        self.options = options
        self.dataset = dataset
        rng = CounterRandom(seed: options.seed)
        generator = Generator(config: options.config, seed: options.seed &+ 1)
        generator.lod = options.schedule.lod(atKimg: 0)
        emaGenerator = Generator(copying: generator)
        discriminator = Discriminator(config: options.config, seed: options.seed &+ 2)
        adamG = Adam(count: generator.params.count)
        adamD = Adam(count: discriminator.params.count)
    }

    /// Shares every minibatch with the other processes of `group` (call once, before
    /// training): this process computes its `MinibatchShare` of the samples, each drawn
    /// from the same streams as one process would draw it, and gradients, w̄ and the
    /// logged losses are averaged over the group, so every process applies the same
    /// update. Throws when a minibatch does not split evenly; sets `groupNotes`.
    public func distribute(over group: ProcessGroup) throws {
        groupNotes = try MinibatchShare.check(options.schedule, mbstdGroupSize: options.config.mbstdGroupSize, processes: group.size)
        self.group = group
        share = MinibatchShare(rank: group.rank, size: group.size)
    }
    /// Where this group's results will differ from one process's (see `MinibatchShare.check`).
    public private(set) var groupNotes: [String] = []

    /// Rows `samples` of a [batch, …] tensor drawn for the whole minibatch (all of it for one process).
    private func ownRows(_ t: Tensor, _ samples: [Int]) -> Tensor {
        guard samples.count != t.shape[0] else { return t }
        let row = t.count / t.shape[0], all = t.scalars
        return Tensor(shape: [samples.count] + t.shape.dropFirst(), values: samples.flatMap { all[($0 * row)..<(($0 + 1) * row)] })
    }

    /// Averages a flat gradient over the group in place.
    private func averageOverGroup(_ t: Tensor) {
        guard group.size > 1 else { return }
        let k = 1 / Float(group.size)
        t.withMutableData { values in
            group.sumInPlace(values)
            for i in values.indices { values[i] *= k }
        }
    }

    // MARK: - One iteration

    /// Trains one minibatch (D step, then G step, then the EMA update).
    @discardableResult
    public func trainStep() -> StepStats {
        let schedule = options.schedule
        let lod = schedule.lod(atKimg: kimg)
        let batch = schedule.minibatch(atLod: lod)
        let lr = schedule.learningRate(atLod: lod)
        let progression = Progression(lod: lod, log2Resolution: options.config.log2Resolution)
        let key = Schedule.phaseKey(lod)
        if phaseKey != key {
            adamG.reset()
            adamD.reset()
            phaseKey = key
            BufferPool.drainShared()   // the previous phase's tensor sizes will not recur
        }
        generator.lod = lod        // the official G and Gs carry the lod they are trained at
        emaGenerator.lod = lod

        // D step: logistic loss on reals and (constant) fakes, plus R1 on reals on the steps
        // that regularise (all of them, or every N-th with weight γ·N: lazy R1).
        let r1 = r1Weight(atLod: lod)
        let samples = share.samples(ofBatch: batch)
        var reals = realBatch(batch: batch, samples: samples, progression: progression)
        if r1 != nil { reals = reals.requiringGrad() }
        let fakes = withoutGradients {
            synthesizeForTraining(batch: batch, samples: samples, lod: lod, latentStream: .latentD, mixStream: .mixD, choiceStream: .mixChoiceD, noiseStream: .noiseD)
        }
        let terms = Losses.discriminator(realScores: discriminator(reals, lod: lod),
                                         fakeScores: discriminator(fakes, lod: lod),
                                         reals: reals, r1Weight: r1)
        let gradD = discriminator.params.flatten(gradients(of: terms.total, withRespectTo: discriminator.params.tensors))
        averageOverGroup(gradD)
        var skipped = false
        if gradD.isAllFinite { adamD.update(discriminator.params, gradient: gradD, learningRate: lr) } else { skipped = true }

        // G step through the frozen D.
        let images = synthesizeForTraining(batch: batch, samples: samples, lod: lod, latentStream: .latentG, mixStream: .mixG, choiceStream: .mixChoiceG, noiseStream: .noiseG)
        let lossG = Losses.generator(fakeScores: discriminator(images, params: discriminator.params.frozen(), lod: lod))
        let gradG = generator.params.flatten(gradients(of: lossG, withRespectTo: generator.params.tensors))
        averageOverGroup(gradG)
        if gradG.isAllFinite { adamG.update(generator.params, gradient: gradG, learningRate: lr) } else { skipped = true }
        if skipped { skippedUpdates += 1; consecutiveSkips += 1 } else { consecutiveSkips = 0 }

        // Generator EMA (half-life in images); w̄ is copied, not averaged.
        let beta = options.emaHalfLifeKimg > 0 ? Float(pow(0.5, Double(batch) / (options.emaHalfLifeKimg * 1000))) : 0
        Fused.emaUpdate(emaGenerator.params.flat, toward: generator.params.flat, beta: beta)
        emaGenerator.dlatentAvg = generator.dlatentAvg.copy()

        step += 1
        kimg += Double(batch) / 1000
        var losses = [Double(lossG.item), Double(terms.logistic.item), Double(terms.r1Penalty?.item ?? 0)]
        if group.size > 1 { losses = group.sum(losses).map { $0 / Double(group.size) } }
        return StepStats(kimg: kimg, lod: lod, resolution: progression.resolution, minibatch: batch,
                         lossG: Float(losses[0]), lossD: Float(losses[1]), r1: terms.r1Penalty == nil ? nil : Float(losses[2]), skipped: skipped)
    }

    /// The R1 weight of this step, or nil when it computes no penalty: γ (times 4^−⌊lod⌋
    /// with the official scaling, see `TrainingOptions.r1OfficialScaling`) on every step, or
    /// γ·N on every N-th step with lazy R1 (`r1Interval` N).
    func r1Weight(atLod lod: Float) -> Float? {
        let interval = Int64(max(options.r1Interval, 1))
        guard options.r1Gamma > 0, step % interval == 0 else { return nil }
        let gamma = options.r1Gamma * (options.r1OfficialScaling ? pow(0.25, Float(Int(lod))) : 1)
        return gamma * Float(interval)
    }

    /// Reals at the lod's native resolution, mirrored at random and faded as G's output
    /// is: x + t·(up(down(x)) − x).
    func realBatch(batch: Int, samples: [Int], progression p: Progression) -> Tensor {
        let (indices, mirror) = dataDraws(step: step, batch: batch)
        let x = dataset.batch(indices: samples.map { indices[$0] }, mirror: samples.map { mirror[$0] }, resolution: p.resolution)
        guard p.fade > 0 else { return x }
        return withoutGradients { lerp(x, upsampleNearest2x(downsampleBox2x(x)), p.fade) }
    }

    /// G's training forward of this process's `samples` of a minibatch of `batch`: map z
    /// (tracking w̄), mix styles with probability p at a layer-granular crossover in
    /// [1, active layers), random noise, at `lod`.
    private func synthesizeForTraining(batch: Int, samples: [Int], lod: Float, latentStream: Stream, mixStream: Stream,
                                       choiceStream: Stream, noiseStream: Stream) -> Tensor {
        let g = generator, c = options.config
        let z = ownRows(Tensor.randomNormal([batch, c.latentSize], seed: latentSeed(latentStream, step: step)), samples)
        let w = g.map(z)
        trackAverage(w)
        var dlatents = g.dlatents(from: w)
        let activeLayers = Progression(lod: lod, log2Resolution: c.log2Resolution).activeLayers
        if let crossover = crossover(choiceStream, step: step, activeLayers: activeLayers) {
            let z2 = ownRows(Tensor.randomNormal([batch, c.latentSize], seed: latentSeed(mixStream, step: step)), samples)
            dlatents = g.mix(dlatents, g.dlatents(from: g.map(z2)), crossover: crossover)
        }
        let seeds = noiseSeeds(noiseStream, step: step, batch: batch)
        return g.synthesize(dlatents, noise: .random(seeds: samples.map { seeds[$0] }), lod: lod)
    }

    /// w̄ ← mean(w) + β·(w̄ − mean(w)), the mean over the whole minibatch (all processes).
    private func trackAverage(_ w: Tensor) {
        let batchMean = withoutGradients { mean(w.detached(), axes: [0]) }
        averageOverGroup(batchMean)
        let beta = options.config.dlatentAvgBeta
        generator.dlatentAvg = withoutGradients { lerp(batchMean, generator.dlatentAvg, beta) }
    }
}
