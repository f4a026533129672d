import Foundation
import StyleGANIO
import StyleGANTensor

/// A problem with a weights file: always names the file and what is wrong.
public struct WeightsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ path: String, _ message: String) { description = "\(path): \(message)" }
    /// An I/O error, whose message already names the file.
    public init(_ error: IOError) { description = error.description }
}

/// The networks of one model as stored in a safetensors file.
///
/// Tensor names are `{network}/{official variable name}` with network `G` (generator),
/// `Gs` (its moving average, the one to sample from) or `D`, e.g.
/// `Gs/mapping/Dense0/weight`, `Gs/synthesis/4x4/Const/const`, `Gs/synthesis/noise3`,
/// `Gs/dlatent_avg`, `D/4x4/Dense1/bias`. Values are the raw (un-scaled) variables in the
/// official TensorFlow layouts (conv [kh, kw, in, out], dense [in, out]), so a converted
/// official pickle is a renaming, not a recomputation. `__metadata__` holds
/// `format` = `stylegan-swift`, `config` = the `StyleGANConfig` JSON, `lod` = the
/// generators' level of detail (the official non-trainable `lod` variable, kept as
/// metadata: "0" for a finished model, fractional in a mid-training snapshot; absent
/// means 0), and any extra keys.
public struct ModelWeights {
    public static let format = "stylegan-swift"

    public var config: StyleGANConfig
    public var generator: Generator?
    public var emaGenerator: Generator?
    public var discriminator: Discriminator?
    /// Other metadata entries (training state and notes), kept on round trips.
    public var metadata: [String: String] = [:]
    /// Tensors outside the three networks (e.g. optimiser state under `train/`).
    public var extraTensors: [String: Tensor] = [:]

    public init(config: StyleGANConfig, generator: Generator? = nil, emaGenerator: Generator? = nil,
                discriminator: Discriminator? = nil) {
        self.config = config
        self.generator = generator
        self.emaGenerator = emaGenerator
        self.discriminator = discriminator
    }

    /// The generator to sample from: the EMA one when present.
    public var samplingGenerator: Generator? { emaGenerator ?? generator }

    /// Prefixes of `extraTensors` a file may carry besides the networks.
    public static let extraPrefixes = ["train/"]

    // MARK: Saving

    /// Writes the file atomically, with a CRC-32 of the tensor data in the metadata
    /// (verified by `load`). `storage` F16 halves the size of a model meant for
    /// sampling (the loader converts back to float32); training snapshots use F32.
    public func save(to path: String, storage: SafeTensorsDType = .f32) throws {
        var tensors: [String: StoredTensor] = [:]
        func put(_ net: String, _ set: ParameterSet) {
            for (spec, t) in zip(set.specs, set.tensors) {
                tensors["\(net)/\(spec.name)"] = StoredTensor(shape: spec.fileShape, values: Self.toFile(t, spec.fileLayout), dtype: storage)
            }
        }
        func putGenerator(_ net: String, _ g: Generator) {
            put(net, g.params)
            tensors["\(net)/dlatent_avg"] = StoredTensor(shape: g.dlatentAvg.shape, values: g.dlatentAvg.scalars, dtype: storage)
            for (name, map) in zip(g.synthesis.noiseNames, g.noiseMaps) {
                tensors["\(net)/\(name)"] = StoredTensor(shape: map.shape, values: map.scalars, dtype: storage)
            }
        }
        if let generator { putGenerator("G", generator) }
        if let emaGenerator { putGenerator("Gs", emaGenerator) }
        if let discriminator { put("D", discriminator.params) }
        for (name, t) in extraTensors { tensors[name] = StoredTensor(shape: t.shape, values: t.scalars) }
        var meta = metadata
        meta["format"] = Self.format
        meta["config"] = config.jsonString()
        if let g = samplingGenerator { meta["lod"] = String(g.lod) }
        if storage == .f16 {   // float16 holds ±65504 at most: larger values would be stored as infinity
            for name in tensors.keys.sorted() {
                if let big = tensors[name]!.values.first(where: { abs($0) > 65504 }) {
                    throw WeightsError(path, "tensor '\(name)' holds \(big), beyond float16's range (±65504): store it as float32")
                }
            }
        }
        try SafeTensorsFile(tensors: tensors, metadata: meta).write(to: path, checksum: true)
    }

