import CLibPNG
import CZlib
import Foundation

/// PNG reading through libpng's simplified API (`png_image_*`), which reports errors as
/// return codes, and writing through libpng's full API inside one C function
/// (`cpng_write_rgb8` in CLibPNG's shim), so libpng's longjmp never crosses Swift code.
///
/// Reading accepts every PNG colour type and bit depth (gray, gray+alpha, RGB, RGBA,
/// palette with or without tRNS; 1/2/4/8/16 bits; interlaced or not) and returns an
/// `RGBImage` with values `v / 255`:
/// - gray is replicated into R, G and B;
/// - alpha (from an alpha channel or tRNS) is dropped, not composited: the colour
///   samples are returned exactly as stored, whatever their alpha;
/// - 16-bit samples are reduced to 8 bits by libpng as `round(v * 255 / 65535)`, so a
///   16-bit value `v` comes back within 0.5/255 of `v / 65535`. (libpng's simplified
///   API would by default treat 16-bit data as *linear* light and re-encode it to sRGB
///   on the way to 8 bits; the reader sets `PNG_IMAGE_FLAG_16BIT_sRGB` so 16-bit files
///   are, like 8-bit ones and like most tools, taken as already sRGB-encoded.)
/// - A file with a gAMA chunk is converted by libpng from that gamma to sRGB; files
///   without one, or tagged sRGB, are read as stored (iCCP profiles are ignored).
///
/// Damage is reported as `IOError.invalidPNG` (bad signature, CRC errors in critical
/// chunks, truncation anywhere before the last image row, invalid header fields).
/// Like libpng itself, the reader stops after the last row, so a missing or damaged
/// IEND chunk is tolerated.
///
/// Writing produces an 8-bit RGB PNG with an sRGB chunk, atomically; same image, same
/// bytes.
public enum PNG {
    /// Largest width or height `decode` accepts; checked from the header before any
    /// pixel memory is allocated.
    public static let maxSide = 32768
    /// Largest `width * height` `decode` accepts (8192 x 8192, 64 M pixels: 256 MiB of
    /// RGBA bytes and 768 MiB of floats); larger JPEGs are decoded scaled down.
    public static let maxPixelCount = 8192 * 8192

    /// The size of the PNG in `data` from its header alone, checked against `maxSide` and
    /// `maxPixelCount` as `decode` does; nothing is decoded.
    public static func dimensions(_ data: Data, name: String = "<memory>") throws -> (width: Int, height: Int) {
        try withHeader(data, name: name) { image in (Int(image.width), Int(image.height)) }
    }

