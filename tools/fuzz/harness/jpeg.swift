// libFuzzer harness: JPEG reading (the C decoder Sources/CJPEG over libjpeg-turbo, through
// StyleGANIO.JPEG) and the path-based loader that sniffs the format (StyleGANIO.ImageFile).
//
// Input: the bytes of a file. Oracles: no crash or sanitizer report (the decoder's
// setjmp/longjmp error path included); every failure is an IOError; a decoded image has
// 3·w·h samples in [0, 1]; reading the same bytes from a file gives the same image.
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
        oracle(image.width <= PNG.maxSide && image.height <= PNG.maxSide,
               "decoded a \(image.width) x \(image.height) JPEG, beyond the reader's limit")
        oracle(image.pixels.count == 3 * image.width * image.height, "sample count \(image.pixels.count)")
        oracle(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "sample outside [0, 1]")
        decoded = image
    } catch is IOError {
    } catch {
        oracle(false, "JPEG.decode threw a non-IOError: \(type(of: error)): \(error)")
    }

    if data.starts(with: [0xFF, 0xD8, 0xFF]) {
        scratch.write(data)
        do {
            let image = try ImageFile.read(path: scratch.path)
            oracle(decoded == image, "ImageFile.read and JPEG.decode disagree")
        } catch is IOError {
            oracle(decoded == nil, "ImageFile.read failed where JPEG.decode succeeded")
        } catch {
            oracle(false, "ImageFile.read threw a non-IOError: \(type(of: error)): \(error)")
        }
    }
    return 0
}
