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
    public init?(isoBytes u: UnsafeBufferPointer<UInt8>) {
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        // Bytes below "0" wrap around to large values, so one comparison per digit suffices.
        @inline(__always) func digit(_ i: Int) -> UInt8 { u[i] &- 48 }
        let ds = (digit(0), digit(1), digit(2), digit(3), digit(5), digit(6), digit(8), digit(9))
        guard ds.0 < 10, ds.1 < 10, ds.2 < 10, ds.3 < 10, ds.4 < 10, ds.5 < 10, ds.6 < 10, ds.7 < 10 else { return nil }
        let y = Int(ds.0) * 1000 + Int(ds.1) * 100 + Int(ds.2) * 10 + Int(ds.3)
        let m = Int(ds.4) * 10 + Int(ds.5), d = Int(ds.6) * 10 + Int(ds.7)
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

    public var civil: (year: Int, month: Int, day: Int) { Day.civilFromDays(number) }

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
        let (y, m, d) = civil
        guard (0...9999).contains(y) else {
            func pad(_ v: Int, _ w: Int) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, w - s.count)) + s
            }
            return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
        }
        // Written digit by digit: reports print millions of dates.
        return String(unsafeUninitializedCapacity: 10) { out in
            func digit(_ i: Int, _ v: Int) { out[i] = UInt8(48 + v) }
            digit(0, y / 1000); digit(1, y / 100 % 10); digit(2, y / 10 % 10); digit(3, y % 10)
            digit(5, m / 10); digit(6, m % 10); digit(8, d / 10); digit(9, d % 10)
            out[4] = UInt8(ascii: "-")
            out[7] = UInt8(ascii: "-")
            return 10
        }
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
