// libFuzzer harness: JPEG reading (the C decoder Sources/CJPEG over libjpeg-turbo, through
// StyleGANIO.JPEG) and the path-based loader that sniffs the format (StyleGANIO.ImageFile).
//
// Input: the bytes of a file. Oracles: no crash or sanitizer report (the decoder's
// setjmp/longjmp error path included); every failure is an IOError; a decoded image is
// within the size limits, has 3·w·h samples in [0, 1] and the size `dimensions` reads
// from the header; reading the same bytes from a file gives the same image.
import Foundation
import StyleGANIO

private let scratch = ScratchFile(suffix: ".jpg")

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    atexit { scratch.remove() }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = inputData(bytes, size)
    var decoded: RGBImage?
    do {
        let image = try JPEG.decode(data, name: "fuzz.jpg")
        oracle(image.width > 0 && image.height > 0, "decoded a \(image.width) x \(image.height) JPEG")
        oracle(image.width <= PNG.maxSide && image.height <= PNG.maxSide && image.width * image.height <= PNG.maxPixelCount,
               "decoded a \(image.width) x \(image.height) JPEG, beyond the reader's limits")
        oracle(image.pixels.count == 3 * image.width * image.height, "sample count \(image.pixels.count)")
        oracle(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "sample outside [0, 1]")
        decoded = image
    } catch is IOError {
    } catch {
        oracle(false, "JPEG.decode threw a non-IOError: \(type(of: error)): \(error)")
    }

    // The header-only size (the dataset loader budgets memory with it) must be the size
    // decode returns, and must not fail where decode succeeds.
    if let image = decoded {
        do {
            let size = try JPEG.dimensions(data, name: "fuzz")
            oracle(size.width == image.width && size.height == image.height,
                   "JPEG.dimensions says \(size.width) x \(size.height), decode gave \(image.width) x \(image.height)")
            let sniffed = try ImageFile.dimensions(data, name: "fuzz")
            oracle(sniffed == size, "ImageFile.dimensions says \(sniffed), JPEG.dimensions \(size)")
        } catch {
            oracle(false, "dimensions failed where decode succeeded: \(error)")
        }
    }

    // (Only for inputs that decode: a failing decode can be slow, and is not repeated.)
    if decoded != nil, data.starts(with: [0xFF, 0xD8, 0xFF]) {
        scratch.write(data)
        do {
            let image = try ImageFile.read(path: scratch.path)
            oracle(decoded == image, "ImageFile.read and JPEG.decode disagree")
        } catch let error as IOError {
            oracle(false, "ImageFile.read failed where JPEG.decode succeeded: \(error)")
        } catch {
            oracle(false, "ImageFile.read threw a non-IOError: \(type(of: error)): \(error)")
        }
    }
    return 0
}
