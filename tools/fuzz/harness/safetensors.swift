// libFuzzer harness: the safetensors reader and writer (StyleGANIO.SafeTensorsFile).
//
// Input: the bytes of a file, as is (8-byte length, JSON header, data). Oracles: no crash
// or sanitizer report; every failure is an IOError; decoding a Data slice that does not
// start at index 0 and reading through a file give the same result; a decoded file has
// values.count == product(shape) for every tensor, and survives encode -> decode with
// every tensor stored as F32 (names, shapes, metadata and values bit for bit, NaN = NaN).
import Foundation
import StyleGANIO

private let scratch = ScratchFile(suffix: ".safetensors")
private let verbose = ProcessInfo.processInfo.environment["STYLEGAN_FUZZ_VERBOSE"] != nil
/// Written by the encoder from the data, so not expected to survive a round trip.
private let checksumKey = "data_crc32"

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    atexit { scratch.remove() }
    return 0
}

private func decodeResult(_ body: () throws -> SafeTensorsFile) -> Result<SafeTensorsFile, IOError> {
    do {
        return .success(try body())
    } catch let error as IOError {
        return .failure(error)
    } catch {
        fatalError("fuzz oracle: safetensors reader threw a non-IOError: \(type(of: error)): \(error)")
    }
}

private func sameTensors(_ a: SafeTensorsFile, _ b: SafeTensorsFile, sameDType: Bool) -> Bool {
    guard a.tensors.count == b.tensors.count else { return false }
    for (name, x) in a.tensors {
        guard let y = b.tensors[name], x.shape == y.shape, x.values.count == y.values.count else { return false }
        if sameDType && x.dtype != y.dtype { return false }
        if !zip(x.values, y.values).allSatisfy({ sameFloat($0, $1) }) { return false }
    }
    return true
}

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateSafeTensors(data, size, maxSize, seed, fixChecksum: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = inputData(bytes, size)
    let direct = decodeResult { try SafeTensorsFile.decode(data, name: "fuzz.safetensors") }
    if verbose { report("\(direct)") }

    // The same bytes as a slice whose startIndex is not 0.
    let padded = Data([0xAA, 0xBB, 0xCC]) + data
    let sliced = decodeResult { try SafeTensorsFile.decode(padded[3...], name: "fuzz.safetensors") }
    // ... and through a file (memory-mapped by AtomicFile.read).
    scratch.write(data)
    let viaFile = decodeResult { try SafeTensorsFile.read(path: scratch.path) }

    switch (direct, sliced, viaFile) {
    case let (.success(a), .success(b), .success(c)):
        // (Not ==: StoredTensor's == says NaN != NaN.)
        oracle(a.metadata == b.metadata && a.metadata == c.metadata, "decode(Data), decode(slice) and read(path:) disagree on metadata")
        oracle(sameTensors(a, b, sameDType: true) && sameTensors(a, c, sameDType: true),
               "decode(Data), decode(slice) and read(path:) disagree on tensors")
    case let (.failure(a), .failure(b), .failure(c)):
        // Same reason; only the path differs for the file.
        oracle(a == b, "decode(Data) and decode(slice) fail differently: \(a) / \(b)")
        _ = c
    default:
        oracle(false, "decode(Data), decode(slice) and read(path:) do not all succeed or all fail: \(direct) / \(sliced) / \(viaFile)")
    }

    guard case let .success(file) = direct else { return 0 }
    for (name, t) in file.tensors {
        oracle(t.shape.allSatisfy { $0 >= 0 } && t.values.count == t.shape.reduce(1, *),
               "tensor \(name): \(t.values.count) values for shape \(t.shape)")
    }

    // Round trip with every tensor stored as F32 (which holds every readable dtype's
    // values exactly once they are Floats).
    var asF32 = file
    for name in asF32.tensors.keys { asF32.tensors[name]!.dtype = .f32 }
    let encoded: Data
    do {
        encoded = try asF32.encoded(name: "roundtrip.safetensors")
    } catch {
        fatalError("fuzz oracle: encoding a decoded file failed: \(error)")
    }
    switch decodeResult({ try SafeTensorsFile.decode(encoded, name: "roundtrip.safetensors") }) {
    case let .success(again):
        var expected = file.metadata
        expected[checksumKey] = nil
        var got = again.metadata
        got[checksumKey] = nil
        oracle(got == expected, "metadata changed in a round trip: \(expected) -> \(got)")
        oracle(sameTensors(asF32, again, sameDType: true), "tensors changed in a round trip")
    case let .failure(error):
        oracle(false, "re-decoding an encoded file failed: \(error)")
    }
    return 0
}
