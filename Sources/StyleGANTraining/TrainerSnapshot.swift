import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// A trainer's state as a weights file, and a trainer continued from one.
extension Trainer {
    /// The run's state as a weights file (G, Gs, D, optimiser moments, counters).
    public func snapshot() -> ModelWeights {
        var w = ModelWeights(config: options.config, generator: generator, emaGenerator: emaGenerator, discriminator: discriminator)
        w.extraTensors = ["train/adam_g_v": adamG.v, "train/adam_d_v": adamD.v]
        // With β1 = 0 the first moment is just the last gradient, overwritten before its
        // next use, so it is not stored (a quarter of the snapshot).
        if adamG.beta1 != 0 { w.extraTensors["train/adam_g_m"] = adamG.m }
        if adamD.beta1 != 0 { w.extraTensors["train/adam_d_m"] = adamD.m }
        let state = TrainingState(kimg: kimg, step: step, adamGStep: adamG.step, adamDStep: adamD.step,
                                  phaseKey: phaseKey, skippedUpdates: skippedUpdates, processes: group.size)
        w.metadata["training_state"] = state.json
        w.metadata["training_options"] = Self.encode(options)
        return w
    }

    /// Continues a run from a snapshot written by `snapshot()`.
    /// `options` are normally `savedOptions(in:path:)`, possibly with some of the
    /// settings in `TrainingOptions.resumableSettingNames` changed: each change is appended
    /// to the options' history at the snapshot's kimg (see `changesAtResume`). `dataset`
    /// must be the one they describe.
    public convenience init(resuming weights: ModelWeights, options: TrainingOptions, dataset: ImageDataset, path: String) throws {
        let saved = try Self.savedOptions(in: weights, path: path)
        guard saved.config.architectureDifferences(from: weights.config).isEmpty else {
            throw WeightsError(path, "training_options describe another model than the file's config (\(saved.config.architectureDifferences(from: weights.config).joined(separator: "; "))): the metadata is damaged")
        }
        guard let stateJSON = weights.metadata["training_state"],
              let state = try? JSONDecoder().decode(TrainingState.self, from: Data(stateJSON.utf8)) else {
            throw WeightsError(path, "not a training snapshot (no training_state metadata)")
        }
        do { try state.validate() } catch { throw WeightsError(path, "training_state: \(error)") }
        let changes: [OptionChange]
        do { changes = try options.changes(since: saved, atKimg: state.kimg) } catch { throw WeightsError(path, "\(error)") }
        var options = options
        options.history = saved.history + changes
        guard let g = weights.generator, let gs = weights.emaGenerator, let d = weights.discriminator else {
            throw WeightsError(path, "a training snapshot needs G, Gs and D")
        }
        try self.init(options: options, dataset: dataset)
        changesAtResume = changes
        resumedFrom = path
        generator.params.assign(from: g.params)
        generator.dlatentAvg = g.dlatentAvg.copy()
        generator.noiseMaps = g.noiseMaps
        emaGenerator.params.assign(from: gs.params)
        emaGenerator.dlatentAvg = gs.dlatentAvg.copy()
        emaGenerator.noiseMaps = gs.noiseMaps
        generator.lod = g.lod
        emaGenerator.lod = gs.lod
        discriminator.params.assign(from: d.params)
        func moments(_ name: String, _ count: Int, optional: Bool = false) throws -> [Float] {
            guard let t = weights.extraTensors["train/\(name)"] else {
                if optional { return [Float](repeating: 0, count: count) }
                throw WeightsError(path, "snapshot lacks optimiser state train/\(name)")
            }
            guard t.count == count else {
                throw WeightsError(path, "optimiser state train/\(name) has \(t.count) values, expected \(count)")
            }
            return t.scalars
        }
        // The first moments are absent when β1 = 0 (see `snapshot()`).
        adamG.restore(m: try moments("adam_g_m", adamG.m.count, optional: adamG.beta1 == 0),
                      v: try moments("adam_g_v", adamG.v.count), step: state.adamGStep)
        adamD.restore(m: try moments("adam_d_m", adamD.m.count, optional: adamD.beta1 == 0),
                      v: try moments("adam_d_v", adamD.v.count), step: state.adamDStep)
        kimg = state.kimg
        step = state.step
        phaseKey = state.phaseKey
        skippedUpdates = state.skippedUpdates
        resumedProcesses = state.processes ?? 1
    }

    /// The options a snapshot was trained with.
    public static func savedOptions(in weights: ModelWeights, path: String) throws -> TrainingOptions {
        guard let json = weights.metadata["training_options"],
              let options = try? JSONDecoder().decode(TrainingOptions.self, from: Data(json.utf8)) else {
            throw WeightsError(path, "not a training snapshot (no readable training_options metadata)")
        }
        return options
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: (try? e.encode(value)) ?? Data(), as: UTF8.self)
    }
}

/// Counters saved in a snapshot's metadata.
struct TrainingState: Codable {
    var kimg: Double
    var step: Int64
    var adamGStep: Int64
    var adamDStep: Int64
    var phaseKey: Int?
    var skippedUpdates: Int
    /// Processes sharing each minibatch (absent in snapshots from before process groups: one).
    var processes: Int?
    var json: String { Trainer.encode(self) }

    /// Throws unless the counters are ones a run could have reached.
    func validate() throws {
        guard TrainingOptions.Limits.kimg.contains(kimg) else { throw ConfigError("kimg must be in 0…1000000, got \(kimg)") }
        guard (processes ?? 1) >= 1 else { throw ConfigError("processes must be at least 1, got \(processes ?? 1)") }
        guard step >= 0, adamGStep >= 0, adamDStep >= 0, skippedUpdates >= 0, step <= 1 << 40 else {
            throw ConfigError("step counters must be non-negative, got step \(step), Adam \(adamGStep)/\(adamDStep), skipped \(skippedUpdates)")
        }
    }
}
