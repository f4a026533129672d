/// Every error StyleGANIO throws. Each case carries the path of the file involved
/// (or the name given to an in-memory buffer), and `description` always reads
/// `"<path>: <what is wrong>"`, so a message alone says which file to look at.
public enum IOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing exists at `path`.
    case fileNotFound(path: String)
    /// `path` is a directory where a regular file was expected.
    case isDirectory(path: String)
    /// The file exists but could not be read.
    case readFailed(path: String, reason: String)
    /// Writing failed (creating the temporary file, writing, fsync or rename).
    /// The destination is left as it was before the call.
    case writeFailed(path: String, reason: String)
    /// The data is not a PNG image, or libpng could not decode it (corrupt, truncated).
    case invalidPNG(path: String, reason: String)
    /// The data is not a readable JPEG, or not an image format the reader knows.
    case invalidImage(path: String, reason: String)
    /// The PNG header declares dimensions beyond the reader's limits; nothing was allocated.
    case imageTooLarge(path: String, width: Int, height: Int, reason: String)
    /// The file does not follow the safetensors format. `tensor` names the offending
    /// tensor when the problem belongs to one.
    case invalidSafeTensors(path: String, tensor: String?, reason: String)
    /// A tensor was looked up by name and is not in the file.
    case missingTensor(path: String, name: String)
    /// The data is not a NumPy `.npy` file or `.npz` archive this library reads, or a value
    /// in it is refused (e.g. not finite). `entry` names the archive member the problem
    /// belongs to, if any.
    case invalidNumpy(path: String, entry: String?, reason: String)
    /// The caller passed a value that cannot be written (e.g. a pixel buffer whose size
    /// does not match the image dimensions, an unsupported storage dtype).
    case invalidArgument(path: String, reason: String)

    /// The file (or buffer name) the error is about.
    public var path: String {
        switch self {
        case let .fileNotFound(path), let .isDirectory(path): return path
        case let .readFailed(path, _), let .writeFailed(path, _), let .invalidPNG(path, _), let .invalidImage(path, _),
             let .invalidArgument(path, _), let .missingTensor(path, _):
            return path
        case let .imageTooLarge(path, _, _, _): return path
        case let .invalidSafeTensors(path, _, _), let .invalidNumpy(path, _, _): return path
        }
    }

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .isDirectory(path):
            return "\(path): is a directory, expected a file"
        case let .readFailed(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write file: \(reason)"
        case let .invalidPNG(path, reason):
            return "\(path): invalid PNG: \(reason)"
        case let .invalidImage(path, reason):
            return "\(path): \(reason)"
        case let .imageTooLarge(path, width, height, reason):
            return "\(path): PNG is \(width) x \(height) pixels, \(reason)"
        case let .invalidSafeTensors(path, tensor?, reason):
            return "\(path): invalid safetensors: tensor \"\(tensor)\": \(reason)"
        case let .invalidSafeTensors(path, nil, reason):
            return "\(path): invalid safetensors: \(reason)"
        case let .missingTensor(path, name):
            return "\(path): no tensor named \"\(name)\""
        case let .invalidArgument(path, reason):
            return "\(path): \(reason)"
        case let .invalidNumpy(path, entry?, reason):
            return "\(path): entry \"\(entry)\": \(reason)"
        case let .invalidNumpy(path, nil, reason):
            return "\(path): \(reason)"
        }
    }
}
