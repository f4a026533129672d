import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// Drives a `Trainer` and keeps its run directory:
/// `log.txt`, `stats.jsonl` (one JSON object per tick), `fakes{kimg:06}.png` (a grid from
/// fixed latents through the EMA generator), `network-snapshot-{kimg:06}.safetensors`
/// (atomic; everything needed to resume) and `plot.png` (losses and SWD over kimg).
public final class TrainingRun {
    public let trainer: Trainer
    public let directory: String
    /// Latents of the progress grids (seeds 0 ..< count, as `generate` draws them).
    let gridLatents: Tensor
    let gridColumns: Int
    private let log: (String) -> Void
    private var history: [[String: Double]] = []
    private var metric: SlicedWasserstein?

    /// - Parameter log: receives each line that is also appended to log.txt.
    public init(trainer: Trainer, directory: String, gridSize: (columns: Int, rows: Int) = (8, 4),
                log: @escaping (String) -> Void) throws {
        self.trainer = trainer
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let c = trainer.options.config
        let n = gridSize.columns * gridSize.rows
        gridLatents = Tensor(shape: [n, c.latentSize], values: (0..<n).flatMap { seed -> [Float] in
            var r = NumpyRandomState(seed: UInt32(seed))
            return r.gaussians(c.latentSize)
        })
        gridColumns = gridSize.columns
        let logPath = (directory as NSString).appendingPathComponent("log.txt")
        self.log = { line in
            log(line)
            try? Self.append(line, to: logPath)   // best effort: the line has gone to `log` already
        }
        history = Self.readHistory(directory)
    }

    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Appends `line` and a newline to the file at `path`, creating it if needed.
    static func append(_ line: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw IOError.writeFailed(path: path, reason: "cannot create the file")
            }
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Trains until `totalKimg` (or until `stop()` returns true between steps), writing a
    /// tick every `tickKimg`, a snapshot every `snapshotTicks` ticks and one at the end.
    public func run(progress: ((StepStats, Double) -> Void)? = nil, stop: () -> Bool = { false }) throws {
        let o = trainer.options
        if !trainer.dataset.skipped.isEmpty {
            log("skipped \(trainer.dataset.skipped.count) unreadable file(s):")
            for s in trainer.dataset.skipped { log("  \(s.reason)") }
        }
        log("training \(o.config.resolution)px on \(trainer.dataset.count) images from \(o.dataDirectory): G \(trainer.generator.params.count) and D \(trainer.discriminatorParams.count) parameters, \(Threads.current) threads, from kimg \(String(format: "%.1f", trainer.kimg)) to \(o.totalKimg)")
        for change in trainer.changesAtResume { log("resume changes \(change)") }
        if let file = o.initialWeights, trainer.step == 0 { log("fine-tuning from \(file)") }
        for note in trainer.initNotes { log("note: \(note)") }
        var tickIndex = Int((trainer.kimg / o.tickKimg).rounded(.down))
        var tickStart = Date(), tickImages = 0
        var sums = [String: Double](), steps = 0, r1Steps = 0
        let runStart = Date(), startKimg = trainer.kimg
        while trainer.kimg < o.totalKimg && !stop() {
            let s = trainer.trainStep()
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
                if o.swdTicks > 0 && tickIndex % o.swdTicks == 0 {
                    for (k, v) in try evaluateSWD() { record[k] = v }
                }
                try tick(record, snapshot: tickIndex % o.snapshotTicks == 0 || trainer.kimg >= o.totalKimg)
                sums = [:]; steps = 0; r1Steps = 0; tickImages = 0; tickStart = Date()
            }
        }
        if stop() { try writeSnapshot() }
    }

    private func tick(_ record: [String: Double], snapshot: Bool) throws {
        history.append(record)
        let line = Trainer.encode(record)
        try Self.append(line, to: path("stats.jsonl"))
        func f(_ k: String, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", record[k] ?? .nan) }
        var text = "tick \(Int(record["tick"]!)) kimg \(f("kimg", 1)) res \(Int(record["resolution"]!)) lod \(f("lod", 2)) minibatch \(Int(record["minibatch"]!)) lossG \(f("lossG")) lossD \(f("lossD")) r1 \(f("r1", 4)) \(f("img_per_s", 2)) img/s \(f("sec_per_tick", 0)) s/tick"
        if let swd = record["swd_avg"] { text += " swd_avg \(String(format: "%.2f", swd))" }
        log(text)
        try writeGrid()
        try TrainingPlot.write(history: history, to: path("plot.png"))
        if snapshot { try writeSnapshot() }
    }

    /// Current EMA samples of the fixed grid latents, upsampled to full size.
    private func writeGrid() throws {
        let g = trainer.emaGenerator
        let images = withoutGradients { g.render(g.dlatents(from: g.map(gridLatents)), noise: .constant) }
        let grid = ImageConversion.grid(ImageConversion.images(from: images), columns: gridColumns)
        try PNG.write(grid, to: path(String(format: "fakes%06d.png", Int(trainer.kimg.rounded(.down)))))
    }

    /// Writes `network-snapshot-{kimg}.safetensors` atomically.
    @discardableResult
    public func writeSnapshot() throws -> String {
        let p = path(String(format: "network-snapshot-%06d.safetensors", Int(trainer.kimg.rounded(.down))))
        try trainer.snapshot().save(to: p)
        log("snapshot \(p)")
        return p
    }

    private func evaluateSWD() throws -> [String: Double] {
        let o = trainer.options
        if metric == nil { metric = SlicedWasserstein(resolution: o.config.resolution) }
        let n = min(o.swdImages, trainer.dataset.count)
        let reals = (0..<n).map { trainer.dataset.batch(indices: [$0 * trainer.dataset.count / n], mirror: [false], resolution: o.config.resolution) }
        let fakes = SlicedWasserstein.sample(trainer.emaGenerator, count: n, seed: 123_456)
        let result = metric!.distance(reals: concat(reals, axis: 0), fakes: fakes, seed: 7)
        var out: [String: Double] = ["swd_avg": result.average]
        for (res, v) in result.perLevel { out["swd_\(res)"] = v }
        return out
    }

    /// Stats already in stats.jsonl (for the plot after a resume).
    static func readHistory(_ directory: String) -> [[String: Double]] {
        let p = (directory as NSString).appendingPathComponent("stats.jsonl")
        guard let text = try? String(contentsOfFile: p, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Double]
        }
    }
}
