import CJPEG
import Foundation

/// JPEG decoding through libjpeg-turbo (baseline and progressive, gray or colour; CMYK
/// files are rejected). Errors name the file; libjpeg's longjmp never crosses Swift.
public enum JPEG {
    /// Reads the JPEG file at `path`.
    public static func read(path: String) throws -> RGBImage {
        try decode(try AtomicFile.read(path), name: path)
    }

    /// The size `decode` would return (after any scaling down), from the header alone.
    public static func dimensions(_ data: Data, name: String = "<memory>") throws -> (width: Int, height: Int) {
        let (width, height, _) = try run(data, name: name, decodePixels: false)
        return (width, height)
    }

    /// One call of the C decoder, with the limits; its error as an `IOError` naming `name`.
    /// With `decodePixels` false only the header is read (`rgb` is nil); otherwise the
    /// caller frees `rgb` with `cj_free`.
    private static func run(_ data: Data, name: String, decodePixels: Bool) throws -> (width: Int, height: Int, rgb: UnsafeMutablePointer<UInt8>?) {
        if data.isEmpty { throw IOError.invalidImage(path: name, reason: "file is empty") }
        var width: Int32 = 0, height: Int32 = 0
        var rgb: UnsafeMutablePointer<UInt8>?
        var message = [CChar](repeating: 0, count: 256)
        let status = withUnsafeMutablePointer(to: &rgb) { out in
            data.withUnsafeBytes { raw in
                cj_decode_jpeg(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, Int32(PNG.maxSide), Int64(PNG.maxPixelCount),
                               &width, &height, decodePixels ? out : nil, &message, message.count)
            }
        }
        guard status == 0, !decodePixels || rgb != nil else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw IOError.invalidImage(path: name, reason: "not a readable JPEG (\(text))")
        }
        return (Int(width), Int(height), rgb)
    }

    /// Decodes JPEG bytes into an RGB image with values v / 255. An image of more than
    /// `PNG.maxPixelCount` pixels is decoded scaled down by 2, 4 or 8 (libjpeg's DCT
    /// scaling), the least factor that fits; sides over `PNG.maxSide` are refused.
    public static func decode(_ data: Data, name: String = "<memory>") throws -> RGBImage {
        let (w, h, decoded) = try run(data, name: name, decodePixels: true)
        guard let rgb = decoded else { throw IOError.invalidImage(path: name, reason: "not a readable JPEG") }
        defer { cj_free(rgb) }
        var image = RGBImage(width: w, height: h)
        let plane = w * h
        image.pixels.withUnsafeMutableBufferPointer { out in
            for i in 0..<plane {
                out[i] = Float(rgb[3 * i]) / 255
                out[plane + i] = Float(rgb[3 * i + 1]) / 255
                out[2 * plane + i] = Float(rgb[3 * i + 2]) / 255
            }
        }
        return image
    }
}