    // MARK: Loading

    /// Reads and validates a weights file, in an order that allocates nothing the file
    /// does not justify: the config is bounds-checked (`StyleGANConfig.Limits`), every
    /// tensor's name and shape is checked against it (missing, unknown and mis-shaped
    /// tensors are reported by name) and a checksum in the metadata (`data_crc32`,
    /// written by `save`) is verified before any network is built; networks are then
    /// filled straight from the (memory-mapped) file, with no random initialisation, and
    /// every value must be finite (unless `allowNonFinite`, for forensics).
    public static func load(path: String, allowNonFinite: Bool = false) throws -> ModelWeights {
        // The header first: names, shapes and sizes are checked before any value is decoded.
        let view: SafeTensorsView
        do { view = try SafeTensorsView(try AtomicFile.map(path), name: path) } catch let error as IOError { throw WeightsError(error) }
        let header = (metadata: view.metadata, names: Set(view.tensorNames))
        guard header.metadata["format"] == format else {
            throw WeightsError(path, "not a \(format) weights file (metadata format is \(header.metadata["format"].map { "'\($0)'" } ?? "missing"))")
        }
        guard let json = header.metadata["config"] else { throw WeightsError(path, "metadata has no 'config'") }
        let config: StyleGANConfig
        do { config = try StyleGANConfig.parse(json: json) } catch { throw WeightsError(path, "\(error)") }

        // Which networks the file holds, and the names and shapes each must have.
        let mapping = MappingNetwork(config: config), synthesis = SynthesisNetwork(config: config)
        let generatorSpecs = mapping.parameterSpecs + synthesis.parameterSpecs
        let discriminatorSpecs = Discriminator.parameterSpecs(config: config)
        func holds(_ net: String) -> Bool { header.names.contains { $0.hasPrefix("\(net)/") } }
        var expected: [(name: String, shape: [Int])] = []
        for net in ["G", "Gs"] where holds(net) {
            expected += generatorSpecs.map { ("\(net)/\($0.name)", $0.fileShape) }
            expected.append(("\(net)/dlatent_avg", [config.dlatentSize]))
            expected += zip(synthesis.noiseNames, synthesis.noiseShapes).map { ("\(net)/\($0)", $1) }
        }
        if holds("D") { expected += discriminatorSpecs.map { ("D/\($0.name)", $0.fileShape) } }
        guard !expected.isEmpty else { throw WeightsError(path, "holds no network (no tensor starts with G/, Gs/ or D/)") }
        for (name, shape) in expected {
            guard let t = view.layout(of: name) else { throw WeightsError(path, "missing tensor '\(name)'") }
            guard t.shape == shape else {
                throw WeightsError(path, "tensor '\(name)' has shape \(t.shape), expected \(shape) for this config")
            }
        }
        let known = Set(expected.map(\.name))
        let largestNetwork = max(Generator.parameterCount(config: config), Discriminator.parameterCount(config: config))
        for name in view.tensorNames.sorted() where !known.contains(name) {
            guard extraPrefixes.contains(where: { name.hasPrefix($0) }) else {
                throw WeightsError(path, "unknown tensor '\(name)' (not part of a \(config.resolution)px model with this config)")
            }
            // Extra tensors are per-parameter optimiser state: never larger than a network.
            let count = Shape.count(view.layout(of: name)!.shape)   // no overflow: the header check tied it to the file size
            guard count <= largestNetwork else {
                throw WeightsError(path, "tensor '\(name)' has \(count) values, more than this model's largest network (\(largestNetwork))")
            }
        }
        do { try view.verifyChecksum() } catch let error as IOError { throw WeightsError(error) }
        var lod: Float = 0
        if let text = view.metadata["lod"] {
            let maxLod = Float(config.log2Resolution - 2)
            guard let value = Float(text), value >= 0, value <= maxLod else {
                throw WeightsError(path, "metadata lod '\(text)' is not a number in [0, \(Int(maxLod))]")
            }
            lod = value
        }

        // Everything checked but the values: build the networks and decode each tensor
        // straight into its buffer, refusing non-finite values as they are decoded.
        func finite(_ name: String, _ values: UnsafeBufferPointer<Float>) throws {
            guard !allowNonFinite, values.contains(where: { !$0.isFinite }) else { return }
            let bad = values.lazy.filter { !$0.isFinite }.count
            throw WeightsError(path, "tensor '\(name)' holds \(bad) non-finite value(s) (NaN or infinity)")
        }
        func tensor(_ name: String, shape: [Int]) throws -> Tensor {
            let t = Tensor.zeros(shape)
            try t.withMutableData { dst in
                view.decode(name, into: dst)
                try finite(name, UnsafeBufferPointer(dst))
            }
            return t
        }
        func fill(_ set: ParameterSet, _ net: String) throws {
            try forEachInParallel(Array(zip(set.specs, set.tensors))) { item, staging in
                let (spec, t) = item
                let name = "\(net)/\(spec.name)"
                try t.withMutableData { dst in
                    switch spec.fileLayout {
                    case .same:
                        view.decode(name, into: dst)
                        try finite(name, UnsafeBufferPointer(dst))
                    case .convHWIO:   // [kh,kw,I,O] in the file → [O,I,kh,kw]
                        if staging.count < dst.count {   // decoded into before it is read: no zero-fill
                            staging = [Float](unsafeUninitializedCapacity: dst.count) { _, n in n = dst.count }
                        }
                        try staging.withUnsafeMutableBufferPointer { buffer in
                            let src = UnsafeMutableBufferPointer(rebasing: buffer[0..<dst.count])
                            view.decode(name, into: src)
                            try finite(name, UnsafeBufferPointer(src))
                            permuteCopy(UnsafeBufferPointer(src), shape: spec.fileShape, order: [3, 2, 0, 1], into: dst)
                        }
                    }
                }
            }
        }
        func loadGenerator(_ net: String) throws -> Generator? {
            guard holds(net) else { return nil }
            let g = Generator(unfilledConfig: config)
            try fill(g.params, net)
            g.dlatentAvg = try tensor("\(net)/dlatent_avg", shape: [config.dlatentSize])
            g.noiseMaps = try zip(synthesis.noiseNames, synthesis.noiseShapes).map { try tensor("\(net)/\($0)", shape: $1) }
            g.lod = lod
            return g
        }
        var weights = ModelWeights(config: config)
        weights.generator = try loadGenerator("G")
        weights.emaGenerator = try loadGenerator("Gs")
        if holds("D") {
            let d = Discriminator(unfilledConfig: config)
            try fill(d.params, "D")
            weights.discriminator = d
        }
        for name in view.tensorNames where !known.contains(name) {
            weights.extraTensors[name] = try tensor(name, shape: view.layout(of: name)!.shape)
        }
        weights.metadata = view.metadata.filter { !["format", "config", "lod", SafeTensorsFile.checksumKey].contains($0.key) }
        return weights
    }

