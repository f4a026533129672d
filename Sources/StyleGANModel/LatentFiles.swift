import Foundation
import StyleGANIO
import StyleGANTensor

/// A latent file that does not fit the model: names the file and what was expected.
public struct LatentFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ path: String, _ message: String) { description = "\(path): \(message)" }
}

/// Where a key latent comes from: a seed (z = `RandomState(seed).randn`, as the official
/// scripts draw it) or a `.npy`/`.npz` file of w (one or more [numLayers, D] dlatents).
public enum LatentSource: Equatable, Sendable {
    case seed(UInt32)
    case file(String)

    /// True for a path ending in `.npy` or `.npz` (any case).
    public static func isLatentFile(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasSuffix(".npy") || lower.hasSuffix(".npz")
    }
}

/// Reading and writing latents as NumPy files (float32, C order).
///
/// - w: `[numLayers, D]` (one image, as `project` writes) or `[N, numLayers, D]`;
///   in an `.npz`, the array `w` (as `generate --save-latents` writes).
/// - z: `[latentSize]` or `[N, latentSize]`; in an `.npz`, the array `z`.
public enum LatentFile {
    /// The w rows of a file, each numLayers·D values (layer-major).
    public static func readW(_ path: String, config: StyleGANConfig) throws -> [[Float]] {
        let (layers, d) = (config.numLayers, config.dlatentSize)
        let array = try read(path, entry: "w")
        let shape = array.shape
        let fits = (shape.count == 2 && shape == [layers, d]) || (shape.count == 3 && shape[1] == layers && shape[2] == d)
        guard fits, let values = array.floats else {
            throw LatentFileError(path, "w of shape \(array.shapeDescription) does not fit this model: expected (\(layers), \(d)) or (N, \(layers), \(d)) floats")
        }
        return rows(values, size: layers * d)
    }

    /// The z rows of a file, each latentSize values.
    public static func readZ(_ path: String, config: StyleGANConfig) throws -> [[Float]] {
        let n = config.latentSize
        let array = try read(path, entry: "z")
        guard array.shape == [n] || (array.shape.count == 2 && array.shape[1] == n), let values = array.floats else {
            throw LatentFileError(path, "z of shape \(array.shapeDescription) does not fit this model: expected (\(n),) or (N, \(n)) floats")
        }
        return rows(values, size: n)
    }

    /// Writes dlatents [N, numLayers, D] as a `.npy` of shape `[numLayers, D]` when N is
    /// 1 and `squeeze`, else `[N, numLayers, D]`.
    public static func writeW(_ dlatents: Tensor, to path: String, squeeze: Bool = true) throws {
        precondition(dlatents.rank == 3, "writeW: dlatents \(dlatents.shape)")
        let shape = squeeze && dlatents.shape[0] == 1 ? Array(dlatents.shape.dropFirst()) : dlatents.shape
        try NumpyArray(shape: shape, float32: dlatents.scalars).write(to: path)
    }

    private static func read(_ path: String, entry: String) throws -> NumpyArray {
        let array = path.lowercased().hasSuffix(".npz")
            ? try NumpyArchive.read(path: path).array(named: entry)
            : try NumpyArray.read(path: path)
        guard array.elementCount > 0 else { throw LatentFileError(path, "holds no latents (shape \(array.shapeDescription))") }
        guard array.floats != nil else { throw LatentFileError(path, "holds integers, not float latents (shape \(array.shapeDescription))") }
        return array
    }

    private static func rows(_ values: [Float], size: Int) -> [[Float]] {
        stride(from: 0, to: values.count, by: size).map { Array(values[$0..<($0 + size)]) }
    }
}

extension Generator {
    /// Dlatents [N, numLayers, D] of the sources, in order (a file contributes each of its
    /// rows): seeds mapped and truncated with `psi`/`cutoff`, file latents truncated with
    /// `filePsi` (1: used as they are).
    public func dlatents(of sources: [LatentSource], psi: Float, filePsi: Float, cutoff: Int?) throws -> Tensor {
        let (layers, d) = (config.numLayers, config.dlatentSize)
        var rows: [Float] = []
        var count = 0
        var seeds: [UInt32] = []
        func flushSeeds() {
            guard !seeds.isEmpty else { return }
            let z = Tensor(shape: [seeds.count, config.latentSize], values: seeds.flatMap { latent(seed: $0) })
            rows += withoutGradients { dlatents(from: map(z), psi: psi, cutoff: cutoff) }.scalars
            count += seeds.count
            seeds = []
        }
        for source in sources {
            switch source {
            case .seed(let s):
                seeds.append(s)
                if seeds.count == 256 { flushSeeds() }
            case .file(let path):
                flushSeeds()
                let w = try LatentFile.readW(path, config: config)
                let t = Tensor(shape: [w.count, layers, d], values: w.flatMap { $0 })
                rows += withoutGradients { truncate(t, psi: filePsi, cutoff: cutoff) }.scalars
                count += w.count
            }
        }
        flushSeeds()
        return Tensor(shape: [count, layers, d], values: rows)
    }
}
