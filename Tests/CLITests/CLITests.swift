import Foundation
import XCTest
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// Runs the built `stylegan` binary as a user would.
final class CLITests: XCTestCase {
    func testGenerateIsDeterministicAcrossThreadCounts() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let one = try run(["generate", "--weights", weights, "--seeds", "1-3,42", "--outdir", "\(dir)/a", "--threads", "1"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try run(["generate", "--weights", weights, "--seeds", "1-3,42", "--outdir", "\(dir)/b", "--threads", "2", "--batch", "3"])
        XCTAssertEqual(two.status, 0, two.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/a").sorted()
        XCTAssertEqual(files, ["seed0001.png", "seed0002.png", "seed0003.png", "seed0042.png"])
        for f in files {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/a/\(f)"), FileManager.default.contents(atPath: "\(dir)/b/\(f)"), f)
        }
        let image = try PNG.read(path: "\(dir)/a/seed0042.png")
        XCTAssertEqual([image.width, image.height], [16, 16])

        let grid = try run(["generate", "--weights", weights, "--seeds", "0-5", "--grid", "--columns", "3", "--outdir", "\(dir)/g"])
        XCTAssertEqual(grid.status, 0, grid.stderr)
        let g = try PNG.read(path: "\(dir)/g/grid.png")
        XCTAssertEqual([g.width, g.height], [48, 32])
    }

    func testInterpolateAndMixWriteTheirImages() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let walk = try run(["interpolate", "--weights", weights, "--seeds", "1,2,3", "--frames-per-seed", "4", "--outdir", "\(dir)/frames"])
        XCTAssertEqual(walk.status, 0, walk.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/frames").count, 9)
        XCTAssertTrue(walk.stdout.contains("ffmpeg"))
        let looped = try run(["interpolate", "--weights", weights, "--seeds", "1,2", "--frames-per-seed", "3", "--loop", "--space", "w", "--mode", "lerp", "--outdir", "\(dir)/loop"])
        XCTAssertEqual(looped.status, 0, looped.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/loop").count, 6)

        let strip = try run(["interpolate", "--weights", weights, "--seeds", "1,2", "--frames-per-seed", "5", "--strip", "--outdir", "\(dir)/strip"])
        XCTAssertEqual(strip.status, 0, strip.stderr)
        let s = try PNG.read(path: "\(dir)/strip/strip.png")
        XCTAssertEqual([s.width, s.height], [16 * 6, 16])

        let mix = try run(["mix", "--weights", weights, "--rows", "1,2", "--cols", "3,4,5", "--styles", "0-1", "--output", "\(dir)/mix.png"])
        XCTAssertEqual(mix.status, 0, mix.stderr)
        let m = try PNG.read(path: "\(dir)/mix.png")
        XCTAssertEqual([m.width, m.height], [64, 48])

        let inspect = try run(["inspect", weights])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("Gs/synthesis/4x4/Const/const"))
    }

    /// Bad input: one clear line on stderr, non-zero exit, no PNG left behind.
    func testBadInputFailsCleanly() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let garbage = "\(dir)/garbage.safetensors"
        try Data("nope".utf8).write(to: URL(fileURLWithPath: garbage))
        try Data().write(to: URL(fileURLWithPath: "\(dir)/afile"))
        let cases: [([String], String)] = [
            (["generate", "--weights", "\(dir)/missing.safetensors", "--seeds", "1", "--outdir", "\(dir)/o1"], "missing.safetensors"),
            (["generate", "--weights", garbage, "--seeds", "1", "--outdir", "\(dir)/o2"], "garbage.safetensors"),
            (["generate", "--weights", weights, "--seeds", "1-x", "--outdir", "\(dir)/o3"], "seed list"),
            (["generate", "--weights", weights, "--seeds", "1", "--psi", "5", "--outdir", "\(dir)/o4"], "--psi"),
            (["generate", "--weights", weights, "--seeds", "1", "--outdir", "\(dir)/afile"], "not a directory"),
            (["interpolate", "--weights", weights, "--seeds", "1", "--outdir", "\(dir)/o5"], "at least two keyframes"),
            (["mix", "--weights", weights, "--rows", "1", "--cols", "2", "--styles", "fine", "--output", "\(dir)/m.png"], "outside this model"),
            (["generate", "--weights", weights, "--seeds", "1", "--outdir", "\(dir)/o6", "--threads", "0"], "--threads"),
        ]
        for (args, fragment) in cases {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args) should fail")
            XCTAssertTrue(r.stderr.contains(fragment), "\(args): stderr was: \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), "\(args) crashed: \(r.stderr)")
        }
        let pngs = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".png") } ?? []
        XCTAssertEqual(pngs, [], "no PNG may be left behind by a failed command")
    }

    /// SIGINT and SIGTERM stop `train` between steps with a snapshot, exit 0, and the
    /// snapshot resumes (the optimised binary must not cache the stop flag); the log
    /// lines reach a redirected stdout as they are printed.
    func testTrainStopsOnSignalWithASnapshot() throws {
        let dir = try tempDir()
        try writeImages(to: "\(dir)/data", count: 8, size: 8, pattern: (37, 101))
        for (signal, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let run = "\(dir)/run-\(name)"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try binary)
            p.arguments = ["train", "--data", "\(dir)/data", "--outdir", run, "--resolution", "8", "--fmap-base", "32",
                           "--fmap-max", "8", "--latent-size", "8", "--mapping-layers", "2", "--start-resolution", "4",
                           "--stable-kimg", "1", "--fade-kimg", "1", "--total-kimg", "1000", "--minibatch", "4",
                           "--tick-kimg", "0.008", "--snapshot-ticks", "100000"]
            // stdout goes to a file, as with `nohup stylegan train > run.out &`: the log lines
            // must reach it while the run goes on, not when the process exits.
            let log = "\(dir)/\(name).out"
            XCTAssertTrue(FileManager.default.createFile(atPath: log, contents: nil), log)
            p.standardOutput = FileHandle(forWritingAtPath: log)
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            let started = Date()
            while !FileManager.default.fileExists(atPath: "\(run)/stats.jsonl") && p.isRunning && Date().timeIntervalSince(started) < 60 {
                Thread.sleep(forTimeInterval: 0.05)
            }
            XCTAssertTrue(p.isRunning, "\(name): train exited before the signal")
            // The first tick is done, far less than a stdio buffer of output: block-buffered, the file is still empty.
            let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            XCTAssertTrue(logged.contains("training 8px on 8 images"), "\(name): the start line is not in the redirected stdout while training: '\(logged)'")
            kill(p.processIdentifier, signal)
            let signalled = Date()
            while p.isRunning && Date().timeIntervalSince(signalled) < 30 { Thread.sleep(forTimeInterval: 0.05) }
            if p.isRunning {
                p.terminate()
                kill(p.processIdentifier, SIGKILL)
                XCTFail("\(name): train did not stop within 30 s")
                continue
            }
            XCTAssertEqual(p.terminationStatus, 128 + signal, "\(name): exits as a shell reports the signal")
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("network-snapshot-") }
            XCTAssertEqual(snapshots.count, 1, "\(name): \(snapshots)")
            let weights = try ModelWeights.load(path: "\(run)/\(try XCTUnwrap(snapshots.first))")
            XCTAssertNotNil(weights.metadata["training_state"], name)
        }
    }

    /// On resume, options given as `--x=v` or `--x v` change the run and are logged; a
    /// setting fixed for the run is refused with one line.
    func testResumeAppliesChangedSettings() throws {
        let dir = try tempDir()
        try writeImages(to: "\(dir)/data", count: 8, size: 8, pattern: (29, 83))
        let runDir = "\(dir)/run"
        let first = try run(["train", "--data", "\(dir)/data", "--outdir", runDir, "--resolution", "8", "--fmap-base", "32",
                             "--fmap-max", "8", "--latent-size", "8", "--mapping-layers", "2", "--start-resolution", "4",
                             "--stable-kimg", "1", "--fade-kimg", "1", "--total-kimg", "0.008", "--minibatch", "4",
                             "--tick-kimg", "0.008", "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try run(["train", "--resume", runDir, "--total-kimg=0.016", "--gamma=1", "--r1-interval", "4", "--no-mirror", "--threads", "1"])
        XCTAssertEqual(second.status, 0, second.stderr)
        for change in ["total-kimg 0.008 -> 0.016", "gamma 10.0 -> 1.0", "r1-interval 1 -> 4", "mirror true -> false"] {
            XCTAssertTrue(second.stdout.contains("resume changes \(change)"), "\(change) missing from: \(second.stdout)")
        }
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: runDir).filter { $0.hasPrefix("network-snapshot-") }.sorted()
        let latest = try ModelWeights.load(path: "\(runDir)/\(try XCTUnwrap(snapshots.last))")
        let state = try XCTUnwrap(latest.metadata["training_state"])
        XCTAssertTrue(state.contains("\"kimg\":0.016"), state)
        let options = try XCTUnwrap(latest.metadata["training_options"])
        XCTAssertTrue(options.contains("\"r1Interval\":4") && options.contains("\"setting\":\"gamma\""), options)

        let refused = try run(["train", "--resume", runDir, "--resolution=16", "--threads", "1"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("cannot change the model"), refused.stderr)
    }

    /// `train --init` fine-tunes a model: a Gs-only file trains at full resolution with a
    /// fresh D (and says so); options that contradict the file's architecture are refused.
    func testTrainInitFineTunesAModel() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        try writeImages(to: "\(dir)/data", count: 8, size: 24, pattern: (31, 67))
        let r = try run(["train", "--data", "\(dir)/data", "--outdir", "\(dir)/run", "--init", weights, "--total-kimg", "0.008",
                         "--minibatch", "4", "--tick-kimg", "0.008", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("fine-tuning from \(weights)") && r.stdout.contains("D starts fresh"), r.stdout)
        XCTAssertTrue(r.stdout.contains("res 16 lod 0.00"), "trains at the file's full resolution: \(r.stdout)")
        let snapshotName = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/run").first { $0.hasPrefix("network-snapshot-") })
        let snapshot = try ModelWeights.load(path: "\(dir)/run/\(snapshotName)")
        XCTAssertEqual(snapshot.config.fmapMax, 8)
        XCTAssertNotNil(snapshot.discriminator)

        let bad = try run(["train", "--data", "\(dir)/data", "--outdir", "\(dir)/run2", "--init", weights, "--fmap-max", "16"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("fmapMax 16 vs 8"), bad.stderr)
    }

    /// Requests for huge outputs are refused at once, before any rendering.
    func testHugeWalksAndFiguresAreRefusedUpFront() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let cases: [([String], String)] = [
            (["interpolate", "--weights", weights, "--seeds", "0-9999", "--frames-per-seed", "100000", "--outdir", "\(dir)/w"], "over the limit of 1000000"),
            (["interpolate", "--weights", weights, "--seeds", "0-2999", "--frames-per-seed", "100", "--strip", "--outdir", "\(dir)/s"], "over the limit of"),
            (["mix", "--weights", weights, "--rows", "0-99999", "--cols", "0-99", "--output", "\(dir)/m.png"], "over the limit of"),
            (["generate", "--seeds", "0-99999", "--grid", "--outdir", "\(dir)/g"], "over the limit of"),   // the bundled 64² model
            (["mix", "--weights", weights, "--rows", "1", "--cols", "2", "--styles=-1-3", "--output", "\(dir)/m.png"], "styles must be"),
        ]
        for (args, fragment) in cases {
            let started = Date()
            assertOneLineError(try run(args), containing: fragment, "\(args)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, "\(args) took too long")
        }
        let mix = try run(["mix", "--weights", weights, "--rows", "1-3", "--cols", "4-8", "--styles", "0-2", "--batch", "2", "--output", "\(dir)/m.png"])
        XCTAssertEqual(mix.status, 0, mix.stderr)
        let figure = try PNG.read(path: "\(dir)/m.png")
        XCTAssertEqual([figure.width, figure.height], [6 * 16, 4 * 16])
    }

    /// Bad numbers are refused with one line and exit 64 (usage error), never a trap.
    func testNumericOptionsAreRefusedWithOneLine() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let cases: [([String], [String: String], String)] = [
            (["train", "--data", dir, "--outdir", "\(dir)/r", "--lr", "nan"], [:], "learning rate"),
            (["train", "--data", dir, "--outdir", "\(dir)/r", "--total-kimg=inf"], [:], "total kimg"),
            (["train", "--data", dir, "--outdir", "\(dir)/r", "--resolution=-16"], [:], "resolution"),
            (["train", "--data", dir, "--outdir", "\(dir)/r", "--mapping-layers", "1000000000"], [:], "mappingLayers"),
            (["train", "--data", dir, "--outdir", "\(dir)/r", "--gamma", "inf"], [:], "γ"),
            (["train", "--data", dir, "--outdir", "\(dir)/r", "--limit=-1"], [:], "data limit"),
            (["generate", "--weights", weights, "--seeds", "1", "--outdir", "\(dir)/o", "--threads", "2147483648"], [:], "--threads must be in"),
            (["generate", "--weights", weights, "--seeds", "1", "--outdir", "\(dir)/o"], ["STYLEGAN_THREADS": "4294967296"], "STYLEGAN_THREADS"),
            (["metrics", "swd", "--baseline", "--data", dir, "--resolution", "65536"], [:], "--resolution must be"),
        ]
        for (args, env, fragment) in cases {
            assertOneLineError(try run(args, environment: env), containing: fragment, status: 64, "\(args)")
        }
        let missing = try run(["generate", "--weights", "\(dir)/none.safetensors", "--seeds", "1", "--outdir", "\(dir)/o"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "stylegan: \(dir)/none.safetensors: no such file\n", "the path once")
    }

    /// `info` names the BLAS kernel; when OpenBLAS counts as having fallen back, the
    /// process re-executes itself once with the best kernel; a user's choice wins.
    func testInfoNamesTheBLASKernelAndTheRestartPicksTheBest() throws {
        let plain = try run(["info"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("blas: OpenBLAS kernel "), plain.stdout)
        let restarted = try run(["info"], environment: ["STYLEGAN_BLAS_TEST_FALLBACK": "1"])
        XCTAssertEqual(restarted.status, 0, restarted.stderr)
        let best = try XCTUnwrap(plain.stdout.split(separator: "\n").first { $0.hasPrefix("best kernel for this cpu: ") })
            .replacingOccurrences(of: "best kernel for this cpu: ", with: "")
        if best != "OpenBLAS's own choice" {
            XCTAssertTrue(restarted.stdout.contains("blas: OpenBLAS kernel \(best) (chosen at start-up for this CPU)"), restarted.stdout)
        }
        let chosen = try run(["info"], environment: ["STYLEGAN_BLAS_TEST_FALLBACK": "1", "OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertTrue(chosen.stdout.contains("blas: OpenBLAS kernel Prescott (from OPENBLAS_CORETYPE)"), chosen.stdout)
    }

    /// `info` names the own kernels' level; STYLEGAN_KERNELS chooses a level the CPU runs and
    /// an unknown level, or one the CPU lacks, is a one-line error.
    func testInfoNamesTheKernelLevelAndRefusesOneTheCPULacks() throws {
        let plain = try run(["info"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("kernels: own kernels \(KernelLevel.best.name) (best for this CPU)"), plain.stdout)
        let portable = try run(["info"], environment: ["STYLEGAN_KERNELS": "portable"])
        XCTAssertEqual(portable.status, 0, portable.stderr)
        XCTAssertTrue(portable.stdout.contains("kernels: own kernels portable (from STYLEGAN_KERNELS)"), portable.stdout)
        assertOneLineError(try run(["info"], environment: ["STYLEGAN_KERNELS": "sse9"]), containing: "is not a kernel level",
                           status: 1, "unknown level")
        if !KernelLevel.avx512.isSupported {
            assertOneLineError(try run(["info"], environment: ["STYLEGAN_KERNELS": "avx512"]), containing: "no AVX-512",
                               status: 1, "avx512 on a CPU without it")
        }
    }

    /// `-` writes the output to stdout (status lines go to stderr); devices are refused.
    func testDashWritesStandardOutputAndDevicesAreRefused() throws {
        let dir = try tempDir()
        let weights = try tinyModel(dir)
        let exported = try run(["export", weights, "-"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertTrue(exported.stdout.utf8.count > 1000 && exported.stderr.contains("wrote standard output"), exported.stderr)
        let mix = try run(["mix", "--weights", weights, "--rows", "1", "--cols", "2", "--output", "-"])
        XCTAssertEqual(mix.status, 0, mix.stderr)
        XCTAssertTrue(mix.stdout.contains("PNG") && mix.stderr.contains("wrote standard output"), "a PNG on stdout: \(mix.stderr)")
        // One-character paths (Foundation's deletingLastPathComponent traps on them).
        let current = Process()
        current.executableURL = URL(fileURLWithPath: try binary)
        current.arguments = ["mix", "--weights", weights, "--rows", "1", "--cols", "2", "--output", "m"]
        current.currentDirectoryURL = URL(fileURLWithPath: dir)
        try current.run()
        current.waitUntilExit()
        XCTAssertEqual(current.terminationStatus, 0)
        XCTAssertNoThrow(try PNG.read(path: "\(dir)/m"))
        // A destination that cannot be written is refused before any rendering.
        let folder = try run(["mix", "--weights", weights, "--rows", "1", "--cols", "2", "--output", dir])
        XCTAssertNotEqual(folder.status, 0)
        XCTAssertEqual(folder.stderr, "stylegan: \(dir): cannot write file: it is a directory\n", "no progress lines first")
        let device = try run(["export", weights, "/dev/null"])
        XCTAssertNotEqual(device.status, 0)
        XCTAssertTrue(device.stderr.contains("device, FIFO or socket"), device.stderr)
    }

    /// Adversarial findings at the command line: a NaN lod is described, not a crash; a
    /// batch that cannot fit is refused; output that cannot be written is an error.
    func testAdversarialFindingsAtTheCommandLine() throws {
        let dir = try tempDir()
        var file = try SafeTensorsFile.read(path: try tinyModel(dir))
        file.metadata["lod"] = "nan"
        try file.write(to: "\(dir)/nanlod.safetensors", checksum: true)
        let inspect = try run(["inspect", "\(dir)/nanlod.safetensors", "--summary"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("lod: 'nan' (invalid"), inspect.stdout)

        let batch = try run(["generate", "--seeds", "0-3", "--batch", "1024", "--outdir", "\(dir)/b"])   // the bundled 64² model
        XCTAssertEqual(batch.status, 64, batch.stderr)
        XCTAssertTrue(batch.stderr.contains("--batch 1024 would need"), batch.stderr)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary)
        p.arguments = ["inspect", "\(dir)/tiny.safetensors"]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1)
        XCTAssertTrue(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("cannot write to standard output"))
    }

    /// `metrics swd --baseline` scores two disjoint halves of a folder (no model needed).
    func testSWDBaselineComparesTwoSamplesOfTheFolder() throws {
        let dir = try tempDir()
        for i in 0..<40 {
            var image = RGBImage(width: 16, height: 16)
            for p in 0..<image.pixels.count { image.pixels[p] = Float((p * 13 + i * 71) % 256) / 255 }
            try PNG.write(image, to: "\(dir)/\(i).png")
        }
        let r = try run(["metrics", "swd", "--baseline", "--data", dir, "--num", "100", "--resolution", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("20 images per set at 16x16") && r.stdout.contains("SWDx1e3_avg: "), r.stdout)
        let bad = try run(["metrics", "swd", "--baseline", "--data", dir, "--resolution", "12"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--resolution must be a power of two"), bad.stderr)
        let stray = try run(["metrics", "swd", "--data", dir, "--resolution", "16"])
        XCTAssertNotEqual(stray.status, 0)
        XCTAssertTrue(stray.stderr.contains("--resolution applies only with --baseline"), stray.stderr)
    }

    /// Without --weights, `generate` finds the bundled model next to the checkout the
    /// binary was built in (here from another working directory) and makes 64×64 faces.
    func testGenerateUsesTheBundledModelByDefault() throws {
        let dir = try tempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary)
        p.arguments = ["generate", "--seeds", "0,1", "--outdir", "\(dir)/out"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("weights/faces64.safetensors"), text)
        for seed in ["seed0000.png", "seed0001.png"] {
            let image = try PNG.read(path: "\(dir)/out/\(seed)")
            XCTAssertEqual([image.width, image.height], [64, 64])
        }
    }
}
