import Foundation
import StyleGANModel
import XCTest

/// `mpirun -np N stylegan train`: data-parallel training on Open MPI, on this machine.
/// Skipped when `mpirun` is missing, unless STYLEGAN_REQUIRE_MPI is set (CI sets it).
final class MPITrainingTests: XCTestCase {
    /// A tiny 8² run: 16 images, minibatch 8 (one step = 0.008 kimg), a tick per step.
    func options(data: String, minibatch: Int = 8, steps: Int, snapshotTicks: Int = 1) -> [String] {
        ["--data", data, "--resolution", "8", "--start-resolution", "8", "--fmap-base", "32", "--fmap-max", "16",
         "--latent-size", "16", "--mapping-layers", "2", "--minibatch", "\(minibatch)", "--no-mirror", "--seed", "3",
         "--tick-kimg", "\(Double(minibatch) / 1000)", "--snapshot-ticks", "\(snapshotTicks)",
         "--total-kimg", "\(Double(minibatch * steps) / 1000)", "--threads", "1"]
    }

    func data() throws -> (dir: String, data: String) {
        let dir = try tempDir()
        try writeImages(to: "\(dir)/data", count: 16, size: 8, pattern: (a: 37, b: 11))
        return (dir, "\(dir)/data")
    }

    /// G, G_ema and D of a snapshot, each as one flat array.
    func weights(_ path: String) throws -> [String: [Float]] {
        let w = try ModelWeights.load(path: path)
        return ["G": w.generator!.params.flat.scalars, "Gs": w.emaGenerator!.params.flat.scalars,
                "D": w.discriminator!.params.flat.scalars]
    }

    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        var d = 0.0, n = 0.0
        for (x, y) in zip(a, b) { d += Double(x - y) * Double(x - y); n += Double(x) * Double(x) }
        return (d / max(n, 1e-30)).squareRoot()
    }

    func testTwoProcessesWriteOneRunDirectory() throws {
        let (dir, data) = try data()
        let r = try mpirun(2, ["train", "--outdir", "\(dir)/run"] + options(data: data, steps: 4, snapshotTicks: 2))
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("2 processes × 1 threads"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "loaded 16 images").count, 2, "only rank 0 prints: \(r.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/run").sorted()
        XCTAssertEqual(files.filter { $0.hasPrefix("network-snapshot-") },
                       ["network-snapshot-000000.016.safetensors", "network-snapshot-000000.032.safetensors"])
        XCTAssertEqual(files.filter { $0.hasPrefix("fakes") }.count, 4)
        for name in ["log.txt", "stats.jsonl", "plot.png"] { XCTAssertTrue(files.contains(name), "\(name) in \(files)") }
        let stats = try String(contentsOfFile: "\(dir)/run/stats.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(stats.count, 4, "one stats row per tick, written once")
        let row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stats[0].utf8)) as? [String: Double])
        XCTAssertEqual(row["processes"], 2)
        // Per step: G and D gradients (4 bytes per parameter) plus w̄ twice and a few scalars.
        let w = try ModelWeights.load(path: "\(dir)/run/network-snapshot-000000.032.safetensors")
        let gradientMB = Double(4 * (w.generator!.params.count + w.discriminator!.params.count)) / 1e6
        XCTAssertEqual(try XCTUnwrap(row["allreduce_mb_per_step"]), gradientMB, accuracy: 0.01 * gradientMB)
        XCTAssertGreaterThan(try XCTUnwrap(row["allreduce_ms_per_step"]), 0)
    }

    /// The samples of a minibatch do not depend on how many processes share it: after
    /// one step every parameter agrees with one process's to float rounding. One
    /// parameter is the exception: the 4×4 constant's bias, whose true gradient at
    /// initialisation is exactly zero (instance norm of a spatially constant input, the
    /// noise weights being zero) and whose float-noise gradient Adam (β1 = 0) turns into
    /// ±lr. That and Adam's sign-like early steps let any change of summation order grow
    /// (one process with 1 vs 2 threads differs as much), so after 20 steps the bound is
    /// looser, far below what different samples would give.
    func testTwoProcessesTrainAsOneProcessDoes() throws {
        let (dir, data) = try data()
        let one = try run(["train", "--outdir", "\(dir)/one"] + options(data: data, steps: 20, snapshotTicks: 1))
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try mpirun(2, ["train", "--outdir", "\(dir)/two"] + options(data: data, steps: 20, snapshotTicks: 1))
        XCTAssertEqual(two.status, 0, two.stderr + two.stdout)
        let name = { (steps: Int) in String(format: "network-snapshot-%010.3f.safetensors", Double(8 * steps) / 1000) }

        let a1 = try ModelWeights.load(path: "\(dir)/one/\(name(1))"), b1 = try ModelWeights.load(path: "\(dir)/two/\(name(1))")
        for (net, x, y) in [("G", a1.generator!, b1.generator!), ("Gs", a1.emaGenerator!, b1.emaGenerator!)] {
            for ((spec, p), q) in zip(zip(x.params.specs, x.params.tensors), y.params.tensors) where !spec.name.hasSuffix("4x4/Const/bias") {
                XCTAssertLessThan(Self.relativeDifference(p.scalars, q.scalars), 1e-5, "\(net) \(spec.name) after one step")
            }
        }
        XCTAssertLessThan(Self.relativeDifference(a1.discriminator!.params.flat.scalars, b1.discriminator!.params.flat.scalars), 1e-5, "D after one step")
        XCTAssertLessThan(Self.relativeDifference(a1.generator!.dlatentAvg.scalars, b1.generator!.dlatentAvg.scalars), 1e-5, "w̄ after one step")

        let a20 = try weights("\(dir)/one/\(name(20))"), b20 = try weights("\(dir)/two/\(name(20))")
        for net in ["G", "Gs", "D"] {
            XCTAssertLessThan(Self.relativeDifference(a20[net]!, b20[net]!), 1e-2, "\(net) after 20 steps")
        }
        // One process under mpirun is the plain run, bit for bit.
        let single = try mpirun(1, ["train", "--outdir", "\(dir)/single"] + options(data: data, steps: 3))
        XCTAssertEqual(single.status, 0, single.stderr + single.stdout)
        XCTAssertEqual(try weights("\(dir)/single/\(name(3))"), try weights("\(dir)/one/\(name(3))"))
    }

    func testTwoProcessResumeIsExact() throws {
        let (dir, data) = try data()
        let whole = try mpirun(2, ["train", "--outdir", "\(dir)/whole"] + options(data: data, steps: 6, snapshotTicks: 3))
        XCTAssertEqual(whole.status, 0, whole.stderr + whole.stdout)
        try FileManager.default.createDirectory(atPath: "\(dir)/part", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(dir)/whole/network-snapshot-000000.024.safetensors",
                                        toPath: "\(dir)/part/network-snapshot-000000.024.safetensors")
        let resumed = try mpirun(2, ["train", "--resume", "\(dir)/part", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr + resumed.stdout)
        XCTAssertFalse(resumed.stdout.contains("not bit-exactly"), resumed.stdout)
        XCTAssertEqual(try weights("\(dir)/part/network-snapshot-000000.048.safetensors"),
                       try weights("\(dir)/whole/network-snapshot-000000.048.safetensors"))

        // Another process count continues, and says it is not exact.
        let other = try run(["train", "--resume", "\(dir)/part/network-snapshot-000000.024.safetensors",
                             "--outdir", "\(dir)/other", "--threads", "1"])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(other.stdout.contains("trained by 2 process(es), this run has 1"), other.stdout)
    }

    func testMinibatchThatDoesNotSplitIsRefused() throws {
        let (dir, data) = try data()
        let r = try mpirun(3, ["train", "--outdir", "\(dir)/run"] + options(data: data, steps: 2))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("stylegan: minibatch 8 does not split evenly over 3 processes"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/run/stats.jsonl"))
    }

    /// Hosts with different data folders (here: two folders, one per process, with
    /// mpirun's MPMD syntax) are refused before training.
    func testProcessesWithDifferentDataAreRefused() throws {
        let (dir, data) = try data()
        try writeImages(to: "\(dir)/other", count: 16, size: 8, pattern: (a: 37, b: 12))
        let r = try mpirunRaw(["-np", "1", try binary, "train", "--outdir", "\(dir)/run"] + options(data: data, steps: 2)
                              + [":", "-np", "1", try binary, "train", "--outdir", "\(dir)/run"] + options(data: "\(dir)/other", steps: 2))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("stylegan: the 2 processes loaded different training images (16 here)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("(rank 1)"), "rank 0 reports an error every process found: \(r.stderr)")
    }

    /// A rank killed mid-run ends the job with a failure status in bounded time, and
    /// the last snapshot stays loadable and resumable.
    func testKilledProcessEndsTheJob() throws {
        let (dir, data) = try data()
        let job = try startMPI(2, ["train", "--outdir", "\(dir)/run"] + options(data: data, steps: 100_000, snapshotTicks: 1))
        let deadline = Date().addingTimeInterval(60)
        while TrainingSnapshots.count(in: "\(dir)/run") < 2 && Date() < deadline && job.isRunning { usleep(50_000) }
        XCTAssertTrue(job.isRunning, "the job ended before it could be killed")
        let victim = try XCTUnwrap(Self.rankProcess(1, under: job.processIdentifier), "rank 1's process")
        kill(victim, SIGKILL)
        let killedAt = Date()
        while job.isRunning && Date().timeIntervalSince(killedAt) < 60 { usleep(50_000) }
        if job.isRunning { job.terminate(); XCTFail("the job still ran 60 s after rank 1 was killed") }
        job.waitUntilExit()
        XCTAssertNotEqual(job.terminationStatus, 0)
        let latest = try XCTUnwrap(TrainingSnapshots.names(in: "\(dir)/run").last)
        _ = try ModelWeights.load(path: "\(dir)/run/\(latest)")
        let kimg = try XCTUnwrap(Double(latest.dropFirst("network-snapshot-".count).dropLast(".safetensors".count)))
        let resumed = try run(["train", "--resume", "\(dir)/run", "--total-kimg", "\(kimg + 0.008)", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming \(dir)/run/\(latest)"), resumed.stdout)
    }

    // MARK: - Running under mpirun

    /// `mpirun`, or a skip (a failure when STYLEGAN_REQUIRE_MPI is set).
    func mpirunPath() throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        if let path { return path }
        if ProcessInfo.processInfo.environment["STYLEGAN_REQUIRE_MPI"] != nil {
            XCTFail("mpirun not found, and STYLEGAN_REQUIRE_MPI is set (install openmpi-bin: tools/install-deps.sh)")
        }
        throw XCTSkip("mpirun not found (install openmpi-bin: tools/install-deps.sh)")
    }

    /// Open MPI on one machine: more processes than cores, and as root in CI.
    static let mpirunOptions = ["--oversubscribe", "--allow-run-as-root", "--bind-to", "none"]

    func startMPI(_ processes: Int, _ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try mpirunPath())
        p.arguments = Self.mpirunOptions + ["-np", "\(processes)", try binary] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func mpirun(_ processes: Int, _ arguments: [String]) throws -> Run {
        try mpirunRaw(["-np", "\(processes)", try binary] + arguments)
    }

    /// mpirun with its usual options and then `arguments` (process counts, programs and their arguments).
    func mpirunRaw(_ arguments: [String]) throws -> Run {
        try runProgram(try mpirunPath(), Self.mpirunOptions + arguments)
    }

    /// The process of rank `rank` among the descendants of `root` (its environment names the rank).
    static func rankProcess(_ rank: Int, under root: Int32) -> pid_t? {
        var frontier = [root]
        while let pid = frontier.popLast() {
            let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/environ"))) ?? Data()
                if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }) {
                    return child
                }
                frontier.append(child)
            }
        }
        return nil
    }
}

enum TrainingSnapshots {
    /// Snapshot file names in `directory`, oldest first.
    static func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("network-snapshot-") }.sorted()
    }
    static func count(in directory: String) -> Int { names(in: directory).count }
}