    // MARK: Layout conversion

    static func toFile(_ t: Tensor, _ layout: FileLayout) -> [Float] {
        switch layout {
        case .same: return t.scalars
        case .convHWIO: return withoutGradients { permute(t, [2, 3, 1, 0]).scalars }   // [O,I,kh,kw] → [kh,kw,I,O]
        }
    }
}

/// Runs `body` on every item, on one worker per core (each with its own scratch array,
/// the file-layout values of a permuted tensor); rethrows the error of the first item
/// that failed, in item order. Filling a large model's buffers is page faults and copies,
/// which two cores do in about half the time.
private func forEachInParallel<Item>(_ items: [Item], _ body: (Item, inout [Float]) throws -> Void) throws {
    let workers = min(ProcessInfo.processInfo.activeProcessorCount, items.count)
    guard workers > 1 else {
        var scratch: [Float] = []
        for item in items { try body(item, &scratch) }
        return
    }
    let shared = ParallelItems()
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let (items, body) = (items, body)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var scratch: [Float] = []
            while true {
                let i: Int = shared.lock.withLock { defer { shared.next += 1 }; return shared.next }
                guard i < items.count else { return }
                do { try body(items[i], &scratch) } catch {
                    shared.lock.withLock {
                        if shared.failure == nil || i < shared.failure!.index { shared.failure = (i, error) }
                    }
                }
            }
        }
    }
    if let failure = shared.failure { throw failure.error }
}

/// The next item and the first failure of `forEachInParallel`, guarded by `lock`.
private final class ParallelItems: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var failure: (index: Int, error: Error)?
}
