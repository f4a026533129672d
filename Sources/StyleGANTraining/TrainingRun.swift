import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// Drives a `Trainer` and keeps its run directory:
/// `log.txt`, `stats.jsonl` (one JSON object per tick), `fakes{kimg}.png` (a grid from
/// fixed latents through the EMA generator), `network-snapshot-{kimg}.safetensors`
/// (atomic; everything needed to resume) and `plot.png` (losses and SWD over kimg), with
/// kimg written to the image (`000272.016`). A new run refuses a directory that holds
/// another run. In a process group (`Trainer.distribute(over:)`) every process runs
/// this loop and joins its collective steps (SWD, snapshot check), and rank 0 alone
/// writes the directory.
public final class TrainingRun {
    public let trainer: Trainer
    public let directory: String
    /// Latents of the progress grids (seeds 0 ..< count, as `generate` draws them).
    let gridLatents: Tensor
    let gridColumns: Int
    private let log: (String) -> Void
    private var history: [[String: Double]] = []
    private var metric: SlicedWasserstein?
    /// Whether this process writes the run directory (rank 0 of its group).
    public var isWriter: Bool { trainer.group.rank == 0 }

    /// - Parameter log: receives each line that is also appended to log.txt.
    public init(trainer: Trainer, directory: String, gridSize: (columns: Int, rows: Int) = (8, 4),
                log: @escaping (String) -> Void) throws {
        self.trainer = trainer
        self.directory = directory
        let writes = trainer.group.rank == 0
        if writes { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let c = trainer.options.config
        let n = gridSize.columns * gridSize.rows
        gridLatents = Tensor(shape: [n, c.latentSize], values: (0..<n).flatMap { seed -> [Float] in
            var r = NumpyRandomState(seed: UInt32(seed))
            return r.gaussians(c.latentSize)
        })
        gridColumns = gridSize.columns
        guard writes else {
            self.log = { _ in }
            return
        }
        if trainer.resumedFrom == nil { try Self.checkNewRunDirectory(directory) }
        let logPath = (directory as NSString).appendingPathComponent("log.txt")
        self.log = { line in
            log(line)
            try? Self.append(line, to: logPath)   // best effort: the line has gone to `log` already
        }
        removeStaleTemporaries()
        if trainer.resumedFrom != nil { try dropStatsAfterResumePoint() }
        history = Self.readHistory(directory)
    }

    /// Throws unless `directory` can take a new run: a new run never writes into another
    /// run's directory (snapshots or stats.jsonl), which would mix the two.
    public static func checkNewRunDirectory(_ directory: String) throws {
        let existing = snapshots(in: directory).map { ($0.path as NSString).lastPathComponent }
        let stats = (directory as NSString).appendingPathComponent("stats.jsonl")
        if !existing.isEmpty || FileManager.default.fileExists(atPath: stats) {
            throw TrainingError("\(directory) already holds a training run (\(existing.last ?? "stats.jsonl")): continue it with --resume \(directory), or choose another --outdir")
        }
    }

    /// File name of the snapshot at `kimg`, to the image (`network-snapshot-000272.016.safetensors`),
    /// so two snapshots of one run never share a name; zero-padded, so names sort by kimg.
    public static func snapshotName(kimg: Double) -> String { String(format: "network-snapshot-%010.3f.safetensors", kimg) }

    /// Snapshots in `directory`, oldest first, by the kimg in their names (also the
    /// `network-snapshot-000272.safetensors` names of earlier versions).
    public static func snapshots(in directory: String) -> [(path: String, kimg: Double)] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.compactMap { name -> (String, Double)? in
            guard name.hasPrefix("network-snapshot-"), name.hasSuffix(".safetensors"),
                  let kimg = Double(name.dropFirst("network-snapshot-".count).dropLast(".safetensors".count)), kimg.isFinite else { return nil }
            return ((directory as NSString).appendingPathComponent(name), kimg)
        }.sorted { $0.1 < $1.1 }
    }

    /// The newest snapshot in `directory` that loads and verifies (checksum, finite
    /// values, training metadata), with a line for each newer one passed over and why.
    public static func latestValidSnapshot(in directory: String) throws -> (path: String, weights: ModelWeights, skipped: [String]) {
        let all = snapshots(in: directory)
        guard !all.isEmpty else { throw TrainingError("\(directory): no network-snapshot-*.safetensors to resume from") }
        var skipped: [String] = []
        for (path, _) in all.reversed() {
            do {
                let weights = try ModelWeights.load(path: path)
                _ = try Trainer.savedOptions(in: weights, path: path)
                guard weights.metadata["training_state"] != nil else { throw WeightsError(path, "not a training snapshot (no training_state metadata)") }
                return (path, weights, skipped)
            } catch {
                skipped.append("skipped \(error)")
            }
        }
        throw TrainingError("\(directory): no snapshot could be resumed (\(skipped.joined(separator: "; ")))")
    }

    /// Removes temporary snapshot files left by a process killed while writing one.
    private func removeStaleTemporaries() {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in files where name.hasPrefix(".network-snapshot-") && name.contains(".tmp-") {
            if (try? FileManager.default.removeItem(atPath: path(name))) != nil { log("removed stale temporary file \(name)") }
        }
    }

