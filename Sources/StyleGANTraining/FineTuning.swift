import Foundation
import StyleGANIO
import StyleGANModel

extension Trainer {
    /// A new run that starts from a trained model (transfer learning): G, G_ema and D from
    /// `weights` (a training snapshot, an export or a converted official pickle), fresh
    /// optimiser state and counters. A file with only one generator starts G and G_ema from
    /// it; a file without D starts D from the official initialisation (see `notes`).
    /// `options.config` must equal the file's architecture (see
    /// `TrainingOptions.architectureDifferences`), and the schedule should start at the
    /// file's lod (`Schedule.startingAt(lod:)`).
    public convenience init(options: TrainingOptions, dataset: ImageDataset, initialWeights weights: ModelWeights, path: String) throws {
        let differences = options.config.architectureDifferences(from: weights.config)
        guard differences.isEmpty else {
            throw WeightsError(path, "cannot fine-tune: the run's architecture differs from the file's (\(differences.joined(separator: "; ")))")
        }
        guard let source = weights.generator ?? weights.emaGenerator else {
            throw WeightsError(path, "holds no generator to fine-tune (only D)")
        }
        try self.init(options: options, dataset: dataset)
        var notes: [String] = []
        func copy(_ from: Generator, into g: Generator) {
            g.params.assign(from: from.params)
            g.dlatentAvg = from.dlatentAvg.copy()
            g.noiseMaps = from.noiseMaps.map { $0.copy() }
        }
        copy(source, into: generator)
        copy(weights.emaGenerator ?? source, into: emaGenerator)
        if weights.generator == nil { notes.append("G starts as a copy of the file's Gs (the file has no G)") }
        if weights.emaGenerator == nil { notes.append("Gs starts as a copy of the file's G (the file has no Gs)") }
        if let d = weights.discriminator {
            discriminator.params.assign(from: d.params)
        } else {
            notes.append("D starts fresh (official initialisation, seed \(options.seed)): the file has no discriminator")
        }
        initNotes = notes
    }
}

extension StyleGANConfig {
    /// The architecture fields (everything but the training and sampling defaults: style
    /// mixing probability and truncation) in which `self` differs from `other`, as
    /// "name self vs other".
    public func architectureDifferences(from other: StyleGANConfig) -> [String] {
        var a = self, b = other
        a.styleMixingProb = 0; b.styleMixingProb = 0
        a.truncationPsi = 0; b.truncationPsi = 0
        a.truncationCutoff = 0; b.truncationCutoff = 0
        guard a != b,
              let ja = try? JSONSerialization.jsonObject(with: Data(a.jsonString().utf8)) as? [String: Any],
              let jb = try? JSONSerialization.jsonObject(with: Data(b.jsonString().utf8)) as? [String: Any] else { return [] }
        return ja.keys.sorted().compactMap { k in
            let (x, y) = ("\(ja[k] ?? "none")", "\(jb[k] ?? "none")")
            return x == y ? nil : "\(k) \(x) vs \(y)"
        }
    }
}

extension Schedule {
    /// The schedule moved so that training starts at `lod` (a whole number of levels below
    /// full resolution): a finished model (lod 0) trains at full resolution with no
    /// progressive phases. A fractional lod (a snapshot mid-fade) starts at ⌊lod⌋, the
    /// resolution that was fading in.
    public func startingAt(lod: Float) -> Schedule {
        var s = self
        let levels = max(Int(lod.rounded(.down)), 0)
        s.startResolution = max(resolution >> levels, 4)
        return s
    }
}
