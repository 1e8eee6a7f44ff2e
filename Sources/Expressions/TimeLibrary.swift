import Foundation

/// Timestamps and durations: RFC 3339 and Go-style duration text, arithmetic with range checks,
/// and the `get…` accessors with an optional time zone (an IANA name or `±HH:MM`).
enum TimeLibrary {
    static func shift(_ t: Timestamp, by d: Duration) throws(EvalError) -> Timestamp {
        var s = t.seconds + d.seconds
        var n = Int64(t.nanos) + Int64(d.nanos)
        if n >= 1_000_000_000 { s += 1; n -= 1_000_000_000 }
        if n < 0 { s -= 1; n += 1_000_000_000 }
        guard let r = Timestamp(seconds: s, nanos: Int32(n)) else { throw EvalError("timestamp out of range") }
        return r
    }

    static func sum(_ a: Duration, _ b: Duration) throws(EvalError) -> Duration {
        let (s, o) = a.seconds.addingReportingOverflow(b.seconds)
        guard !o, let r = Duration(seconds: s, nanos: a.nanos + b.nanos) else { throw EvalError("duration out of range") }
        return r
    }

    static func negate(_ d: Duration) throws(EvalError) -> Duration {
        guard let r = Duration(seconds: -d.seconds, nanos: -d.nanos) else { throw EvalError("duration out of range") }
        return r
    }