    /// After a resume, stats rows written past the snapshot (by ticks whose snapshot was
    /// never written) are dropped, so the resumed ticks do not duplicate them.
    private func dropStatsAfterResumePoint() throws {
        let file = path("stats.jsonl")
        guard let data = try? AtomicFile.read(file) else { return }   // regular files only
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n")
        let kept = lines.filter { line in
            let row = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return ((row?["kimg"] as? Double) ?? 0) <= trainer.kimg + 1e-6
        }
        guard kept.count < lines.count else { return }
        try AtomicFile.write(Data(kept.map { $0 + "\n" }.joined().utf8), to: file)
        log("dropped \(lines.count - kept.count) stats row(s) written after kimg \(String(format: "%.3f", trainer.kimg)), the resumed snapshot's")
    }

    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Appends `line` and a newline to the file at `path`, creating it if needed. Only a
    /// regular file is opened (a FIFO would block the run, signals included).
    static func append(_ line: String, to path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            let type = (try? FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path))?[.type] as? FileAttributeType
            guard type == .typeRegular else { throw IOError.writeFailed(path: path, reason: "not a regular file") }
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw IOError.writeFailed(path: path, reason: "cannot create the file")
            }
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Trains until `totalKimg` (or until `stop()` returns true between steps, on any
    /// process of the group), writing a tick every `tickKimg`, a snapshot every
    /// `snapshotTicks` ticks and one at the end.
    public func run(progress: ((StepStats, Double) -> Void)? = nil, stop: () -> Bool = { false }) throws {
        let o = trainer.options, group = trainer.group
        if !trainer.dataset.skipped.isEmpty {
            log("skipped \(trainer.dataset.skipped.count) unreadable file(s):")
            for s in trainer.dataset.skipped { log("  \(s.reason)") }
        }
        log("training \(o.config.resolution)px on \(trainer.dataset.count) images from \(o.dataDirectory): G \(trainer.generator.params.count) and D \(trainer.discriminator.params.count) parameters, \(group.size > 1 ? "\(group.size) processes × " : "")\(Threads.current) threads, from kimg \(String(format: "%.1f", trainer.kimg)) to \(o.totalKimg)")
        for change in trainer.changesAtResume { log("resume changes \(change)") }
        if let file = o.initialWeights, trainer.step == 0 { log("fine-tuning from \(file)") }
        for note in trainer.initNotes + trainer.groupNotes { log("note: \(note)") }
        if let before = trainer.resumedProcesses, before != group.size {
            log("note: the snapshot was trained by \(before) process(es), this run has \(group.size): it continues with the same samples, but not bit-exactly (gradients are summed in another order)")
        }
        // Every process must stop at the same step: a stop request on any one counts for all.
        func stopRequested() -> Bool {
            group.size == 1 ? stop() : group.sum([stop() ? 1 : 0])[0] > 0
        }
        var tickTraffic = group.traffic
        var tickIndex = Int((trainer.kimg / o.tickKimg).rounded(.down))
        var tickStart = Date(), tickImages = 0
        var sums = [String: Double](), steps = 0, r1Steps = 0
        let runStart = Date(), startKimg = trainer.kimg
        var stopped = false
        while trainer.kimg < o.totalKimg {
            if stopRequested() { stopped = true; break }
            let s = trainer.trainStep()
            if trainer.consecutiveSkips >= Self.maxConsecutiveSkips {
                throw TrainingError("losses or gradients were not finite for \(trainer.consecutiveSkips) steps in a row at kimg \(String(format: "%.3f", trainer.kimg)); stopped without writing a snapshot (the last one is intact: resume it, e.g. with a lower --lr or --gamma)")
            }
            steps += 1
            tickImages += s.minibatch
            sums["lossG", default: 0] += Double(s.lossG)
            sums["lossD", default: 0] += Double(s.lossD)
            if let r1 = s.r1 { sums["r1", default: 0] += Double(r1); r1Steps += 1 }
            let rate = (trainer.kimg - startKimg) * 1000 / max(Date().timeIntervalSince(runStart), 1e-9)
            progress?(s, rate)
            let nextTick = Int((trainer.kimg / o.tickKimg).rounded(.down))
            if nextTick > tickIndex || trainer.kimg >= o.totalKimg {
                tickIndex = nextTick
                let seconds = Date().timeIntervalSince(tickStart)
                var record: [String: Double] = [
                    "kimg": trainer.kimg, "tick": Double(tickIndex), "lod": Double(s.lod), "resolution": Double(s.resolution),
                    "minibatch": Double(s.minibatch), "sec_per_tick": seconds, "img_per_s": Double(tickImages) / max(seconds, 1e-9),
                    "skipped_updates": Double(trainer.skippedUpdates),
                ]
                for (k, v) in sums { record[k] = v / Double(max(k == "r1" ? r1Steps : steps, 1)) }
                if group.size > 1 {
                    let traffic = group.traffic
                    record["allreduce_ms_per_step"] = (traffic.seconds - tickTraffic.seconds) * 1000 / Double(steps)
                    record["allreduce_mb_per_step"] = Double(traffic.bytes - tickTraffic.bytes) / 1e6 / Double(steps)
                    record["processes"] = Double(group.size)
                }
                if o.swdTicks > 0 && tickIndex % o.swdTicks == 0 {
                    for (k, v) in try evaluateSWD() { record[k] = v }
                }
                try tick(record, snapshot: tickIndex % o.snapshotTicks == 0 || trainer.kimg >= o.totalKimg)
                sums = [:]; steps = 0; r1Steps = 0; tickImages = 0; tickStart = Date()
                tickTraffic = group.traffic
            }
        }
        if stopped { try writeSnapshot() }
    }

    /// Writes the tick's stats, log line, grid and plot (rank 0), then the snapshot if due.
    private func tick(_ record: [String: Double], snapshot: Bool) throws {
        guard isWriter else {
            if snapshot { try writeSnapshot() }
            return
        }
        history.append(record)
        let line = Trainer.encode(record)
        try Self.append(line, to: path("stats.jsonl"))
        func f(_ k: String, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", record[k] ?? .nan) }
        var text = "tick \(Int(record["tick"]!)) kimg \(f("kimg", 1)) res \(Int(record["resolution"]!)) lod \(f("lod", 2)) minibatch \(Int(record["minibatch"]!)) lossG \(f("lossG")) lossD \(f("lossD")) r1 \(f("r1", 4)) \(f("img_per_s", 2)) img/s \(f("sec_per_tick", 0)) s/tick"
        if let swd = record["swd_avg"] { text += " swd_avg \(String(format: "%.2f", swd))" }
        if let ms = record["allreduce_ms_per_step"], let mb = record["allreduce_mb_per_step"] {
            text += String(format: " allreduce %.1f ms %.1f MB/step", ms, mb)
        }
        log(text)
        try writeGrid()
        try TrainingPlot.write(history: history, to: path("plot.png"))
        if snapshot { try writeSnapshot() }
    }

    /// Current EMA samples of the fixed grid latents, upsampled to full size.
    private func writeGrid() throws {
        let g = trainer.emaGenerator
        let images = withoutGradients { g.render(g.dlatents(from: g.map(gridLatents)), noise: .constant) }
        let grid = try ImageConversion.grid(ImageConversion.images(from: images), columns: gridColumns)
        try PNG.write(grid, to: path(String(format: "fakes%010.3f.png", trainer.kimg)))
    }

    /// Updates skipped in a row (non-finite gradients) after which training stops.
    public static let maxConsecutiveSkips = 4

    /// Writes the snapshot (`snapshotName(kimg:)`) atomically and returns its path;
    /// refuses weights that are not finite. In a group every process calls it: they
    /// first check that they all hold the same weights, then rank 0 writes (the others
    /// return nil).
    @discardableResult
    public func writeSnapshot() throws -> String? {
        let kimg = String(format: "%.3f", trainer.kimg)
        guard trainer.weightsAreFinite else {
            throw TrainingError("weights are not finite at kimg \(kimg); no snapshot written (the last one is intact)")
        }
        if trainer.group.size > 1 {
            let checksums = trainer.group.range(UInt64(trainer.weightsChecksum))
            guard checksums.min == checksums.max else {
                throw TrainingError("the \(trainer.group.size) processes hold different weights at kimg \(kimg) (checksums differ); no snapshot written (the last one is intact)")
            }
        }
        guard isWriter else { return nil }
        let p = path(Self.snapshotName(kimg: trainer.kimg))
        try trainer.snapshot().save(to: p)
        log("snapshot \(p)")
        return p
    }

    private func evaluateSWD() throws -> [String: Double] {
        let o = trainer.options
        if metric == nil { metric = SlicedWasserstein(resolution: o.config.resolution) }
        let n = min(o.swdImages, trainer.dataset.count)
        // Each process renders its part of the fakes; rank 0 gathers them and scores.
        let group = trainer.group
        let part = SlicedWasserstein.sample(trainer.emaGenerator, count: n, seed: 123_456, share: trainer.share)
        let fakes: Tensor
        if group.size == 1 {
            fakes = part!
        } else {
            guard let all = group.gather(part?.scalars ?? []) else { return [:] }
            fakes = Tensor(shape: [n, 3, o.config.resolution, o.config.resolution], values: all)
        }
        let reals = (0..<n).map { trainer.dataset.batch(indices: [$0 * trainer.dataset.count / n], mirror: [false], resolution: o.config.resolution) }
        let result = metric!.distance(reals: concat(reals, axis: 0), fakes: fakes, seed: 7)
        var out: [String: Double] = ["swd_avg": result.average]
        for (res, v) in result.perLevel { out["swd_\(res)"] = v }
        return out
    }

    /// Stats already in stats.jsonl (for the plot after a resume).
    static func readHistory(_ directory: String) -> [[String: Double]] {
        let p = (directory as NSString).appendingPathComponent("stats.jsonl")
        guard let data = try? AtomicFile.read(p) else { return [] }   // regular files only
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Double]
        }
    }
}

/// A training run that cannot start or go on (its message says why and what to do).
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
