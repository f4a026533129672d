import CZlib
import Foundation

/// The zip subset `.npz` files use: members stored or deflated, found through the central
/// directory (with ZIP64 sizes and offsets, as Python's zipfile may write), read from
/// memory with every offset and size checked against the buffer before use; and a writer
/// of stored or deflated members with a fixed timestamp.
///
/// Our own rather than ZIPFoundation's: on Linux that library reads an in-memory archive
/// through a `fopencookie` stream whose seek accepts offsets past the end, and the next
/// read traps (found by the fuzzer within a second), so a hostile `.npz` could crash us.
enum ZipContainer {
    /// One member, as the central directory describes it, with its data located.
    struct Member {
        var name: String
        var deflated: Bool
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        /// Where the compressed bytes start in the archive.
        var dataOffset: Int
    }

    /// The members of the archive in `raw`, in central-directory order. Refuses (with the
    /// reason) an archive without an end record, spanning disks, with more than
    /// `maxEntries` members, encrypted members, methods other than stored and deflate, or
    /// any header or data outside the buffer.
    static func members(_ raw: UnsafeRawBufferPointer, maxEntries: Int) throws(NumpyFormatError) -> [Member] {
        func u16(_ at: Int) -> Int { Int(raw[at]) | Int(raw[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
        func fits(_ start: Int, _ length: Int) -> Bool { start >= 0 && length >= 0 && start <= raw.count && length <= raw.count - start }
        func bad(_ what: String) -> NumpyFormatError { NumpyFormatError("corrupt zip archive: \(what)") }

        // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB.
        guard raw.count >= 22 else { throw NumpyFormatError("not a .npz file (too short to be a zip archive)") }
        var end = raw.count - 22
        while u32(end) != 0x0605_4B50 {
            guard end > 0, end > raw.count - 22 - 65535 else {
                throw NumpyFormatError("not a .npz file (no zip end-of-central-directory record)")
            }
            end -= 1
        }
        guard u16(end + 4) == 0, u16(end + 6) == 0 else { throw NumpyFormatError("multi-disk zip archives are not supported") }
        var count = UInt64(u16(end + 10))
        var directorySize = UInt64(u32(end + 12))
        var directoryOffset = UInt64(u32(end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the end record points at the ZIP64 end record.
            guard end >= 20, u32(end - 20) == 0x0706_4B50 else { throw bad("ZIP64 end-of-central-directory locator missing") }
            let record = u64(end - 12)
            guard record <= UInt64(raw.count), fits(Int(record), 56), u32(Int(record)) == 0x0606_4B50 else {
                throw bad("ZIP64 end-of-central-directory record missing")
            }
            count = u64(Int(record) + 32)
            directorySize = u64(Int(record) + 40)
            directoryOffset = u64(Int(record) + 48)
        }
        guard count <= UInt64(maxEntries) else { throw NumpyFormatError("more than \(maxEntries) arrays in the archive") }
        guard directoryOffset <= UInt64(raw.count), directorySize <= UInt64(raw.count),
              fits(Int(directoryOffset), Int(directorySize)) else {
            throw bad("central directory lies outside the file")
        }

        var members: [Member] = []
        var at = Int(directoryOffset)
        let directoryEnd = at + Int(directorySize)
        for _ in 0..<Int(count) {
            guard at <= directoryEnd - 46, u32(at) == 0x0201_4B50 else { throw bad("central directory entry \(members.count) is damaged") }
            let flags = u16(at + 8), method = u16(at + 10)
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            guard fits(at + 46, nameLength + extraLength + commentLength), at + 46 + nameLength + extraLength + commentLength <= directoryEnd else {
                throw bad("central directory entry \(members.count) runs past the directory")
            }
            let name = String(decoding: raw[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            guard flags & 1 == 0 else { throw NumpyFormatError("member \"\(name)\" is encrypted") }
            guard method == 0 || method == 8 else {
                throw NumpyFormatError("member \"\(name)\" uses compression method \(method) (only stored and deflate are read)")
            }
            var uncompressed = UInt64(u32(at + 24)), compressed = UInt64(u32(at + 20)), local = UInt64(u32(at + 42))
            // ZIP64 extra field: the 64-bit values of those fields that hold 0xFFFFFFFF, in order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), size = u16(extra + 2)
                guard extra + 4 + size <= extraEnd else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + size { uncompressed = u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + size { compressed = u64(field); field += 8 }
                    if local == 0xFFFF_FFFF, field + 8 <= extra + 4 + size { local = u64(field); field += 8 }
                }
                extra += 4 + size
            }
            guard compressed <= UInt64(raw.count), uncompressed <= UInt64(Int.max), local <= UInt64(raw.count),
                  fits(Int(local), 30), u32(Int(local)) == 0x0403_4B50 else {
                throw NumpyFormatError("member \"\(name)\": local header lies outside the file or is damaged")
            }
            let dataOffset = Int(local) + 30 + u16(Int(local) + 26) + u16(Int(local) + 28)
            guard fits(dataOffset, Int(compressed)) else {
                throw NumpyFormatError("member \"\(name)\": its \(compressed) bytes of data run past the end of the file")
            }
            guard method == 8 || compressed == uncompressed else {
                throw NumpyFormatError("member \"\(name)\" is stored with different compressed and uncompressed sizes")
            }
            members.append(Member(name: name, deflated: method == 8, crc32: UInt32(u32(at + 16)),
                                  compressedSize: Int(compressed), uncompressedSize: Int(uncompressed), dataOffset: dataOffset))
            at += 46 + nameLength + extraLength + commentLength
        }
        return members
    }

    /// The member's uncompressed bytes: exactly its declared size (the caller bounded it),
    /// inflating no further, with the CRC-32 checked.
    static func extract(_ member: Member, from raw: UnsafeRawBufferPointer) throws(NumpyFormatError) -> [UInt8] {
        let input = UnsafeRawBufferPointer(rebasing: raw[member.dataOffset..<(member.dataOffset + member.compressedSize)])
        var output = [UInt8](repeating: 0, count: member.uncompressedSize)
        if member.deflated {
            let produced = try inflateRaw(input, into: &output, name: member.name)
            guard produced == member.uncompressedSize else {
                throw NumpyFormatError("member \"\(member.name)\" inflates to \(produced) bytes, its declared size is \(member.uncompressedSize)")
            }
        } else {
            output.withUnsafeMutableBytes { $0.copyMemory(from: input) }
        }
        let crc = output.withUnsafeBytes { CRC32.update(CRC32.initial, with: $0) }
        guard crc == member.crc32 else { throw NumpyFormatError("member \"\(member.name)\": CRC-32 checksum mismatch (corrupt archive)") }
        return output
    }

    /// Inflates raw deflate data into `output`; refuses data that would produce more.
    private static func inflateRaw(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], name: String) throws(NumpyFormatError) -> Int {
        enum Outcome { case done(Int), tooLong, invalid(String) }
        // zlib keeps a pointer to the stream in its state: the stream must not move.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard inflateInit2_(stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw NumpyFormatError("zlib could not start inflating")
        }
        defer { inflateEnd(stream) }
        var spare: UInt8 = 0
        let outcome: Outcome = output.withUnsafeMutableBufferPointer { out in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = out.baseAddress
            stream.pointee.avail_out = uInt(out.count)
            var status = inflate(stream, Z_FINISH)
            if status != Z_STREAM_END, status != Z_DATA_ERROR, status != Z_MEM_ERROR, stream.pointee.avail_out == 0 {
                // Output full, stream not finished: one more byte means more data than declared.
                status = withUnsafeMutablePointer(to: &spare) { extra in
                    stream.pointee.next_out = extra
                    stream.pointee.avail_out = 1
                    return inflate(stream, Z_FINISH)
                }
                if stream.pointee.avail_out == 0 { return .tooLong }
            }
            if status == Z_STREAM_END { return .done(Int(stream.pointee.total_out)) }
            return .invalid(stream.pointee.msg.map { String(cString: $0) } ?? "the data ends early")
        }
        switch outcome {
        case let .done(count): return count
        case .tooLong: throw NumpyFormatError("member \"\(name)\" inflates past its declared size of \(output.count) bytes")
        case let .invalid(message): throw NumpyFormatError("member \"\(name)\" is not valid deflate data (\(message))")
        }
    }

    /// A zip archive of `files` in order: each stored, or deflated when `compressed`,
    /// dated 1980-01-01 00:00 so the same files give the same bytes. The caller keeps
    /// names unique and files and archive under 4 GiB (no ZIP64 is written).
    static func archive(_ files: [(name: String, bytes: Data)], compressed: Bool) -> Data {
        var out = Data()
        var directory = Data()
        func le(_ value: Int, _ bytes: Int, into data: inout Data) {
            for i in 0..<bytes { data.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
        }
        for file in files {
            let name = Array(file.name.utf8)
            let crc = file.bytes.withUnsafeBytes { Int(CRC32.update(CRC32.initial, with: $0)) }
            let payload = compressed ? deflateRaw(file.bytes) : file.bytes
            let flags = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800   // bit 11: the name is UTF-8
            let method = compressed ? 8 : 0
            let offset = out.count
            // Local header: signature, version needed 2.0, flags, method, time, date (1980-01-01), CRC, sizes, name.
            le(0x0403_4B50, 4, into: &out); le(20, 2, into: &out); le(flags, 2, into: &out); le(method, 2, into: &out)
            le(0, 2, into: &out); le(0x21, 2, into: &out); le(crc, 4, into: &out)
            le(payload.count, 4, into: &out); le(file.bytes.count, 4, into: &out)
            le(name.count, 2, into: &out); le(0, 2, into: &out)
            out.append(contentsOf: name)
            out.append(payload)
            // Central entry: made by Unix 2.0, the same fields, mode 0644 in the external attributes.
            le(0x0201_4B50, 4, into: &directory); le(0x0314, 2, into: &directory); le(20, 2, into: &directory)
            le(flags, 2, into: &directory); le(method, 2, into: &directory); le(0, 2, into: &directory)
            le(0x21, 2, into: &directory); le(crc, 4, into: &directory)
            le(payload.count, 4, into: &directory); le(file.bytes.count, 4, into: &directory)
            le(name.count, 2, into: &directory); le(0, 2, into: &directory); le(0, 2, into: &directory)
            le(0, 2, into: &directory); le(0, 2, into: &directory); le(0o100644 << 16, 4, into: &directory)
            le(offset, 4, into: &directory)
            directory.append(contentsOf: name)
        }
        let directoryOffset = out.count
        out.append(directory)
        le(0x0605_4B50, 4, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
        le(files.count, 2, into: &out); le(files.count, 2, into: &out)
        le(directory.count, 4, into: &out); le(directoryOffset, 4, into: &out); le(0, 2, into: &out)
        return out
    }

    /// Raw deflate (no zlib header), default level, as zipfile's ZIP_DEFLATED writes.
    private static func deflateRaw(_ data: Data) -> Data {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        let started = deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                    zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK, "zlib could not start deflating")
        defer { deflateEnd(stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(data.count))))
        let status: Int32 = data.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
                stream.pointee.avail_in = uInt(input.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                return deflate(stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "zlib deflate did not finish within deflateBound")
        return Data(output[0..<Int(stream.pointee.total_out)])
    }
}
