import ArgumentParser
import Foundation
import StyleGANDistributed
import StyleGANIO
import StyleGANModel
import StyleGANTensor
import StyleGANTraining
import Synchronization

/// The signal (SIGINT or SIGTERM) that asked training to stop, 0 for none: set by the
/// handlers, read by the training loop between steps (an atomic, so the optimiser cannot
/// hoist the read out of the loop).
private let stopSignal = Atomic<Int32>(0)

/// `stylegan train`: progressive training on a folder of images.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train StyleGAN progressively on a folder of PNG/JPEG images (resumable).",
        discussion: """
        Examples:
          stylegan train --data faces/ --outdir runs/faces64 --resolution 64 --fmap-max 128 --total-kimg 600
          stylegan train --resume runs/faces64                      # continue from the latest snapshot
          stylegan train --resume runs/faces64 --total-kimg 1200    # ... and train longer
          stylegan train --data my-faces/ --outdir runs/mine --init weights/faces64.safetensors --total-kimg 20
        SIGINT/SIGTERM write a snapshot and exit 130/143.
        Under Open MPI, `mpirun -np N stylegan train …` trains data-parallel: each process
        computes 1/N of every minibatch (the minibatch must divide by N) and rank 0 writes
        the run directory; see the README's "Training on several processes or hosts".
        On resume, \(TrainingOptions.resumableSettingNames.map { "--" + $0 }.joined(separator: ", "))
        may be changed (each change is logged and kept in the snapshot's options history);
        everything else comes from the snapshot, and giving a different value is an error.
        The run directory gets log.txt, stats.jsonl, fakes{kimg}.png grids, plot.png and
        network-snapshot-{kimg}.safetensors files (atomic; Ctrl-C writes one and stops); a
        new run refuses a directory that holds another run, and --resume DIR falls back to
        the newest snapshot that verifies.
        Images of any size are centre-cropped to a square and resized to --resolution.
        """
    )

    @Option(help: "Folder of training images (searched recursively).") var data: String?
    @Option(help: "Run directory (default with --resume: the resumed run's directory).") var outdir: String?
    @Option(help: "Continue a run: its directory (latest snapshot) or a snapshot file.") var resume: String?
    @Option(help: "Fine-tune: start a new run from this model's G, G_ema and D (a snapshot, an export or a converted pickle), at its lod; the architecture comes from the file.") var `init`: String?

    // Optionals, so that a resume can tell what was given (`--x v` and `--x=v` alike). A new
    // run starts from `TrainingOptions.newRun` (the library's one place for these defaults),
    // which the help texts quote.
    private static let d = TrainingOptions.newRun(dataDirectory: "", resolution: TrainingOptions.newRunResolution)
    @Option(help: "Final resolution (power of two, 4…1024; default \(d.config.resolution)).") var resolution: Int?
    @Option(help: "Channel budget: nf(stage) = min(fmap-base / 2^stage, fmap-max) (default \(d.config.fmapBase)).") var fmapBase: Int?
    @Option(help: "Largest channel count (default \(d.config.fmapMax)).") var fmapMax: Int?
    @Option(help: "Size of z and w (default \(d.config.latentSize)).") var latentSize: Int?
    @Option(help: "Dense layers in the mapping network (default \(d.config.mappingLayers)).") var mappingLayers: Int?

    @Option(help: "First trained resolution (default \(d.schedule.startResolution)).") var startResolution: Int?
    @Option(help: "Kimg of stable training per resolution (default \(d.schedule.stableKimg)).") var stableKimg: Double?
    @Option(help: "Kimg of fade-in per resolution (default \(d.schedule.fadeKimg)).") var fadeKimg: Double?
    @Option(help: "Length of the run in kimg, thousands of real images (default \(d.totalKimg)).") var totalKimg: Double?
    @Option(help: "Minibatch (all resolutions unless --minibatch-table sets one; default \(d.schedule.defaultMinibatch)).") var minibatch: Int?
    @Option(help: "Minibatch per resolution, e.g. 8:32,16:32,32:16.") var minibatchTable: String?
    @Option(help: "Learning rate (all resolutions unless --lr-table sets one; default \(d.schedule.defaultLearningRate)).") var lr: Float?
    @Option(help: "Learning rate per resolution, e.g. 128:0.0015,256:0.002 ('none' clears it on resume).") var lrTable: String?
    @Option(help: "R1 weight γ (default \(d.r1Gamma)).") var gamma: Float?
    @Option(help: "Lazy R1: compute the penalty every N-th D step with weight γ·N (default \(d.r1Interval), the v1 algorithm).") var r1Interval: Int?
    @Flag(inversion: .prefixedNo, help: "Use γ at every resolution instead of the official effective γ·4^-floor(lod) (default off).") var r1ConstantGamma: Bool?
    @Option(help: "Style-mixing probability (default \(d.config.styleMixingProb)).") var mixingProb: Float?
    @Option(help: "Half-life of the generator EMA in kimg (default \(d.emaHalfLifeKimg)).") var emaKimg: Double?
    @Flag(inversion: .prefixedNo, help: "Random horizontal flips of the training images (default on).") var mirror: Bool?
    @Option(help: "Seed of all randomness (default \(d.seed)).") var seed: UInt64?
    @Option(help: "Kimg per tick: log line, stats, sample grid (default \(d.tickKimg)).") var tickKimg: Double?
    @Option(help: "Ticks between snapshots (default \(d.snapshotTicks)).") var snapshotTicks: Int?
    @Option(help: "Ticks between SWD evaluations of the EMA generator at full size (0 = never, the default).") var swdTicks: Int?
    @Option(help: "Images per SWD evaluation (default \(d.swdImages)).") var swdImages: Int?
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
        guard resume == nil || `init` == nil else { throw ValidationError("--init starts a new run; it cannot be combined with --resume") }
        let _: [Int: Int] = try Self.parseTable(minibatchTable, "--minibatch-table")
        let _: [Int: Float] = try Self.parseTable(lrTable == "none" ? nil : lrTable, "--lr-table")
    }

    /// Sets every option given on the command line in `o` (a new run's defaults or a
    /// resumed snapshot's options).
    func apply(to o: inout TrainingOptions) throws {
        if let data { o.dataDirectory = data }
        if let resolution { o.config.resolution = resolution; o.schedule.resolution = resolution }
        if let fmapBase { o.config.fmapBase = fmapBase }
        if let fmapMax { o.config.fmapMax = fmapMax }
        if let latentSize { o.config.latentSize = latentSize; o.config.dlatentSize = latentSize; o.config.mappingFmaps = latentSize }
        if let mappingLayers { o.config.mappingLayers = mappingLayers }
        if let mixingProb { o.config.styleMixingProb = mixingProb }
        if let startResolution { o.schedule.startResolution = min(startResolution, o.config.resolution) }
        if let stableKimg { o.schedule.stableKimg = stableKimg }
        if let fadeKimg { o.schedule.fadeKimg = fadeKimg }
        if let minibatch { o.schedule.defaultMinibatch = minibatch }
        if let minibatchTable { o.schedule.minibatch = try Self.parseTable(minibatchTable, "--minibatch-table") }
        if let lr { o.schedule.defaultLearningRate = lr }
        if let lrTable { o.schedule.learningRate = lrTable == "none" ? [:] : try Self.parseTable(lrTable, "--lr-table") }
        if let totalKimg { o.totalKimg = totalKimg }
        if let gamma { o.r1Gamma = gamma }
        if let r1Interval { o.r1Interval = r1Interval }
        if let r1ConstantGamma { o.r1OfficialScaling = !r1ConstantGamma }
        if let emaKimg { o.emaHalfLifeKimg = emaKimg }
        if let mirror { o.mirror = mirror }
        if let seed { o.seed = seed }
        if let tickKimg { o.tickKimg = tickKimg }
        if let snapshotTicks { o.snapshotTicks = snapshotTicks }
        if let swdTicks { o.swdTicks = swdTicks }
        if let swdImages { o.swdImages = swdImages }
        if let limit { o.dataLimit = limit }
        do { try o.validate() } catch { throw ValidationError("\(error)") }
    }

    func newOptions() throws -> TrainingOptions {
        var o = TrainingOptions.newRun(dataDirectory: data!, resolution: resolution ?? TrainingOptions.newRunResolution)
        try apply(to: &o)
        return o
    }

    /// A fine-tuning run's options: the file's architecture, the schedule started at the
    /// file's lod, and every other option as for a new run.
    func fineTuningOptions(_ weights: ModelWeights, path: String) throws -> TrainingOptions {
        var o = TrainingOptions.newRun(dataDirectory: data!, resolution: weights.config.resolution)
        o.config = weights.config
        try apply(to: &o)
        let differences = o.config.architectureDifferences(from: weights.config)
        guard differences.isEmpty else {
            throw CLIError("\(path): the options given differ from the file's architecture (\(differences.joined(separator: "; ")))")
        }
        o.schedule = o.schedule.startingAt(lod: weights.samplingGenerator?.lod ?? 0)
        o.initialWeights = path
        return o
    }

    /// The snapshot to resume from: the file, or the newest one in a run directory that
    /// loads and verifies (each newer one passed over is reported).
    static func resumePoint(_ resume: String) throws -> (path: String, weights: ModelWeights) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resume, isDirectory: &isDir) else { throw CLIError("\(resume): no such run directory or snapshot") }
        guard isDir.boolValue else { return (resume, try ModelWeights.load(path: resume)) }
        let found = try TrainingRun.latestValidSnapshot(in: resume)
        for line in found.skipped { print(line) }
        return (found.path, found.weights)
    }

    func run() throws {
        guard let group = MPIProcessGroup.joinIfLaunched() else { return try train(in: SingleProcess(), say: { print($0) }) }
        let threadsFromEnvironment = (try? Threads.environmentCount().get()) ?? nil
        if global.threads == nil && threadsFromEnvironment == nil { Threads.configure(group.defaultThreads) }
        do {
            try train(in: group, say: group.rank == 0 ? { print($0) } : { _ in })
            group.finish()
        } catch let exit as ExitCode {
            group.finish()   // stopped together on a signal
            throw exit
        } catch {
            // Only this process may have failed (e.g. rank 0 writing a file): end them all
            // rather than leave the others waiting in a collective. When every process
            // fails alike (a check they all make), rank 0's report should be the one seen:
            // the others give its abort a moment to end them first.
            if group.rank != 0 { sleep(2) }
            let message = Self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("stylegan\(group.rank == 0 ? "" : " (rank \(group.rank))"): \(message)\n".utf8))
            group.abort(code: 1)
        }
    }

    /// Trains as process `group.rank` of `group`; `say` prints (on rank 0 only in a group).
    private func train(in group: ProcessGroup, say: @escaping (String) -> Void) throws {
        let trainer: Trainer
        let directory: String
        if let resume {
            let (path, weights) = try Self.resumePoint(resume)
            var options = try Trainer.savedOptions(in: weights, path: path)
            try apply(to: &options)
            let dataset = try loadDataset(options, say: say)
            trainer = try Trainer(resuming: weights, options: options, dataset: dataset, path: path)
            directory = outdir ?? (parentDirectory(of: path).isEmpty ? "." : parentDirectory(of: path))
            say("resuming \(path) at kimg \(String(format: "%.1f", trainer.kimg))")
        } else if let path = `init` {
            try TrainingRun.checkNewRunDirectory(outdir!)
            let weights = try ModelWeights.load(path: path)
            let options = try fineTuningOptions(weights, path: path)
            trainer = try Trainer(options: options, dataset: try loadDataset(options, say: say), initialWeights: weights, path: path)
            directory = outdir!
        } else {
            let options = try newOptions()
            try TrainingRun.checkNewRunDirectory(outdir!)
            trainer = try Trainer(options: options, dataset: try loadDataset(options, say: say))
            directory = outdir!
        }
        do { try trainer.distribute(over: group) } catch { throw CLIError("\(error)") }
        if group.size > 1 {
            let data = group.range(UInt64(trainer.dataset.count) << 32 | UInt64(trainer.dataset.fingerprint))
            guard data.min == data.max else {
                throw CLIError("the \(group.size) processes loaded different training images (\(trainer.dataset.count) here): give every host the same --data folder")
            }
            let steps = group.range(UInt64(trainer.step))
            guard steps.min == steps.max else {
                throw CLIError("the \(group.size) processes resumed from different snapshots (steps \(steps.min)…\(steps.max)): give every process the same --resume file")
            }
        }
        signal(SIGINT) { stopSignal.store($0, ordering: .relaxed) }
        signal(SIGTERM) { stopSignal.store($0, ordering: .relaxed) }
        let run = try TrainingRun(trainer: trainer, directory: directory) { say($0) }
        var bar = Progress(total: Int(trainer.options.totalKimg * 1000), label: "train", initial: Int(trainer.kimg * 1000))
        var lastDraw = Date.distantPast
        try run.run(progress: { s, rate in
            guard run.isWriter, Date().timeIntervalSince(lastDraw) > 1 else { return }
            lastDraw = Date()
            bar.update(Int(s.kimg * 1000), detail: "kimg \(String(format: "%.2f", s.kimg)) \(s.resolution)px lod \(String(format: "%.2f", s.lod)) \(String(format: "%.1f", rate)) img/s")
        }, stop: { stopSignal.load(ordering: .relaxed) != 0 })
        let signal = stopSignal.load(ordering: .relaxed)
        if signal != 0 {
            // Exit as a shell reports a signal (130 for SIGINT, 143 for SIGTERM), so a
            // supervisor can tell a stopped run from a finished one.
            say("stopped on request (\(signal == SIGINT ? "SIGINT" : "SIGTERM")); snapshot written")
            throw ExitCode(128 + signal)
        }
    }

    private func loadDataset(_ o: TrainingOptions, say: (String) -> Void) throws -> ImageDataset {
        let start = Date()
        let d = try ImageDataset(directory: o.dataDirectory, resolution: o.config.resolution, limit: o.dataLimit)
        say("loaded \(d.count) images from \(o.dataDirectory) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s" + (d.skipped.isEmpty ? "" : ", skipped \(d.skipped.count) unreadable file(s)"))
        return d
    }
}
