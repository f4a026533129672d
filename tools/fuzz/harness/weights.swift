// libFuzzer harness: weights loading (StyleGANModel.ModelWeights.load(path:)): the
// safetensors reader, the `__metadata__` (format, config JSON, lod, checksum), the config
// validation, the name/shape checks against the config and building the networks (tensor
// layer and C kernels).
//
// Input, framed so that mutations of the JSON header need not keep the 8-byte length in
// step: the header's JSON bytes, one NUL byte, then the data buffer (no NUL: all header,
// empty buffer). The harness writes `u64le(len(header)) + header + data` to a scratch file
// and loads it. `python3 tools/fuzz/make_corpus.py --unframe IN OUT` turns an input back
// into a real .safetensors file (for `stylegan inspect`), `--frame` the other way.
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

/// `u64le(len(header)) + header + data` from the framed input.
func unframe(_ input: Data) -> Data {
    let bytes = [UInt8](input)
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    var file = Data(capacity: bytes.count + 8)
    withUnsafeBytes(of: UInt64(split).littleEndian) { file.append(contentsOf: $0) }
    file.append(contentsOf: bytes[..<split])
    if split < bytes.count { file.append(contentsOf: bytes[(split + 1)...]) }
    return file
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
    out.append(w.discriminator?.flat.scalars ?? [])
    for name in w.extraTensors.keys.sorted() { out.append(w.extraTensors[name]!.scalars) }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    scratch.write(unframe(inputData(bytes, size)))
    let result = load(scratch.path)
    if verbose { print(result) }
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
        let expected = Discriminator(config: config).parameterSpecs.reduce(0) { $0 + Shape.count($1.shape) }
        oracle(d.count == expected, "discriminator has \(d.count) parameters, config says \(expected)")
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
