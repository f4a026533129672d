import Foundation
import StyleGANModel

/// Everything that defines a training run; saved in every snapshot so a resume
/// continues with the same settings.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Folder of training images (searched recursively).
    public var dataDirectory: String
    /// Architecture (resolution, channel budget, mixing probability, …).
    public var config: StyleGANConfig
    /// Progressive schedule: phases, minibatch and lr per resolution.
    public var schedule: Schedule
    /// Length of the run in thousands of real images shown to D.
    public var totalKimg: Double = 1000
    /// R1 weight γ.
    public var r1Gamma: Float = 10
    /// Lazy R1 (StyleGAN2): the penalty is computed on every N-th D step with weight γ·N.
    /// 1 (every step) is the v1 algorithm.
    public var r1Interval = 1
    /// Apply γ as the official code effectively does when lower resolutions are trained
    /// at their native size: γ · 4^−⌊lod⌋ (reference §5.1). Off: γ at every resolution.
    public var r1OfficialScaling = true
    /// Half-life of the generator EMA in kimg.
    public var emaHalfLifeKimg: Double = 10
    /// Random horizontal flips of reals.
    public var mirror = true
    /// Seed of every random choice (initialisation, latents, noise, data order).
    public var seed: UInt64 = 0
    /// Kimg between log lines, sample grids and stats.
    public var tickKimg: Double = 4
    /// Ticks between snapshots.
    public var snapshotTicks = 5
    /// Ticks between SWD evaluations (0 = never) and images used for them.
    public var swdTicks = 0
    public var swdImages = 1024
    /// Use only the first N images of the folder (nil = all).
    public var dataLimit: Int?
    /// The weights file a fine-tuning run started from (nil: a run from scratch).
    public var initialWeights: String?
    /// Settings changed on resumes, oldest first, so a run stays explainable.
    public var history: [OptionChange] = []

    /// Resolution of a new run when none is given.
    public static let newRunResolution = 64

    /// A new run's settings before any option is given (what `stylegan train` starts from):
    /// the official architecture and settings with a schedule sized for a CPU, 60 + 60 kimg
    /// per resolution and 600 kimg in all (official: 600 + 600 and 12,000 at 1024²).
    public static func newRun(dataDirectory: String, resolution: Int) -> TrainingOptions {
        var o = TrainingOptions(dataDirectory: dataDirectory, config: StyleGANConfig.official(resolution: resolution))
        o.schedule.stableKimg = 60
        o.schedule.fadeKimg = 60
        o.totalKimg = 600
        o.snapshotTicks = 5
        return o
    }

    public init(dataDirectory: String, config: StyleGANConfig) {
        self.dataDirectory = dataDirectory
        self.config = config
        self.schedule = Schedule(resolution: config.resolution)
    }

    /// Bounds of the numeric settings (see also `StyleGANConfig.Limits`).
    public enum Limits {
        /// kimg of a run, a phase or a tick: a million kimg is a billion images.
        public static let kimg = 0.0...1_000_000
        public static let tickKimg = 0.001...10_000
        public static let minibatch = 1...4096
        public static let learningRate: ClosedRange<Float> = 1e-9...10
        public static let gamma: ClosedRange<Float> = 0...1e6
        public static let r1Interval = 1...1024
        public static let ticks = 1...1_000_000
        public static let swdImages = 16...100_000
        public static let dataLimit = 1...100_000_000
    }

    /// Throws, naming the setting, unless every value is finite and within `Limits`.
    public func validate() throws {
        try config.validate()
        func check<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ name: String) throws {
            guard range.contains(value) else { throw ConfigError("\(name) must be in \(range.lowerBound)…\(range.upperBound), got \(value)") }
        }
        guard schedule.resolution == config.resolution else { throw ConfigError("schedule resolution differs from the model's") }
        guard [4, 8, 16, 32, 64, 128, 256, 512, 1024].contains(schedule.startResolution),
              schedule.startResolution <= config.resolution else {
            throw ConfigError("start resolution must be a power of two between 4 and the model resolution \(config.resolution)")
        }
        try check(schedule.stableKimg, Limits.kimg, "stable kimg")   // NaN fails every range check
        try check(schedule.fadeKimg, Limits.kimg, "fade kimg")
        try check(totalKimg, Limits.kimg, "total kimg")
        guard totalKimg > 0 else { throw ConfigError("total kimg must be positive") }
        try check(tickKimg, Limits.tickKimg, "tick kimg")
        try check(snapshotTicks, Limits.ticks, "snapshot ticks")
        for b in schedule.minibatches {
            try check(b, Limits.minibatch, "minibatch")
            guard b <= config.mbstdGroupSize || b % min(config.mbstdGroupSize, b) == 0 else {
                throw ConfigError("minibatch \(b) must be divisible by the minibatch-stddev group size \(config.mbstdGroupSize)")
            }
        }
        for (res, _) in schedule.minibatch where !(4...1024).contains(res) { throw ConfigError("minibatch table has resolution \(res), outside 4…1024") }
        for lr in Array(schedule.learningRate.values) + [schedule.defaultLearningRate] { try check(lr, Limits.learningRate, "learning rate") }
        for (res, _) in schedule.learningRate where !(4...1024).contains(res) { throw ConfigError("lr table has resolution \(res), outside 4…1024") }
        try check(r1Gamma, Limits.gamma, "γ")
        try check(r1Interval, Limits.r1Interval, "R1 interval")
        try check(emaHalfLifeKimg, Limits.kimg, "EMA half-life kimg")
        try check(swdTicks, 0...Limits.ticks.upperBound, "SWD ticks")
        guard swdTicks == 0 || config.resolution >= SlicedWasserstein.minimumResolution else {
            throw ConfigError("SWD needs images of at least \(SlicedWasserstein.minimumResolution) px: --swd-ticks must be 0 at resolution \(config.resolution)")
        }
        try check(swdImages, Limits.swdImages, "SWD images")
        if let dataLimit { try check(dataLimit, Limits.dataLimit, "data limit") }
    }
}

extension TrainingOptions {
    /// Decodes snapshot metadata; settings added after a snapshot was written keep their
    /// defaults (`r1Interval` 1, an empty history), so older runs resume unchanged.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dataDirectory: try c.decode(String.self, forKey: .dataDirectory),
                  config: try c.decode(StyleGANConfig.self, forKey: .config))
        schedule = try c.decode(Schedule.self, forKey: .schedule)
        totalKimg = try c.decode(Double.self, forKey: .totalKimg)
        r1Gamma = try c.decode(Float.self, forKey: .r1Gamma)
        r1Interval = try c.decodeIfPresent(Int.self, forKey: .r1Interval) ?? 1
        r1OfficialScaling = try c.decode(Bool.self, forKey: .r1OfficialScaling)
        emaHalfLifeKimg = try c.decode(Double.self, forKey: .emaHalfLifeKimg)
        mirror = try c.decode(Bool.self, forKey: .mirror)
        seed = try c.decode(UInt64.self, forKey: .seed)
        tickKimg = try c.decode(Double.self, forKey: .tickKimg)
        snapshotTicks = try c.decode(Int.self, forKey: .snapshotTicks)
        swdTicks = try c.decode(Int.self, forKey: .swdTicks)
        swdImages = try c.decode(Int.self, forKey: .swdImages)
        dataLimit = try c.decodeIfPresent(Int.self, forKey: .dataLimit)
        initialWeights = try c.decodeIfPresent(String.self, forKey: .initialWeights)
        history = try c.decodeIfPresent([OptionChange].self, forKey: .history) ?? []
    }
}
