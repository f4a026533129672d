import Foundation

/// Reads PNG or JPEG files, chosen by their first bytes (not the extension).
public enum ImageFile {
    /// File extensions treated as images when scanning folders.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    public static func read(path: String) throws -> RGBImage {
        try decode(try AtomicFile.read(path), name: path)
    }

    /// Decodes PNG or JPEG bytes (by their signature); `name` names them in errors.
    public static func decode(_ data: Data, name: String) throws -> RGBImage {
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEG.decode(data, name: name) }
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNG.decode(data, name: name) }
        throw IOError.invalidImage(path: name, reason: data.isEmpty ? "file is empty" : "neither a PNG nor a JPEG file")
    }

    /// The size `decode` would return, from the header alone (nothing is decoded or
    /// allocated); throws as `decode` would for a file that is not an image or is too large.
    public static func dimensions(_ data: Data, name: String) throws -> (width: Int, height: Int) {
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEG.dimensions(data, name: name) }
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNG.dimensions(data, name: name) }
        throw IOError.invalidImage(path: name, reason: data.isEmpty ? "file is empty" : "neither a PNG nor a JPEG file")
    }
}
