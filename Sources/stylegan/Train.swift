import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor
import StyleGANTraining
import Synchronization

/// Set by the SIGINT/SIGTERM handlers, read by the training loop between steps (an atomic,
/// so the optimiser cannot hoist the read out of the loop).
private let stopRequested = Atomic<Bool>(false)

/// `stylegan train`: progressive training on a folder of images.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train StyleGAN progressively on a folder of PNG/JPEG images (resumable).",
        discussion: """
        Examples:
          stylegan train --data faces/ --outdir runs/faces64 --resolution 64 --fmap-max 128 --total-kimg 600
          stylegan train --resume runs/faces64                      # continue from the latest snapshot
          stylegan train --resume runs/faces64 --total-kimg 1200    # ... and train longer
        On resume, --data, --total-kimg, --tick-kimg, --snapshot-ticks, --swd-ticks and
        --swd-images may be changed; everything else comes from the snapshot.
        The run directory gets log.txt, stats.jsonl, fakes{kimg}.png grids, plot.png and
        network-snapshot-{kimg}.safetensors files (atomic; Ctrl-C writes one and stops).
        Images of any size are centre-cropped to a square and resized to --resolution.
        """
    )

    @Option(help: "Folder of training images (searched recursively).") var data: String?
    @Option(help: "Run directory (default with --resume: the resumed run's directory).") var outdir: String?
    @Option(help: "Continue a run: its directory (latest snapshot) or a snapshot file.") var resume: String?

    @Option(help: "Final resolution (power of two, 8…1024).") var resolution = 64
    @Option(help: "Channel budget: nf(stage) = min(fmap-base / 2^stage, fmap-max).") var fmapBase = 8192
    @Option(help: "Largest channel count.") var fmapMax = 512
    @Option(help: "Size of z and w.") var latentSize = 512
    @Option(help: "Dense layers in the mapping network.") var mappingLayers = 8

    @Option(help: "First trained resolution.") var startResolution = 8
    @Option(help: "Kimg of stable training per resolution.") var stableKimg: Double = 60
    @Option(help: "Kimg of fade-in per resolution.") var fadeKimg: Double = 60
    @Option(help: "Length of the run in kimg (thousands of real images).") var totalKimg: Double = 600
    @Option(help: "Minibatch (all resolutions unless --minibatch-table sets one).") var minibatch = 16
    @Option(help: "Minibatch per resolution, e.g. 8:32,16:32,32:16.") var minibatchTable: String?
    @Option(help: "Learning rate (all resolutions unless --lr-table sets one).") var lr: Float = 0.001
    @Option(help: "Learning rate per resolution, e.g. 128:0.0015,256:0.002.") var lrTable: String?
    @Option(help: "R1 weight γ.") var gamma: Float = 10
    @Flag(help: "Use γ at every resolution instead of the official effective γ·4^-floor(lod).") var r1ConstantGamma = false
    @Option(help: "Style-mixing probability.") var mixingProb: Float = 0.9
    @Option(help: "Half-life of the generator EMA in kimg.") var emaKimg: Double = 10
    @Flag(inversion: .prefixedNo, help: "Random horizontal flips of the training images.") var mirror = true
    @Option(help: "Seed of all randomness.") var seed: UInt64 = 0
    @Option(help: "Kimg per tick (log line, stats, sample grid).") var tickKimg: Double = 4
    @Option(help: "Ticks between snapshots.") var snapshotTicks = 5
    @Option(help: "Ticks between SWD evaluations of the EMA generator at full size (0 = never).") var swdTicks = 0
    @Option(help: "Images per SWD evaluation.") var swdImages = 1024
    @Option(help: "Use only the first N images of the folder.") var limit: Int?
    @OptionGroup var global: GlobalOptions

    static func parseTable<T: LosslessStringConvertible>(_ text: String?, _ name: String) throws -> [Int: T] {
        guard let text else { return [:] }
        var out: [Int: T] = [:]
        for item in text.split(separator: ",") {
            let kv = item.split(separator: ":")
            guard kv.count == 2, let k = Int(kv[0]), let v = T(String(kv[1])) else {
                throw ValidationError("\(name) '\(text)' does not parse at '\(item)' (use e.g. 8:32,16:16)")
            }
            out[k] = v
        }
        return out
    }

    func validate() throws {
        guard data != nil || resume != nil else { throw ValidationError("give --data (a new run) or --resume (an existing one)") }
        guard resume != nil || outdir != nil else { throw ValidationError("--outdir is required for a new run") }
        let _: [Int: Int] = try Self.parseTable(minibatchTable, "--minibatch-table")
        let _: [Int: Float] = try Self.parseTable(lrTable, "--lr-table")
    }

    func newOptions() throws -> TrainingOptions {
        var c = StyleGANConfig.official(resolution: resolution)
        c.fmapBase = fmapBase; c.fmapMax = fmapMax
        c.latentSize = latentSize; c.dlatentSize = latentSize; c.mappingFmaps = latentSize
        c.mappingLayers = mappingLayers; c.styleMixingProb = mixingProb
        var o = TrainingOptions(dataDirectory: data!, config: c)
        o.schedule.startResolution = min(startResolution, resolution)
        o.schedule.stableKimg = stableKimg; o.schedule.fadeKimg = fadeKimg
        o.schedule.defaultMinibatch = minibatch; o.schedule.minibatch = try Self.parseTable(minibatchTable, "--minibatch-table")
        o.schedule.defaultLearningRate = lr; o.schedule.learningRate = try Self.parseTable(lrTable, "--lr-table")
        o.totalKimg = totalKimg; o.r1Gamma = gamma; o.r1OfficialScaling = !r1ConstantGamma
        o.emaHalfLifeKimg = emaKimg; o.mirror = mirror; o.seed = seed
        o.tickKimg = tickKimg; o.snapshotTicks = snapshotTicks; o.swdTicks = swdTicks; o.swdImages = swdImages
        o.dataLimit = limit
        do { try o.validate() } catch { throw ValidationError("\(error)") }
        return o
    }

    /// The snapshot to resume from: the file, or the latest in a run directory.
    static func snapshotPath(_ resume: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resume, isDirectory: &isDir) else { throw CLIError("\(resume): no such run directory or snapshot") }
        guard isDir.boolValue else { return resume }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: resume)) ?? []
        guard let latest = files.filter({ $0.hasPrefix("network-snapshot-") && $0.hasSuffix(".safetensors") }).sorted().last else {
            throw CLIError("\(resume): no network-snapshot-*.safetensors to resume from")
        }
        return (resume as NSString).appendingPathComponent(latest)
    }

    func run() throws {
        global.apply()
        let trainer: Trainer
        let directory: String
        if let resume {
            let path = try Self.snapshotPath(resume)
            let weights = try ModelWeights.load(path: path)
            var options = try Trainer.savedOptions(in: weights, path: path)
            // Settings that do not change the training trajectory may differ on resume.
            func given(_ flag: String) -> Bool { CommandLine.arguments.contains(flag) }
            if let data { options.dataDirectory = data }
            if given("--total-kimg") { options.totalKimg = totalKimg }
            if given("--tick-kimg") { options.tickKimg = tickKimg }
            if given("--snapshot-ticks") { options.snapshotTicks = snapshotTicks }
            if given("--swd-ticks") { options.swdTicks = swdTicks }
            if given("--swd-images") { options.swdImages = swdImages }
            do { try options.validate() } catch { throw ValidationError("\(error)") }
            let dataset = try loadDataset(options)
            trainer = try Trainer(resuming: weights, options: options, dataset: dataset, path: path)
            directory = outdir ?? ((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
            print("resuming \(path) at kimg \(String(format: "%.1f", trainer.kimg))")
        } else {
            let options = try newOptions()
            trainer = try Trainer(options: options, dataset: try loadDataset(options))
            directory = outdir!
        }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        let run = try TrainingRun(trainer: trainer, directory: directory) { print($0) }
        var bar = Progress(total: Int(trainer.options.totalKimg * 1000), label: "train", initial: Int(trainer.kimg * 1000))
        var lastDraw = Date.distantPast
        try run.run(progress: { s, rate in
            guard Date().timeIntervalSince(lastDraw) > 1 else { return }
            lastDraw = Date()
            bar.update(Int(s.kimg * 1000), detail: "kimg \(String(format: "%.2f", s.kimg)) \(s.resolution)px lod \(String(format: "%.2f", s.lod)) \(String(format: "%.1f", rate)) img/s")
        }, stop: { stopRequested.load(ordering: .relaxed) })
        if stopRequested.load(ordering: .relaxed) { print("stopped on request; snapshot written") }
    }

    private func loadDataset(_ o: TrainingOptions) throws -> ImageDataset {
        let start = Date()
        let d = try ImageDataset(directory: o.dataDirectory, resolution: o.config.resolution, limit: o.dataLimit)
        print("loaded \(d.count) images from \(o.dataDirectory) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s" + (d.skipped.isEmpty ? "" : ", skipped \(d.skipped.count) unreadable file(s)"))
        return d
    }
}
