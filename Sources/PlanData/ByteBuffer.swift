import Expressions

/// Bytes appended through a raw pointer. Report writers append a few dozen short pieces per
/// finding, and messages a few, millions of times; `Array.append(contentsOf:)` costs several
/// times the copy itself (uniqueness and capacity checks, generic iteration), so hot writers
/// use this instead. Inlinable: writers in other modules get the appends inlined.
public struct ByteBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var stored = 0
    @usableFromInline var capacity: Int

    public init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    public var count: Int { stored }

    /// The bytes written so far, as an array (one copy, of data still in cache).
    public var bytes: [UInt8] { Array(unsafeBytes) }

    /// The bytes written so far, in place: valid until the buffer is next changed.
    public var unsafeBytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: stored) }

    /// Empties the buffer, keeping its memory.
    public mutating func removeAll() { stored = 0 }

    @inlinable @inline(__always)
    mutating func reserve(_ n: Int) {
        if stored + n > capacity { grow(stored + n) }
    }

    @usableFromInline mutating func grow(_ needed: Int) {
        capacity = max(capacity * 2, needed)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.initialize(from: base, count: stored)
        base.deallocate()
        base = grown
    }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[stored] = byte
        stored += 1
    }

    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + stored).initialize(from: start, count: bytes.count)
        stored += bytes.count
    }

    @inlinable @inline(__always)
    public mutating func append(_ piece: StaticString) {
        append(UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
    }

    @inlinable
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    @inlinable
    public mutating func append(_ string: String) {
        Self.withUTF8(string) { append($0) }
    }

    /// Up to `count` bytes written by `write` in place, which returns how many it wrote.
    @inlinable
    public mutating func append(upTo count: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(count)
        stored += write(base + stored)
    }

    /// A decimal integer, written two digits at a time (no intermediate String).
    public mutating func append(decimal value: Int) {
        append(upTo: 20) { out in
            var magnitude = value.magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)      // 24 bytes: room for every Int
            return withUnsafeMutableBytes(of: &digits) { buffer -> Int in
                let pairs = Digits.pairs.utf8Start
                var i = buffer.count
                while magnitude >= 100 {
                    let pair = Int(magnitude % 100) * 2
                    magnitude /= 100
                    i -= 2
                    buffer[i] = pairs[pair]; buffer[i + 1] = pairs[pair + 1]
                }
                if magnitude >= 10 {
                    i -= 2
                    buffer[i] = pairs[Int(magnitude) * 2]; buffer[i + 1] = pairs[Int(magnitude) * 2 + 1]
                } else {
                    i -= 1
                    buffer[i] = UInt8(48 + magnitude)
                }
                if value < 0 { i -= 1; buffer[i] = UInt8(ascii: "-") }
                out.initialize(from: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: buffer.count - i)
                return buffer.count - i
            }
        }
    }

    /// A date as `YYYY-MM-DD` (years past 9999 through `description`).
    public mutating func append(isoDate day: Day) {
        var written = false
        append(upTo: 10) { out in
            written = day.writeISO(out)
            return written ? 10 : 0
        }
        if !written { append(day.description) }
    }

    /// A string's UTF-8 without copying it, where it is stored contiguously (native strings are).
    @inlinable @inline(__always)
    public static func withUTF8(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if string.utf8.withContiguousStorageIfAvailable(body) == nil {
            var copy = string
            copy.withUTF8(body)
        }
    }
}