    static func parseTimestamp(_ text: String) -> Timestamp? {
        let u = Array(text.utf8)
        guard u.count >= 20, u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"),
              let day = Day(iso: String(decoding: u[0..<10], as: UTF8.self)),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
              let hh = Int(String(decoding: u[11..<13], as: UTF8.self)),
              let mm = Int(String(decoding: u[14..<16], as: UTF8.self)),
              let ss = Int(String(decoding: u[17..<19], as: UTF8.self)),
              hh < 24, mm < 60, ss < 61 else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(u[i] - 48); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanos *= 10 }
        }
        guard i < u.count else { return nil }
        var offset = 0
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else {
            guard u.count - i == 6, let o = parseOffset(String(decoding: u[i...], as: UTF8.self)) else { return nil }
            offset = o
            i = u.count
        }
        guard i == u.count else { return nil }
        let seconds = Int64(day.number) * 86_400 + Int64(hh * 3600 + mm * 60 + ss) - Int64(offset)
        return Timestamp(seconds: seconds, nanos: Int32(nanos))
    }

    /// `+HH:MM`, `-HH:MM` or `HH:MM`, in seconds east of UTC.
    static func parseOffset(_ text: String) -> Int? {
        var s = Substring(text)
        var sign = 1
        if s.first == "+" { s = s.dropFirst() } else if s.first == "-" { sign = -1; s = s.dropFirst() }
        let parts = s.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), h < 24, m < 60 else { return nil }
        return sign * (h * 3600 + m * 60)
    }

    static func parseDuration(_ text: String) -> Duration? {
        var chars = Substring(text)
        var negative = false
        if chars.first == "-" { negative = true; chars = chars.dropFirst() } else if chars.first == "+" { chars = chars.dropFirst() }
        if chars == "0" { return Duration(seconds: 0) }
        guard !chars.isEmpty else { return nil }
        var totalNanos: Decimal = 0
        while !chars.isEmpty {
            let number = chars.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Decimal(string: String(number)) else { return nil }
            chars = chars.dropFirst(number.count)
            let unit = chars.prefix { $0.isLetter || $0 == "µ" }
            chars = chars.dropFirst(unit.count)
            let scale: Decimal
            switch unit {
            case "h": scale = 3_600_000_000_000
            case "m": scale = 60_000_000_000
            case "s": scale = 1_000_000_000
            case "ms": scale = 1_000_000
            case "us", "µs": scale = 1_000
            case "ns": scale = 1
            default: return nil
            }
            totalNanos += value * scale
        }
        let limit = Decimal(Duration.maxSeconds) * 1_000_000_000
        guard totalNanos <= limit else { return nil }
        var whole = totalNanos / 1_000_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &whole, 0, .down)
        let seconds = NSDecimalNumber(decimal: rounded).int64Value
        let nanos = NSDecimalNumber(decimal: totalNanos - rounded * 1_000_000_000).int64Value
        return negative ? Duration(seconds: -seconds, nanos: -Int32(nanos)) : Duration(seconds: seconds, nanos: Int32(nanos))
    }

    static func format(_ t: Timestamp) -> String {
        let day = Day(number: Int((t.seconds >= 0 ? t.seconds : t.seconds - 86_399) / 86_400))
        let secs = Int(t.seconds - Int64(day.number) * 86_400)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(day)T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))\(fraction(t.nanos))Z"
    }

    static func format(_ d: Duration) -> String {
        let negative = d.seconds < 0 || d.nanos < 0
        return (negative ? "-" : "") + "\(abs(d.seconds))\(fraction(abs(d.nanos)))s"
    }

    private static func fraction(_ nanos: Int32) -> String {
        guard nanos != 0 else { return "" }
        var digits = String(nanos)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("000") { digits.removeLast(3) }
        return "." + digits
    }

    // MARK: accessors

    private static func zoneOffset(_ zone: Value?, at t: Timestamp) throws(EvalError) -> Int {
        guard let zone else { return 0 }
        guard case .string(let name) = zone else { throw EvalError.noOverload("time zone", [zone]) }
        if let o = parseOffset(name) { return o }
        guard let tz = TimeZone(identifier: name) else { throw EvalError("unknown time zone '\(name)'") }
        return tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t.seconds)))
    }

    private static func civil(_ t: Timestamp, _ zone: Value?) throws(EvalError) -> (day: Day, secondOfDay: Int) {
        let local = t.seconds + Int64(try zoneOffset(zone, at: t))
        let dayNumber = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        return (Day(number: Int(dayNumber)), Int(local - dayNumber * 86_400))
    }

    private static func accessor(_ name: String, _ summary: String,
                                 timestamp: @escaping @Sendable (Day, Int, Timestamp) -> Int64,
                                 duration: (@Sendable (Duration) -> Int64)? = nil,
                                 date: (@Sendable (Day) -> Int64)? = nil) -> Function {
        var overloads = [Overload([.timestamp], .int), Overload([.timestamp, .string], .int)]
        if duration != nil { overloads.append(Overload([.duration], .int)) }
        if date != nil { overloads.append(Overload([.date], .int)) }
        return Function(name, style: .receiver, overloads, summary: summary, .variadic { args throws(EvalError) in
            switch (args.first, args.count) {
            case (.timestamp(let t), 1), (.timestamp(let t), 2):
                let (day, secs) = try civil(t, args.count == 2 ? args[1] : nil)
                return .int(timestamp(day, secs, t))
            case (.duration(let d), 1) where duration != nil: return .int(duration!(d))
            case (.date(let d), 1) where date != nil: return .int(date!(d))
            default: throw EvalError.noOverload(name, args)
            }
        })
    }

    static let functions: [Function] = [
        Function("timestamp", [Overload([.string], .timestamp), Overload([.int], .timestamp), Overload([.timestamp], .timestamp)],
                 summary: "an instant from RFC 3339 text or Unix seconds", .unary { v throws(EvalError) in
            switch v {
            case .timestamp: return v
            case .string(let s):
                guard let t = parseTimestamp(s) else { throw EvalError("cannot read '\(s)' as an RFC 3339 timestamp") }
                return .timestamp(t)
            case .int(let i):
                guard let t = Timestamp(seconds: i) else { throw EvalError("timestamp out of range") }
                return .timestamp(t)
            default: throw EvalError.noOverload("timestamp", [v])
            }
        }),
        Function("duration", [Overload([.string], .duration), Overload([.duration], .duration)],
                 summary: "a span of time such as \"36h\" or \"1.5s\"", .unary { v throws(EvalError) in
            switch v {
            case .duration: return v
            case .string(let s):
                guard let d = parseDuration(s) else { throw EvalError("cannot read '\(s)' as a duration") }
                return .duration(d)
            default: throw EvalError.noOverload("duration", [v])
            }
        }),
        accessor("getFullYear", "year", timestamp: { d, _, _ in Int64(d.civil.year) }, date: { Int64($0.civil.year) }),
        accessor("getMonth", "month, 0 = January", timestamp: { d, _, _ in Int64(d.civil.month - 1) }, date: { Int64($0.civil.month - 1) }),
        accessor("getDate", "day of the month, from 1", timestamp: { d, _, _ in Int64(d.civil.day) }, date: { Int64($0.civil.day) }),
        accessor("getDayOfMonth", "day of the month, from 0", timestamp: { d, _, _ in Int64(d.civil.day - 1) }, date: { Int64($0.civil.day - 1) }),
        accessor("getDayOfWeek", "day of the week, 0 = Sunday", timestamp: { d, _, _ in Int64((d.weekday + 1) % 7) }, date: { Int64(($0.weekday + 1) % 7) }),
        accessor("getDayOfYear", "day of the year, from 0", timestamp: { d, _, _ in
            Int64(d.number - Day(year: d.civil.year, month: 1, day: 1)!.number)
        }, date: { Int64($0.number - Day(year: $0.civil.year, month: 1, day: 1)!.number) }),
        accessor("getHours", "hours", timestamp: { _, s, _ in Int64(s / 3600) }, duration: { $0.seconds / 3600 }),
        accessor("getMinutes", "minutes", timestamp: { _, s, _ in Int64(s / 60 % 60) }, duration: { $0.seconds / 60 }),
        accessor("getSeconds", "seconds", timestamp: { _, s, _ in Int64(s % 60) }, duration: { $0.seconds }),
        accessor("getMilliseconds", "milliseconds", timestamp: { _, _, t in Int64(t.nanos / 1_000_000) }, duration: { Int64($0.nanos / 1_000_000) }),
    ]
}
