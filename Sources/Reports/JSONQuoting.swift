import Expressions
import PlanData
import Rules

/// JSON string literals, written straight into a report's bytes.
extension ByteBuffer {
    /// A date as a JSON string, `"YYYY-MM-DD"`.
    mutating func appendQuoted(_ day: Day) {
        append(UInt8(ascii: "\""))
        append(isoDate: day)
        append(UInt8(ascii: "\""))
    }

    /// A fingerprint's hash as its quoted 16 hex digits.
    mutating func appendQuoted(fingerprint hash: UInt64) {
        append(upTo: 18) { out in
            out[0] = UInt8(ascii: "\""); out[17] = UInt8(ascii: "\"")
            Fingerprint.hex(hash, into: out + 1)
            return 18
        }
    }

    /// A JSON string literal: quotes, and escapes where JSON requires them.
    mutating func appendQuoted(_ string: String) {
        Self.withUTF8(string) { appendQuoted($0) }
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
