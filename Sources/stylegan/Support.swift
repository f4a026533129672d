import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// A user-facing failure: printed as one line on stderr, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Parses seed lists such as `1-8,42` (ranges inclusive).
enum SeedList {
    static func parse(_ text: String) throws -> [UInt32] {
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard !item.isEmpty, bounds.count <= 2,
                  let lo = UInt32(bounds[0]), let hi = bounds.count == 2 ? UInt32(bounds[1]) : lo, lo <= hi else {
                throw ValidationError("seed list '\(text)' does not parse at '\(item)' (use e.g. 1-8,42; seeds are 0…4294967295)")
            }
            guard Int(hi) - Int(lo) < 100_000, seeds.count + Int(hi - lo) < 100_000 else {
                throw ValidationError("seed list '\(text)' asks for more than 100000 images")
            }
            seeds += Array(lo...hi)
        }
        return seeds
    }
}

/// Options for choosing and loading the weights.
struct WeightsOptions: ParsableArguments {
    @Option(name: .long, help: "Weights file (.safetensors). Default: the bundled model, weights/faces64.safetensors.")
    var weights: String?

    static let bundledName = "weights/faces64.safetensors"

    /// The bundled model: next to the working directory, or next to the checkout the
    /// binary was built in (.build/<config>/stylegan → ../../weights).
    static func bundledPath() -> String? {
        var candidates = [bundledName]
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent(bundledName).path)
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Loads the generator to sample from (the EMA one when the file has it).
    func loadGenerator() throws -> (Generator, String) {
        let (model, path) = try loadModel()
        return (model.samplingGenerator!, path)
    }

    /// The generator to sample from, the file's metadata and its path.
    func loadSampling() throws -> (generator: Generator, metadata: [String: String], path: String) {
        let (model, path) = try loadModel()
        return (model.samplingGenerator!, model.metadata, path)
    }

    /// Loads every network in the file; it must hold a generator.
    func loadModel() throws -> (ModelWeights, String) {
        guard let path = weights ?? Self.bundledPath() else {
            throw CLIError("no --weights given and the bundled model \(Self.bundledName) was not found")
        }
        let model = try ModelWeights.load(path: path)
        guard model.samplingGenerator != nil else { throw CLIError("\(path): holds no generator (G or Gs)") }
        return (model, path)
    }
}

/// The directory part of `path` ("" for a bare file name). Foundation's
/// `NSString.deletingLastPathComponent` traps on one-character paths ("a", "-", "."),
/// so user-given paths never go through it.
func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    let parent = String(path[..<slash])
    return parent.isEmpty ? "/" : parent
}

/// Prints a status line: on stdout, or on stderr when stdout carries the output (`-`).
func status(_ line: String, outputToStdout: Bool) {
    if outputToStdout { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
}

/// The batch to render with: the one asked for, refused when its activations would pass
/// `Generator.batchMemoryLimit`, or one sized from a 1 GiB budget.
func renderBatch(_ requested: Int?, for g: Generator) throws -> Int {
    guard let requested else { return g.defaultBatch(memoryBudget: 1 << 30) }
    let most = g.maxBatch(memoryBudget: Generator.batchMemoryLimit)
    guard requested <= most else {
        throw ValidationError("--batch \(requested) would need about \(requested * 8 * g.largestActivationBytes >> 20) MiB at \(g.config.resolution)x\(g.config.resolution); at most \(most) here")
    }
    return requested
}

/// Output directory handling: created up front so a bad path fails before any work.
enum OutputDirectory {
    static func prepare(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw CLIError("output path \(path) exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            catch { throw CLIError("cannot create output directory \(path): \(error.localizedDescription)") }
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw CLIError("output directory \(path) is not writable")
        }
    }
}

/// A progress line on a terminal (redrawn in place), plain lines otherwise.
struct Progress {
    let total: Int
    let label: String
    let start = Date()
    private let tty = isatty(STDERR_FILENO) != 0
    private var lastPlain = -1
    /// Work already done when the progress began (a resumed run), excluded from rates.
    private let initial: Int

    init(total: Int, label: String, initial: Int = 0) {
        self.total = max(total, 1); self.label = label; self.initial = initial
    }

    mutating func update(_ done: Int, detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done - initial) / max(elapsed, 1e-9)
        let eta = done > 0 ? Double(total - done) / rate : 0
        if tty {
            let width = 30, filled = width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let info = detail.isEmpty ? "\(done)/\(total) \(String(format: "%.2f", rate))/s" : detail
            FileHandle.standardError.write("\r\(label) [\(bar)] \(info) ETA \(Self.duration(eta))  ".data(using: .utf8)!)
            if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        } else {
            let decile = 10 * done / total
            if decile != lastPlain || done == total {
                lastPlain = decile
                let info = detail.isEmpty ? "\(done)/\(total) (\(String(format: "%.2f", rate))/s)" : detail
                FileHandle.standardError.write("\(label): \(info) ETA \(Self.duration(eta))\n".data(using: .utf8)!)
            }
        }
    }
}

extension Progress {
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds)
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

/// Seeds and latent files mixed in one list, e.g. `3,face.npy,10-12` (a file adds each
/// of its w rows).
enum LatentKeys {
    static func parse(_ text: String) throws -> [LatentSource] {
        var keys: [LatentSource] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(part).trimmingCharacters(in: .whitespaces)
            if LatentSource.isLatentFile(item) { keys.append(.file(item)); continue }
            keys += try SeedList.parse(item).map(LatentSource.seed)
            guard keys.count <= 100_000 else { throw ValidationError("'\(text)' asks for more than 100000 images") }
        }
        return keys
    }
}

/// Truncation options shared by the sampling commands.
struct TruncationOptions: ParsableArguments {
    @Option(name: .customLong("psi"), help: "Truncation ψ in [-1, 2]; 1 disables truncation (default 0.7 for seeds; w read from a file is truncated only when --psi is given).")
    var explicitPsi: Float?

    /// ψ for latents drawn from seeds (or z files).
    var psi: Float { explicitPsi ?? 0.7 }
    /// ψ for w read from files: untouched unless asked.
    var filePsi: Float { explicitPsi ?? 1 }

    @Option(help: "Truncate only the first N synthesis layers (default: the model's cutoff, 8 officially).")
    var cutoff: Int?

    func validate() throws {
        let range = StyleGANConfig.Limits.truncationPsi
        guard psi.isFinite, range.contains(psi) else { throw ValidationError("--psi must be within [\(range.lowerBound), \(range.upperBound)], got \(psi)") }
        if let cutoff, cutoff < 0 { throw ValidationError("--cutoff must be ≥ 0, got \(cutoff)") }
    }
}
