// libFuzzer harness: the NumPy readers and writers (StyleGANIO.NumpyArray, .NumpyArchive).
//
// Input: the bytes of a .npy or .npz file; every input goes to both readers. Oracles: no
// crash or sanitizer report; every failure is an IOError; decoding a Data slice that does
// not start at index 0 and reading through a file give the same result as decoding the
// Data; a decoded array has values.count == product(shape); refusing non-finite values
// refuses only what the lenient read returns as NaN or infinity; and decoded arrays and
// archives survive encode -> decode bit for bit (NaN = NaN), archives both stored and
// deflated.
import Foundation
import StyleGANIO

private let npyScratch = ScratchFile(suffix: ".npy")
private let npzScratch = ScratchFile(suffix: ".npz")
private let verbose = ProcessInfo.processInfo.environment["STYLEGAN_FUZZ_VERBOSE"] != nil

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    atexit { npyScratch.remove(); npzScratch.remove() }
    return 0
}

private func result<T>(_ body: () throws -> T) -> Result<T, IOError> {
    do {
        return .success(try body())
    } catch let error as IOError {
        return .failure(error)
    } catch {
        fatalError("fuzz oracle: a NumPy reader threw a non-IOError: \(type(of: error)): \(error)")
    }
}

private func same(_ a: NumpyArray, _ b: NumpyArray) -> Bool {
    guard a.shape == b.shape else { return false }
    switch (a.values, b.values) {
    case let (.float32(x), .float32(y)): return x.count == y.count && zip(x, y).allSatisfy { sameFloat($0, $1) }
    case let (.int64(x), .int64(y)): return x == y
    default: return false
    }
}

private func same(_ a: NumpyArchive, _ b: NumpyArchive) -> Bool {
    a.names == b.names && zip(a.entries, b.entries).allSatisfy { same($0.array, $1.array) }
}

/// Agreement of decode(Data), decode(slice) and read(path:): all succeed alike or all fail.
private func agree<T>(_ what: String, _ direct: Result<T, IOError>, _ sliced: Result<T, IOError>,
                      _ viaFile: Result<T, IOError>, _ same: (T, T) -> Bool) {
    switch (direct, sliced, viaFile) {
    case let (.success(a), .success(b), .success(c)):
        oracle(same(a, b) && same(a, c), "\(what): decode(Data), decode(slice) and read(path:) disagree")
    case let (.failure(a), .failure(b), .failure):
        oracle(a == b, "\(what): decode(Data) and decode(slice) fail differently: \(a) / \(b)")
    default:
        oracle(false, "\(what): decode(Data), decode(slice) and read(path:) do not all succeed or all fail: \(direct) / \(sliced) / \(viaFile)")
    }
}

private func fuzzNpy(_ data: Data, _ padded: Data) {
    let direct = result { try NumpyArray.decode(data, name: "fuzz.npy") }
    if verbose { report("npy: \(direct)") }
    let sliced = result { try NumpyArray.decode(padded[3...], name: "fuzz.npy") }
    npyScratch.write(data)
    let viaFile = result { try NumpyArray.read(path: npyScratch.path) }
    agree("npy", direct, sliced, viaFile, same)

    let lenient = result { try NumpyArray.decode(data, name: "fuzz.npy", requireFinite: false) }
    switch (direct, lenient) {
    case let (.success(a), .success(b)):
        oracle(same(a, b), "npy: requireFinite changed the values")
    case let (.failure(strict), .success(b)):
        oracle(b.floats.map { $0.contains { !$0.isFinite } } ?? false || strict.description.contains("float32's range"),
               "npy: refused only with requireFinite, yet every value is finite: \(strict)")
    case (.success, .failure(let error)):
        oracle(false, "npy: accepted with requireFinite but refused without: \(error)")
    case (.failure, .failure):
        break
    }
    guard case let .success(array) = lenient else { return }
    oracle(array.shape.allSatisfy { $0 >= 0 } && array.elementCount == array.shape.reduce(1, *),
           "npy: \(array.elementCount) values for shape \(array.shape)")
    switch result({ try NumpyArray.decode(array.encoded(), name: "roundtrip.npy", requireFinite: false) }) {
    case let .success(again): oracle(same(array, again), "npy: values changed in a round trip")
    case let .failure(error): oracle(false, "npy: re-decoding an encoded array failed: \(error)")
    }
}

private func fuzzNpz(_ data: Data, _ padded: Data) {
    let direct = result { try NumpyArchive.decode(data, name: "fuzz.npz") }
    if verbose { report("npz: \(direct)") }
    let sliced = result { try NumpyArchive.decode(padded[3...], name: "fuzz.npz") }
    npzScratch.write(data)
    let viaFile = result { try NumpyArchive.read(path: npzScratch.path) }
    agree("npz", direct, sliced, viaFile, same)

    guard case let .success(archive) = direct else { return }
    for compressed in [false, true] {
        switch result({ try NumpyArchive.decode(try archive.encoded(compressed: compressed), name: "roundtrip.npz") }) {
        case let .success(again): oracle(same(archive, again), "npz: arrays changed in a round trip (compressed: \(compressed))")
        case let .failure(error): oracle(false, "npz: re-decoding an encoded archive failed: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateNpy(data, size, maxSize, seed)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = inputData(bytes, size)
    let padded = Data([0xAA, 0xBB, 0xCC]) + data
    fuzzNpy(data, padded)
    fuzzNpz(data, padded)
    return 0
}

/// Mutates a version 1.0 `.npy` file part by part, like `mutateSafeTensors`: when its
/// 16-bit header length is consistent, either the header text or the data is mutated and
/// the length rewritten, so that edits to the header keep the file well framed; otherwise
/// (zip archives, other versions, and now and then anyway) the bytes as a whole.
private func mutateNpy(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var rng = SplitMix(seed)
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    guard size >= 10, maxSize > 10, UnsafeBufferPointer(start: data, count: 8).elementsEqual(magic),
          Int(data[8]) | Int(data[9]) << 8 <= size - 10, rng.chance(7, 8) else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    let headerLength = Int(data[8]) | Int(data[9]) << 8
    var header = [UInt8](UnsafeBufferPointer(start: data + 10, count: headerLength))
    var body = [UInt8](UnsafeBufferPointer(start: data + 10 + headerLength, count: size - 10 - headerLength))
    if rng.chance(3, 4) {
        mutatePart(&header, room: min(65535, maxSize - 10 - body.count))
    } else {
        mutatePart(&body, room: maxSize - 10 - header.count)
    }
    let total = 10 + header.count + body.count
    guard total <= maxSize, header.count <= 65535 else { return LLVMFuzzerMutate(data, size, maxSize) }
    data[8] = UInt8(header.count & 0xFF)
    data[9] = UInt8(header.count >> 8)
    for (i, byte) in (header + body).enumerated() { data[10 + i] = byte }
    return total
}
