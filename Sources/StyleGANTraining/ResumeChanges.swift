import Foundation
import StyleGANModel

/// One setting changed when a run was resumed, kept in `TrainingOptions.history`.
public struct OptionChange: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Where the change took effect (the resumed snapshot's kimg).
    public var kimg: Double
    /// The command-line option's name, without dashes (`gamma`, `lr-table`, …).
    public var setting: String
    public var from: String
    public var to: String

    public var description: String { "\(setting) \(from) -> \(to) at kimg \(String(format: "%.1f", kimg))" }
}

extension TrainingOptions {
    /// A setting that may differ from the snapshot's on resume.
    struct ResumableSetting {
        let name: String
        let describe: (TrainingOptions) -> String
        let copy: (inout TrainingOptions, TrainingOptions) -> Void
    }

    static func resumable<T: Equatable>(_ name: String, _ path: WritableKeyPath<TrainingOptions, T>,
                                        describe: ((T) -> String)? = nil) -> ResumableSetting {
        ResumableSetting(name: name,
                         describe: { o in describe?(o[keyPath: path]) ?? "\(o[keyPath: path])" },
                         copy: { o, from in o[keyPath: path] = from[keyPath: path] })
    }

    /// Everything else (architecture, channel budget, phases, minibatches, seed) is fixed for
    /// the life of a run.
    static var resumableSettings: [ResumableSetting] { [
        resumable("data", \.dataDirectory),
        resumable("limit", \.dataLimit, describe: { $0.map(String.init) ?? "none" }),
        resumable("total-kimg", \.totalKimg),
        resumable("tick-kimg", \.tickKimg),
        resumable("snapshot-ticks", \.snapshotTicks),
        resumable("swd-ticks", \.swdTicks),
        resumable("swd-images", \.swdImages),
        resumable("gamma", \.r1Gamma),
        resumable("r1-interval", \.r1Interval),
        resumable("r1-constant-gamma", \.r1OfficialScaling, describe: { String(!$0) }),
        resumable("lr", \.schedule.defaultLearningRate),
        resumable("lr-table", \.schedule.learningRate, describe: { table in
            table.isEmpty ? "none" : table.keys.sorted().map { "\($0):\(table[$0]!)" }.joined(separator: ",")
        }),
        resumable("mixing-prob", \.config.styleMixingProb),
        resumable("ema-kimg", \.emaHalfLifeKimg),
        resumable("mirror", \.mirror),
    ] }

    /// Names of the settings that may change on resume, for help texts.
    public static var resumableSettingNames: [String] { resumableSettings.map(\.name) }

    /// The settings in which `self` differs from `saved` (a snapshot's options), at `kimg`.
    /// Throws, naming the first, when anything that is fixed for a run differs.
    public func changes(since saved: TrainingOptions, atKimg kimg: Double) throws -> [OptionChange] {
        var fixedPart = self
        for s in Self.resumableSettings { s.copy(&fixedPart, saved) }
        fixedPart.history = saved.history
        if fixedPart != saved {
            let what = fixedPart.config != saved.config ? "model" : fixedPart.seed != saved.seed ? "seed" : "schedule"
            throw ConfigError("a resume cannot change the \(what) of a run (only \(Self.resumableSettingNames.map { "--" + $0 }.joined(separator: ", ")))")
        }
        return Self.resumableSettings.compactMap { s in
            let (old, new) = (s.describe(saved), s.describe(self))
            return old == new ? nil : OptionChange(kimg: kimg, setting: s.name, from: old, to: new)
        }
    }
}
