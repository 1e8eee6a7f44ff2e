import Foundation

/// Where each entry's data lies in a zip file, read from its central directory.
///
/// ZIPFoundation's inflater asks for input until the deflate stream ends and reads on past the
/// end of the file when a damaged stream never does, so one damaged entry could hang a run. The
/// reader inflates from these offsets instead, handing the inflater exactly the entry's bytes and
/// failing when it asks for more.
struct ZipLayout {
    struct Place { var dataOffset: Int; var compressedSize: Int }

    private(set) var places: [String: Place] = [:]

    /// Nil when the central directory cannot be read (ZIP64 and split archives included, which
    /// workbooks never are).
    init?(_ bytes: Data) {
        let base = bytes.startIndex
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            return Int(bytes[base + at]) | Int(bytes[base + at + 1]) << 8
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(at), let high = u16(at + 2) else { return nil }
            return low | high << 16
        }
        // The end-of-central-directory record sits in the last 22 + 65,535 bytes.
        var end = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while end >= lowest, u32(end) != 0x0605_4B50 { end -= 1 }
        guard end >= lowest, let count = u16(end + 10), let directory = u32(end + 16) else { return nil }
        var at = directory
        for _ in 0..<count {
            guard u32(at) == 0x0201_4B50, let compressed = u32(at + 20), let nameLength = u16(at + 28),
                  let extraLength = u16(at + 30), let commentLength = u16(at + 32), let local = u32(at + 42),
                  compressed != 0xFFFF_FFFF, local != 0xFFFF_FFFF, at + 46 + nameLength <= bytes.count else { return nil }
            let name = String(decoding: bytes[(base + at + 46)..<(base + at + 46 + nameLength)], as: UTF8.self)
            guard u32(local) == 0x0403_4B50, let localName = u16(local + 26), let localExtra = u16(local + 28) else { return nil }
            let data = local + 30 + localName + localExtra
            guard data + compressed <= bytes.count else { return nil }
            places[name] = Place(dataOffset: data, compressedSize: compressed)
            at += 46 + nameLength + extraLength + commentLength
        }
    }
}
