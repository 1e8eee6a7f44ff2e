import Expressions
import Rules

/// Bytes appended through a raw pointer. The JSON report appends a few dozen short pieces per
/// finding, millions of times; `Array.append(contentsOf:)` costs several times the copy itself
/// (uniqueness and capacity checks, generic iteration), so hot writers use this instead.
struct ByteBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far, as an array (one copy, of data still in cache).
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        capacity = max(capacity * 2, needed)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + count).initialize(from: start, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func append(_ piece: StaticString) {
        append(UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(_ string: String) {
        Self.withUTF8(string) { append($0) }
    }

    /// A decimal integer, written digit by digit (no intermediate String).
    mutating func append(decimal value: Int) {
        reserve(20)
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)      // 24 bytes: room for every Int
        let n = withUnsafeMutableBytes(of: &digits) { out -> Int in
            var i = out.count
            repeat {
                i -= 1
                out[i] = UInt8(48 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { i -= 1; out[i] = UInt8(ascii: "-") }
            (base + count).initialize(from: out.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: out.count - i)
            return out.count - i
        }
        count += n
    }

    /// A date as a JSON string, `"YYYY-MM-DD"`, written digit by digit (years past 9999 through
    /// `description`).
    mutating func appendQuoted(_ day: Day) {
        let (y, m, d) = day.civil
        guard (0...9999).contains(y) else { appendQuoted(day.description); return }
        reserve(12)
        let out = base + count
        out[0] = UInt8(ascii: "\""); out[11] = UInt8(ascii: "\"")
        out[1] = UInt8(48 + y / 1000); out[2] = UInt8(48 + y / 100 % 10); out[3] = UInt8(48 + y / 10 % 10); out[4] = UInt8(48 + y % 10)
        out[5] = UInt8(ascii: "-"); out[6] = UInt8(48 + m / 10); out[7] = UInt8(48 + m % 10)
        out[8] = UInt8(ascii: "-"); out[9] = UInt8(48 + d / 10); out[10] = UInt8(48 + d % 10)
        count += 12
    }

    /// A fingerprint's hash as its quoted 16 hex digits.
    mutating func appendQuoted(fingerprint hash: UInt64) {
        reserve(18)
        (base + count)[0] = UInt8(ascii: "\""); (base + count)[17] = UInt8(ascii: "\"")
        Fingerprint.hex(hash, into: base + count + 1)
        count += 18
    }

    /// A JSON string literal: quotes, and escapes where JSON requires them.
    mutating func appendQuoted(_ string: String) {
        Self.withUTF8(string) { appendQuoted($0) }
    }

    /// A string's UTF-8 without copying it, where it is stored contiguously (native strings are).
    @inline(__always)
    private static func withUTF8(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if string.utf8.withContiguousStorageIfAvailable(body) == nil {
            var copy = string
            copy.withUTF8(body)
        }
    }

    mutating func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        // Most strings (ids, dates, names, messages) have nothing to escape: copied whole.
        if !Self.needsEscape(bytes) {
            append(bytes)
        } else {
            for b in bytes { appendEscaped(b) }
        }
        append(UInt8(ascii: "\""))
    }

    /// Whether any byte is a control character, `"` or `\\`: eight bytes at a time (the
    /// classic has-zero-byte and has-byte-less-than tests, exact as yes/no answers).
    private static func needsEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = UnsafeRawPointer(bytes.baseAddress) else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func special(_ w: UInt64) -> Bool {
            let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
            return ((w &- ones &* 0x20) | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & ~w & highs != 0
        }
        guard bytes.count >= 8 else { return bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }
        // Whole words, the last one overlapping the one before where the length is not a multiple of 8.
        var i = 0
        while true {
            if special(base.loadUnaligned(fromByteOffset: min(i, bytes.count - 8), as: UInt64.self)) { return true }
            i += 8
            if i >= bytes.count { return false }
        }
    }

    private mutating func appendEscaped(_ b: UInt8) {
        switch b {
        case 0x22: append("\\\"")
        case 0x5C: append("\\\\")
        case 0x0A: append("\\n")
        case 0x0D: append("\\r")
        case 0x09: append("\\t")
        case 0..<0x20:
            let hex: StaticString = "0123456789abcdef"
            append("\\u00")
            append(hex.utf8Start[Int(b >> 4)])
            append(hex.utf8Start[Int(b & 0xF)])
        default: append(b)
        }
    }
}