    /// Checks the signature and every chunk length, reads the header with libpng's
    /// simplified API and checks the size, then runs `body` while libpng may still read
    /// the bytes (it keeps a pointer to them until finish_read). `png_image_free` is a
    /// no-op once finish_read (or a failed begin_read) has freed the image.
    private static func withHeader<T>(_ data: Data, name: String,
                                      _ body: (inout png_image) throws -> T) throws -> T {
        guard data.count >= signature.count, data.prefix(signature.count).elementsEqual(signature) else {
            throw IOError.invalidPNG(path: name, reason: data.isEmpty ? "file is empty" : "not a PNG file (bad signature)")
        }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> T in
            try checkChunkLengths(raw, name: name)
            var image = png_image()
            image.version = cpng_image_version()
            defer { png_image_free(&image) }
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                throw IOError.invalidPNG(path: name, reason: message(of: &image))
            }
            try checkSize(Int(image.width), Int(image.height), name: name)
            return try body(&image)
        }
    }

    /// Refuses a chunk whose declared length runs past the end of the data before libpng
    /// sees it: libpng allocates an ancillary chunk's declared length up front (a 49-byte
    /// file claiming a 1.7 GB `tEXt` chunk, found by tools/fuzz).
    static func checkChunkLengths(_ raw: UnsafeRawBufferPointer, name: String) throws {
        var offset = signature.count
        while offset + 8 <= raw.count {
            let length = (0..<4).reduce(0) { $0 << 8 | Int(raw[offset + $1]) }
            let type = String(decoding: raw[(offset + 4)..<(offset + 8)], as: UTF8.self)
            guard length <= raw.count - offset - 8 else {
                throw IOError.invalidPNG(path: name, reason: "truncated or corrupt: chunk '\(type)' claims \(length) bytes, only \(raw.count - offset - 8) remain")
            }
            if type == "IEND" { return }
            offset += 12 + length
        }
    }

    private static func checkSize(_ width: Int, _ height: Int, name: String) throws {
        if width > maxSide || height > maxSide {
            throw IOError.imageTooLarge(path: name, width: width, height: height, reason: "more than \(maxSide) pixels per side")
        }
        if width * height > maxPixelCount {
            throw IOError.imageTooLarge(path: name, width: width, height: height, reason: "more than \(maxPixelCount) pixels")
        }
    }

    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads the PNG file at `path`. Every failure (missing file, directory, empty,
    /// not a PNG, corrupt or truncated data, absurd dimensions) throws an `IOError`
    /// naming `path`.
    public static func read(path: String) throws -> RGBImage {
        try decode(try AtomicFile.read(path), name: path)
    }

    /// Decodes PNG bytes. `name` stands in for a path in error messages.
    public static func decode(_ data: Data, name: String = "<memory>") throws -> RGBImage {
        try withHeader(data, name: name) { image in
            let width = Int(image.width)
            let height = Int(image.height)
            image.format = cpng_format_rgba8()
            image.flags |= cpng_flag_16bit_srgb()
            let byteCount = cpng_image_size(&image)
            var rgba = [UInt8](repeating: 0, count: byteCount)
            let ok = rgba.withUnsafeMutableBytes { buffer in
                png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
            }
            guard ok != 0 else {
                throw IOError.invalidPNG(path: name, reason: message(of: &image))
            }
            return planarRGB(fromRGBA: rgba, width: width, height: height)
        }
    }

    /// zlib strategy, level and row filter of `encode`, chosen by measurement (README,
    /// "PNG output"; tools/png_encode_settings.c): zlib's run-length matching (Z_RLE,
    /// distance-1 matches only; the level then only sets the header's level hint) on
    /// Paeth-filtered rows is ~5x cheaper than libpng's default (level 6, Z_FILTERED,
    /// adaptive filters) at 1024² for files 0-15 % larger (0 % on 64² faces).
    static let compressionStrategy: Int32 = Z_RLE
    static let compressionLevel: Int32 = Z_BEST_SPEED
    static let rowFilters: Int32 = PNG_FILTER_PAETH

    /// Encodes `image` as an 8-bit RGB PNG: each sample is clamped to [0, 1] and stored
    /// as `round(x * 255)`; NaN is stored as 0. `name` is used in error messages.
    public static func encode(_ image: RGBImage, name: String = "<memory>") throws -> Data {
        let width = image.width, height = image.height
        guard width > 0, height > 0, width <= Int(Int32.max / 3), height <= Int(Int32.max) else {
            throw IOError.invalidArgument(path: name, reason: "cannot write a \(width) x \(height) PNG")
        }
        guard image.pixels.count == 3 * width * height else {
            throw IOError.invalidArgument(
                path: name,
                reason: "image has \(image.pixels.count) samples, expected 3 x \(height) x \(width)")
        }

        let plane = width * height
        var rgb = [UInt8](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    for i in 0..<plane {
                        dst[3 * i + c] = quantize(src[c * plane + i])
                    }
                }
            }
        }

        // The whole libpng write (and its setjmp/longjmp error path) runs in C.
        var out = cpng_output()
        let status = rgb.withUnsafeBufferPointer { src in
            cpng_write_rgb8(src.baseAddress, png_uint_32(width), png_uint_32(height),
                            compressionLevel, compressionStrategy, rowFilters, &out)
        }
        guard status == 0, let bytes = out.data else {
            let text = withUnsafeBytes(of: &out.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw IOError.writeFailed(path: name, reason: "libpng: \(text.isEmpty ? "unknown error" : text)")
        }
        return Data(bytesNoCopy: bytes, count: out.size, deallocator: .free)
    }

    /// The most bytes `encode` may produce for a `width` x `height` image (the C
    /// writer's output bound); both must fit `png_uint_32`.
    static func outputLimit(width: Int, height: Int) -> Int {
        Int(cpng_write_limit(png_uint_32(width), png_uint_32(height)))
    }

    /// Writes `image` to `path` as an 8-bit RGB PNG (see `encode`). The write is atomic
    /// (temporary file, fsync, rename; see `AtomicFile.write`): on failure the file at
    /// `path` is unchanged and no temporary file is left behind.
    public static func write(_ image: RGBImage, to path: String) throws {
        try AtomicFile.write(try encode(image, name: path), to: path)
    }

    @inline(__always)
    static func quantize(_ value: Float) -> UInt8 {
        // Written so that NaN fails both comparisons and maps to 0.
        if value >= 1 { return 255 }
        if !(value > 0) { return 0 }
        return UInt8((value * 255).rounded())
    }

    private static func planarRGB(fromRGBA rgba: [UInt8], width: Int, height: Int) -> RGBImage {
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        var table = [Float](repeating: 0, count: 256)
        for v in 0..<256 { table[v] = Float(v) / 255 }
        rgba.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for i in 0..<plane {
                    dst[i] = table[Int(src[4 * i])]
                    dst[plane + i] = table[Int(src[4 * i + 1])]
                    dst[2 * plane + i] = table[Int(src[4 * i + 2])]
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { bytes -> String in
            let chars = bytes.prefix { $0 != 0 }
            return String(decoding: chars, as: UTF8.self)
        }
        return text.isEmpty ? "libpng reported an error without a message" : "libpng: \(text)"
    }
}
