// libFuzzer harness: weights loading (StyleGANModel.ModelWeights.load(path:)): the
// safetensors reader, the `__metadata__` (format, config JSON, lod, checksum), the config
// validation, the name/shape checks against the config and building the networks (tensor
// layer and C kernels).
//
// Input: the bytes of a weights (.safetensors) file; a crashing input is a file that
// `stylegan inspect` can be pointed at. The custom mutator mutates the JSON header or the
// data separately, keeps the 8-byte header length in step, and usually rewrites a
// `data_crc32` checksum to match the mutated data (see Support.swift).
//
// Oracles: no crash or sanitizer report (traps, overflow, out-of-memory, allocations
// over -malloc_limit_mb included); every failure is a WeightsError; a loaded model has the
// config's parameter counts, and save -> load gives back the same config, lod, metadata
// and values.
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

private let scratch = ScratchFile(suffix: ".safetensors")
private let saved = ScratchFile(suffix: "-saved.safetensors")
private let verbose = ProcessInfo.processInfo.environment["STYLEGAN_FUZZ_VERBOSE"] != nil

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    atexit { scratch.remove(); saved.remove() }
    return 0
}

private func load(_ path: String) -> Result<ModelWeights, WeightsError> {
    do {
        return .success(try ModelWeights.load(path: path))
    } catch let error as WeightsError {
        return .failure(error)
    } catch {
        fatalError("fuzz oracle: ModelWeights.load threw a non-WeightsError: \(type(of: error)): \(error)")
    }
}

private func values(_ w: ModelWeights) -> [[Float]] {
    var out: [[Float]] = []
    for g in [w.generator, w.emaGenerator] {
        guard let g else { out.append([]); continue }
        out.append(g.params.flat.scalars)
        out.append(g.dlatentAvg.scalars)
        out += g.noiseMaps.map(\.scalars)
    }
    out.append(w.discriminator?.params.flat.scalars ?? [])
    for name in w.extraTensors.keys.sorted() { out.append(w.extraTensors[name]!.scalars) }
    return out
}

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateSafeTensors(data, size, maxSize, seed, fixChecksum: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    scratch.write(inputData(bytes, size))
    let result = load(scratch.path)
    if verbose { report("\(result)") }
    guard case let .success(weights) = result else { return 0 }

    let config = weights.config
    let generatorCount = (MappingNetwork(config: config).parameterSpecs + SynthesisNetwork(config: config).parameterSpecs)
        .reduce(0) { $0 + Shape.count($1.shape) }
    for g in [weights.generator, weights.emaGenerator].compactMap({ $0 }) {
        oracle(g.params.count == generatorCount, "generator has \(g.params.count) parameters, config says \(generatorCount)")
        oracle(g.dlatentAvg.shape == [config.dlatentSize], "dlatent_avg shape \(g.dlatentAvg.shape)")
        oracle(g.noiseMaps.map(\.shape) == g.synthesis.noiseShapes, "noise map shapes \(g.noiseMaps.map(\.shape))")
        oracle(g.lod >= 0 && g.lod <= Float(config.log2Resolution - 2), "lod \(g.lod)")
    }
    if let d = weights.discriminator {
        let expected = Discriminator.parameterCount(config: config)
        oracle(d.params.count == expected, "discriminator has \(d.params.count) parameters, config says \(expected)")
    }

    // save -> load gives the same model back.
    do {
        try weights.save(to: saved.path)
    } catch {
        fatalError("fuzz oracle: saving a loaded model failed: \(error)")
    }
    switch load(saved.path) {
    case let .success(again):
        oracle(again.config == config, "config changed in a round trip: \(config) -> \(again.config)")
        oracle(again.metadata == weights.metadata, "metadata changed in a round trip")
        oracle(again.samplingGenerator?.lod == weights.samplingGenerator?.lod, "lod changed in a round trip")
        let (a, b) = (values(weights), values(again))
        oracle(a.count == b.count && zip(a, b).allSatisfy { x, y in x.count == y.count && zip(x, y).allSatisfy { sameFloat($0, $1) } },
               "values changed in a round trip")
    case let .failure(error):
        oracle(false, "a saved model does not load again: \(error)")
    }
    return 0
}
