import CJPEG
import Foundation

/// JPEG decoding through libjpeg-turbo (baseline and progressive, gray or colour; CMYK
/// files are rejected). Errors name the file; libjpeg's longjmp never crosses Swift.
public enum JPEG {
    /// Reads the JPEG file at `path`.
    public static func read(path: String) throws -> RGBImage {
        try decode(try AtomicFile.read(path), name: path)
    }

    /// Decodes JPEG bytes into an RGB image with values v / 255.
    public static func decode(_ data: Data, name: String = "<memory>") throws -> RGBImage {
        if data.isEmpty { throw IOError.invalidImage(path: name, reason: "file is empty") }
        var width: Int32 = 0, height: Int32 = 0
        var rgb: UnsafeMutablePointer<UInt8>?
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            cj_decode_jpeg(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, Int32(PNG.maxSide),
                           &width, &height, &rgb, &message, message.count)
        }
        guard status == 0, let rgb else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw IOError.invalidImage(path: name, reason: "not a readable JPEG (\(text))")
        }
        defer { cj_free(rgb) }
        let (w, h) = (Int(width), Int(height))
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

/// Reads PNG or JPEG files, chosen by their first bytes (not the extension).
public enum ImageFile {
    /// File extensions treated as images when scanning folders.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    public static func read(path: String) throws -> RGBImage {
        let data = try AtomicFile.read(path)
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEG.decode(data, name: path) }
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNG.decode(data, name: path) }
        throw IOError.invalidImage(path: path, reason: data.isEmpty ? "file is empty" : "neither a PNG nor a JPEG file")
    }
}
