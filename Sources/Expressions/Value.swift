/// A runtime value of the expression language: CEL's value types plus a calendar `date`.
public enum Value: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([Value])
    case map(MapValue)
    case timestamp(Timestamp)
    case duration(Duration)
    /// A calendar day (no time of day), the unit plans and statutory deadlines are written in.
    case date(Day)
    case type(String)

    /// The CEL type name, as `type(x)` reports it.
    public var typeName: String {
        switch self {
        case .null: return "null_type"
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .string: return "string"
        case .bytes: return "bytes"
        case .list: return "list"
        case .map: return "map"
        case .timestamp: return "google.protobuf.Timestamp"
        case .duration: return "google.protobuf.Duration"
        case .date: return "date"
        case .type: return "type"
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A map with insertion order kept, so output is deterministic. Keys compare with CEL equality
/// (`1`, `1u` and `1.0` are the same key). Small maps are searched in order; larger ones (such as
/// a record's fields in `records`) also index their string keys, since rules look them up per item.
public struct MapValue: Sendable {
    public private(set) var keys: [Value] = []
    public private(set) var values: [Value] = []
    private var stringIndex: [String: Int]?

    public init() {}

    public var count: Int { keys.count }

    public subscript(key: Value) -> Value? {
        if let stringIndex, case .string(let s) = key {
            return stringIndex[s].map { values[$0] }
        }
        guard let i = keys.firstIndex(where: { celEquals($0, key) }) else { return nil }
        return values[i]
    }

    /// Adds an entry; returns false when the key is already present.
    @discardableResult
    public mutating func insert(_ key: Value, _ value: Value) -> Bool {
        if self[key] != nil { return false }
        keys.append(key)
        values.append(value)
        if stringIndex != nil, case .string(let s) = key { stringIndex![s] = keys.count - 1 }
        if stringIndex == nil, keys.count == 12, keys.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
            stringIndex = Dictionary(uniqueKeysWithValues: keys.enumerated().map { i, k in
                guard case .string(let s) = k else { preconditionFailure("string keys only") }
                return (s, i)
            })
        }
        return true
    }
}

/// Decimal digits two at a time, for writers of millions of numbers and dates.
public enum Digits {
    /// "00" to "99": the pair for n (0–99) starts at byte 2n.
    public static let pairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
}

/// A calendar day, counted from 1970-01-01 (proleptic Gregorian calendar).
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var number: Int

    public init(number: Int) { self.number = number }

    /// Nil when the fields do not name a real day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Day.daysIn(month: month, year: year) else { return nil }
        number = Day.daysFromCivil(year, month, day)
    }

    /// Parses `YYYY-MM-DD` exactly.
    public init?(iso text: some StringProtocol) {
        var s = String(text)
        guard let day = s.withUTF8({ Day(isoBytes: $0) }) else { return nil }
        self = day
    }

    /// Parses `YYYY-MM-DD` exactly from UTF-8 bytes (a table cell, without making a String).
    /// A national extract has ten million date cells: the eight digits and two dashes are
    /// checked in two machine words, not byte by byte.
    public init?(isoBytes u: UnsafeBufferPointer<UInt8>) {
        guard u.count == 10, let base = UnsafeRawPointer(u.baseAddress) else { return nil }
        // Little-endian: byte i of the text is bits 8i..8i+7. Bytes 4 and 7 of `head` are the dashes.
        let head = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        let tail = UInt64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        let dashes: UInt64 = 0x2D00_002D_0000_0000, dashMask: UInt64 = 0xFF00_00FF_0000_0000
        guard head & dashMask == dashes else { return nil }
        // Each digit byte XOR "0" is 0...9 exactly when its high nibble is then 0 and adding 6
        // does not carry into it.
        let digits = (head & ~dashMask) ^ 0x0030_3000_3030_3030, low = tail ^ 0x3030
        let nibbles: UInt64 = 0x00F0_F000_F0F0_F0F0
        guard (digits | (digits &+ 0x0006_0600_0606_0606)) & nibbles == 0, (low | (low &+ 0x0606)) & 0xF0F0 == 0 else { return nil }
        @inline(__always) func byte(_ w: UInt64, _ i: UInt64) -> Int { Int(truncatingIfNeeded: (w >> (8 * i)) & 0xFF) }
        let y = byte(digits, 0) * 1000 + byte(digits, 1) * 100 + byte(digits, 2) * 10 + byte(digits, 3)
        let m = byte(digits, 5) * 10 + byte(digits, 6), d = byte(low, 0) * 10 + byte(low, 1)
        // Casework dates fall in a few centuries: look the month up rather than work it out.
        if y >= Day.tableStart, y < Day.tableStart + 300, m >= 1, m <= 12 {
            let month = Day.monthTable[(y - Day.tableStart) * 12 + m - 1]
            guard d >= 1, d <= Int(month.days) else { return nil }
            self.init(number: Int(month.start) + d - 1)
            return
        }
        self.init(year: y, month: m, day: d)
    }

    private static let tableStart = 1900
    /// First day and length of each month from 1900 for 300 years.
    private static let monthTable: [(start: Int32, days: Int8)] = (0..<3600).map { i in
        let y = tableStart + i / 12, m = i % 12 + 1
        return (Int32(daysFromCivil(y, m, 1)), Int8(daysIn(month: m, year: y)))
    }

    public static func < (a: Day, b: Day) -> Bool { a.number < b.number }

    public var civil: (year: Int, month: Int, day: Int) {
        Day.fastRange.contains(number) ? Day.fastCivil(number) : Day.civilFromDays(number)
    }

    /// Writes `YYYY-MM-DD` at `out` (10 bytes) and returns true, for years 0–9999; false (and
    /// writes nothing) for others. Reports write millions of dates: two digits at a time.
    public func writeISO(_ out: UnsafeMutablePointer<UInt8>) -> Bool {
        let (y, m, d) = civil
        guard (0...9999).contains(y) else { return false }
        let pairs = Digits.pairs.utf8Start
        @inline(__always) func two(_ at: Int, _ v: Int) { out[at] = pairs[2 * v]; out[at + 1] = pairs[2 * v + 1] }
        two(0, y / 100); two(2, y % 100); two(5, m); two(8, d)
        out[4] = UInt8(ascii: "-")
        out[7] = UInt8(ascii: "-")
        return true
    }

    /// 0001-01-01 through 9999-12-31, where `fastCivil` is exact (the tests check every day).
    static let fastRange = -719_162...2_932_896

    /// Neri and Schneider's civil_from_days ("Euclidean affine functions and their application to
    /// calendar algorithms", 2022): multiplications and shifts where Hinnant's divides.
    static func fastCivil(_ n: Int) -> (year: Int, month: Int, day: Int) {
        let shift: UInt32 = 82     // 400-year cycles added so that the days count from 0 up
        let days = UInt32(truncatingIfNeeded: n + 719_468 + 146_097 * Int(shift))
        let n1 = 4 &* days &+ 3
        let century = n1 / 146_097, dayOfCentury = n1 % 146_097 / 4
        let p2 = UInt64(2_939_745) &* UInt64(4 &* dayOfCentury &+ 3)
        let yearOfCentury = UInt32(truncatingIfNeeded: p2 >> 32)
        let dayOfYear = UInt32(truncatingIfNeeded: p2) / 2_939_745 / 4       // from 1 March
        let n3 = 2141 &* dayOfYear &+ 197_913
        let month = n3 >> 16, day = (n3 & 0xFFFF) / 2141 + 1
        let january = dayOfYear >= 306 ? 1 : 0
        return (Int(100 &* century &+ yearOfCentury) - Int(400 * shift) + january, Int(month) - 12 * january, Int(day))
    }

    /// 0 = Monday … 6 = Sunday.
    public var weekday: Int { ((number % 7) + 7 + 3) % 7 }

    public func adding(days: Int) -> Day { Day(number: number + days) }

    /// The same day of the month `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb).
    public func adding(months: Int) -> Day {
        let (y, m, d) = civil
        let total = y * 12 + (m - 1) + months
        let ny = total >= 0 ? total / 12 : (total - 11) / 12
        let nm = total - ny * 12 + 1
        return Day(number: Day.daysFromCivil(ny, nm, min(d, Day.daysIn(month: nm, year: ny))))
    }

    public var description: String {
        // Written two digits at a time: reports print millions of dates.
        let text = String(unsafeUninitializedCapacity: 10) { writeISO($0.baseAddress!) ? 10 : 0 }
        guard text.isEmpty else { return text }
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let (y, m, d) = civil
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact for every Gregorian date.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// An instant: seconds since the Unix epoch plus nanoseconds, limited to years 1–9999 as CEL requires.
public struct Timestamp: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanos: Int32

    public static let minSeconds: Int64 = -62_135_596_800     // 0001-01-01T00:00:00Z
    public static let maxSeconds: Int64 = 253_402_300_799     // 9999-12-31T23:59:59Z

    public init?(seconds: Int64, nanos: Int32 = 0) {
        guard seconds >= Timestamp.minSeconds, seconds <= Timestamp.maxSeconds, (0..<1_000_000_000).contains(nanos) else { return nil }
        self.seconds = seconds
        self.nanos = nanos
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }
}

/// A signed span of time, limited to about ±10,000 years as CEL requires.
public struct Duration: Sendable, Hashable, Comparable {
    public var seconds: Int64
    /// Same sign as `seconds` (or zero), |nanos| < 1e9.
    public var nanos: Int32

    public static let maxSeconds: Int64 = 315_576_000_000

    public init?(seconds: Int64, nanos: Int32 = 0) {
        var s = seconds, n = Int64(nanos)
        s += n / 1_000_000_000
        n %= 1_000_000_000
        if s > 0 && n < 0 { s -= 1; n += 1_000_000_000 }
        if s < 0 && n > 0 { s += 1; n -= 1_000_000_000 }
        guard abs(s) <= Duration.maxSeconds else { return nil }
        self.seconds = s
        self.nanos = Int32(n)
    }

    public static func < (a: Duration, b: Duration) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }
}
