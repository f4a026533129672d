// libFuzzer harness: PNG reading (libpng's simplified API through StyleGANIO.PNG) and the
// path-based loader that sniffs the format (StyleGANIO.ImageFile).
//
// Input: the bytes of a file. Oracles: no crash or sanitizer report; every failure is an
// IOError; a decoded image has 3·w·h samples in [0, 1] within the reader's size limits;
// reading the same bytes from a file gives the same image.
import Foundation
import StyleGANIO

private let scratch = ScratchFile(suffix: ".png")

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    atexit { scratch.remove() }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    // Mutate, then (usually) rewrite the chunk CRCs so the mutation reaches libpng's parser.
    let newSize = LLVMFuzzerMutate(data, size, maxSize)
    var rng = SplitMix(seed)
    if rng.chance(7, 8) { fixPNGChunkCRCs(data, newSize) }
    return newSize
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = inputData(bytes, size)
    var decoded: RGBImage?
    do {
        let image = try PNG.decode(data, name: "fuzz.png")
        oracle(image.width > 0 && image.height > 0, "decoded a \(image.width) x \(image.height) PNG")
        oracle(image.width <= PNG.maxSide && image.height <= PNG.maxSide && image.width * image.height <= PNG.maxPixelCount,
               "decoded a \(image.width) x \(image.height) PNG, beyond the reader's limits")
        oracle(image.pixels.count == 3 * image.width * image.height, "sample count \(image.pixels.count)")
        oracle(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "sample outside [0, 1]")
        decoded = image
    } catch is IOError {
    } catch {
        oracle(false, "PNG.decode threw a non-IOError: \(type(of: error)): \(error)")
    }

    // The path reader: same bytes through a file and the PNG/JPEG sniffing.
    if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
        scratch.write(data)
        do {
            let image = try ImageFile.read(path: scratch.path)
            oracle(decoded == image, "ImageFile.read and PNG.decode disagree")
        } catch is IOError {
            oracle(decoded == nil, "ImageFile.read failed where PNG.decode succeeded")
        } catch {
            oracle(false, "ImageFile.read threw a non-IOError: \(type(of: error)): \(error)")
        }
    }
    return 0
}
