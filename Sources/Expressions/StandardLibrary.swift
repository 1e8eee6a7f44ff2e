import Foundation

/// CEL's operators, conversions and string functions.
enum StandardLibrary {
    // MARK: operators

    static func add(_ a: Value, _ b: Value) throws(EvalError) -> Value {
        switch (a, b) {
        case let (.int(x), .int(y)):
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw EvalError("integer overflow in \(x) + \(y)") }
            return .int(r)
        case let (.uint(x), .uint(y)):
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw EvalError("unsigned integer overflow in \(x)u + \(y)u") }
            return .uint(r)
        case let (.double(x), .double(y)): return .double(x + y)
        case let (.string(x), .string(y)): return .string(x + y)
        case let (.bytes(x), .bytes(y)): return .bytes(x + y)
        case let (.list(x), .list(y)): return .list(x + y)
        case let (.timestamp(t), .duration(d)), let (.duration(d), .timestamp(t)): return try .timestamp(TimeLibrary.shift(t, by: d))
        case let (.duration(x), .duration(y)): return try .duration(TimeLibrary.sum(x, y))
        case let (.date(x), .duration(d)), let (.duration(d), .date(x)):
            return .date(x.adding(days: Int(d.seconds / 86_400)))
        default: throw EvalError.noOverload("_+_", [a, b])
        }
    }

    static func subtract(_ a: Value, _ b: Value) throws(EvalError) -> Value {
        switch (a, b) {
        case let (.int(x), .int(y)):
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw EvalError("integer overflow in \(x) - \(y)") }
            return .int(r)
        case let (.uint(x), .uint(y)):
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw EvalError("unsigned integer overflow in \(x)u - \(y)u") }
            return .uint(r)
        case let (.double(x), .double(y)): return .double(x - y)
        case let (.timestamp(x), .timestamp(y)):
            // Like cel-go, a difference of instants must fit in 64-bit nanoseconds (about ±292 years).
            guard abs(x.seconds - y.seconds) < 9_223_372_036,
                  let d = Duration(seconds: x.seconds - y.seconds, nanos: x.nanos - y.nanos) else {
                throw EvalError("duration out of range")
            }
            return .duration(d)
        case let (.timestamp(t), .duration(d)): return try .timestamp(TimeLibrary.shift(t, by: TimeLibrary.negate(d)))
        case let (.duration(x), .duration(y)): return try .duration(TimeLibrary.sum(x, TimeLibrary.negate(y)))
        case let (.date(x), .duration(d)): return .date(x.adding(days: -Int(d.seconds / 86_400)))
        default: throw EvalError.noOverload("_-_", [a, b])
        }
    }

    static func multiply(_ a: Value, _ b: Value) throws(EvalError) -> Value {
        switch (a, b) {
        case let (.int(x), .int(y)):
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw EvalError("integer overflow in \(x) * \(y)") }
            return .int(r)
        case let (.uint(x), .uint(y)):
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw EvalError("unsigned integer overflow in \(x)u * \(y)u") }
            return .uint(r)
        case let (.double(x), .double(y)): return .double(x * y)
        default: throw EvalError.noOverload("_*_", [a, b])
        }
    }

    static func divide(_ a: Value, _ b: Value) throws(EvalError) -> Value {
        switch (a, b) {
        case let (.int(x), .int(y)):
            if y == 0 { throw EvalError("division by zero") }
            let (r, o) = x.dividedReportingOverflow(by: y)
            if o { throw EvalError("integer overflow in \(x) / \(y)") }
            return .int(r)
        case let (.uint(x), .uint(y)):
            if y == 0 { throw EvalError("division by zero") }
            return .uint(x / y)
        case let (.double(x), .double(y)): return .double(x / y)
        default: throw EvalError.noOverload("_/_", [a, b])
        }
    }

    static func modulo(_ a: Value, _ b: Value) throws(EvalError) -> Value {
        switch (a, b) {
        case let (.int(x), .int(y)):
            if y == 0 { throw EvalError("modulus by zero") }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y)
            if o { throw EvalError("integer overflow in \(x) % \(y)") }
            return .int(r)
        case let (.uint(x), .uint(y)):
            if y == 0 { throw EvalError("modulus by zero") }
            return .uint(x % y)
        default: throw EvalError.noOverload("_%_", [a, b])
        }
    }

    static func negate(_ a: Value) throws(EvalError) -> Value {
        switch a {
        case .int(let x):
            if x == .min { throw EvalError("integer overflow in -(\(x))") }
            return .int(-x)
        case .double(let x): return .double(-x)
        case .duration(let d): return try .duration(TimeLibrary.negate(d))
        default: throw EvalError.noOverload("-_", [a])
        }
    }

    static func contains(_ container: Value, _ element: Value) throws(EvalError) -> Bool {
        switch container {
        case .list(let items): return items.contains { celEquals($0, element) }
        case .map(let m): return m[element] != nil
        default: throw EvalError.noOverload("@in", [element, container])
        }
    }

    /// Overloads of the operators, for the checker.
    static let operatorOverloads: [BinaryOp: [Overload]] = {
        let numeric: [CELType] = [.int, .uint, .double]
        let arithmetic = numeric.map { Overload([$0, $0], $0) }
        let ordered: [CELType] = [.string, .bytes, .bool, .timestamp, .duration, .date]
        var compare = ordered.map { Overload([$0, $0], .bool) }
        for a in numeric { for b in numeric { compare.append(Overload([a, b], .bool)) } }
        return [
            .add: arithmetic + [
                Overload([.string, .string], .string), Overload([.bytes, .bytes], .bytes),
                Overload([.list(.dyn), .list(.dyn)], .list(.dyn)),
                Overload([.timestamp, .duration], .timestamp), Overload([.duration, .timestamp], .timestamp),
                Overload([.duration, .duration], .duration), Overload([.date, .duration], .date),
            ],
            .subtract: arithmetic + [
                Overload([.timestamp, .timestamp], .duration), Overload([.timestamp, .duration], .timestamp),
                Overload([.duration, .duration], .duration), Overload([.date, .duration], .date),
            ],
            .multiply: arithmetic,
            .divide: arithmetic,
            .modulo: [Overload([.int, .int], .int), Overload([.uint, .uint], .uint)],
            .less: compare, .lessOrEqual: compare, .greater: compare, .greaterOrEqual: compare,
        ]
    }()

    // MARK: functions

    static let functions: [Function] = [
        Function("size", style: .both, [
            Overload([.string], .int), Overload([.bytes], .int),
            Overload([.list(.dyn)], .int), Overload([.map(.dyn, .dyn)], .int),
        ], summary: "number of characters, bytes, list items or map entries", .unary { v throws(EvalError) in
            switch v {
            case .string(let s): return .int(Int64(s.unicodeScalars.count))
            case .bytes(let b): return .int(Int64(b.count))
            case .list(let l): return .int(Int64(l.count))
            case .map(let m): return .int(Int64(m.count))
            default: throw EvalError.noOverload("size", [v])
            }
        }),
        stringPredicate("contains", "text contains the argument") { s, t in
            t.isEmpty || s.utf8.firstRange(of: t.utf8) != nil
        },
        stringPredicate("startsWith", "text begins with the argument") { s, t in s.utf8.starts(with: t.utf8) },
        stringPredicate("endsWith", "text ends with the argument") { s, t in s.utf8.reversed().starts(with: t.utf8.reversed()) },
        Function("matches", style: .both, [Overload([.string, .string], .bool)],
                 summary: "text contains a match of the regular expression", .binary { s, p throws(EvalError) in
            guard case .string(let text) = s, case .string(let pattern) = p else { throw EvalError.noOverload("matches", [s, p]) }
            return .bool(try Regex.compile(pattern).matches(text))
        }).checkingPattern(1, caseInsensitive: false),
        Function("int", [Overload([.dyn], .int)], summary: "convert to int", .unary(Conversions.toInt)),
        Function("uint", [Overload([.dyn], .uint)], summary: "convert to uint", .unary(Conversions.toUInt)),
        Function("double", [Overload([.dyn], .double)], summary: "convert to double", .unary(Conversions.toDouble)),
        Function("string", [Overload([.dyn], .string)], summary: "convert to string", .unary(Conversions.toString)),
        Function("bytes", [Overload([.string], .bytes), Overload([.bytes], .bytes)], summary: "UTF-8 bytes of a string", .unary { v throws(EvalError) in
            switch v {
            case .string(let s): return .bytes(Array(s.utf8))
            case .bytes: return v
            default: throw EvalError.noOverload("bytes", [v])
            }
        }),
        Function("bool", [Overload([.bool], .bool), Overload([.string], .bool)], summary: "convert to bool", .unary { v throws(EvalError) in
            switch v {
            case .bool: return v
            case .string(let s):
                switch s {
                case "1", "t", "true", "TRUE", "True": return .bool(true)
                case "0", "f", "false", "FALSE", "False": return .bool(false)
                default: throw EvalError("cannot convert '\(s)' to bool")
                }
            default: throw EvalError.noOverload("bool", [v])
            }
        }),
        Function("type", [Overload([.dyn], .type)], summary: "the type of a value", .unary { v in .type(v.typeName) }),
        Function("dyn", [Overload([.dyn], .dyn)], summary: "treat a value as dynamically typed", .unary { v in v }),
    ]

    private static func stringPredicate(_ name: String, _ summary: String,
                                        _ test: @escaping @Sendable (String, String) -> Bool) -> Function {
        Function(name, style: .receiver, [Overload([.string, .string], .bool)], summary: summary, .binary { a, b throws(EvalError) in
            guard case .string(let s) = a, case .string(let t) = b else { throw EvalError.noOverload(name, [a, b]) }
            return .bool(test(s, t))
        })
    }
}

/// Conversions between value kinds, with CEL's range checks.
enum Conversions {
    static func toInt(_ v: Value) throws(EvalError) -> Value {
        switch v {
        case .int: return v
        case .uint(let u):
            guard u <= UInt64(Int64.max) else { throw EvalError("uint \(u) is out of int range") }
            return .int(Int64(u))
        case .double(let d):
            // Doubles at or beyond ±2^63 do not fit (2^63 - 1 rounds up to 2^63 as a double).
            guard d.isFinite, d > -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else {
                throw EvalError("double \(d) is out of int range")
            }
            return .int(Int64(d.rounded(.towardZero)))
        case .string(let s):
            guard let i = Int64(s) else { throw EvalError("cannot convert '\(s)' to int") }
            return .int(i)
        case .timestamp(let t): return .int(t.seconds)
        case .date(let d): return .int(Int64(d.number))
        default: throw EvalError.noOverload("int", [v])
        }
    }

    static func toUInt(_ v: Value) throws(EvalError) -> Value {
        switch v {
        case .uint: return v
        case .int(let i):
            guard i >= 0 else { throw EvalError("int \(i) is out of uint range") }
            return .uint(UInt64(i))
        case .double(let d):
            guard d.isFinite, d > -1, d < 18_446_744_073_709_551_616.0 else { throw EvalError("double \(d) is out of uint range") }
            return .uint(UInt64(d.rounded(.towardZero)))
        case .string(let s):
            guard let u = UInt64(s) else { throw EvalError("cannot convert '\(s)' to uint") }
            return .uint(u)
        default: throw EvalError.noOverload("uint", [v])
        }
    }

    static func toDouble(_ v: Value) throws(EvalError) -> Value {
        switch v {
        case .double: return v
        case .int(let i): return .double(Double(i))
        case .uint(let u): return .double(Double(u))
        case .string(let s):
            guard let d = Double(s) else { throw EvalError("cannot convert '\(s)' to double") }
            return .double(d)
        default: throw EvalError.noOverload("double", [v])
        }
    }

    static func toString(_ v: Value) throws(EvalError) -> Value {
        switch v {
        case .string: return v
        case .int(let i): return .string(String(i))
        case .uint(let u): return .string(String(u))
        case .double(let d): return .string(formatDouble(d))
        case .bool(let b): return .string(b ? "true" : "false")
        case .bytes(let b):
            guard let s = String(validating: b, as: UTF8.self) else { throw EvalError("bytes are not valid UTF-8") }
            return .string(s)
        case .timestamp(let t): return .string(TimeLibrary.format(t))
        case .duration(let d): return .string(TimeLibrary.format(d))
        case .date(let d): return .string(d.description)
        case .type(let name): return .string(name)
        default: throw EvalError.noOverload("string", [v])
        }
    }

    static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}

/// Regular expressions for `matches`, on Foundation's ICU engine. Compiled patterns are cached:
/// rule conditions use a handful of constant patterns, evaluated per record.
///
/// ICU backtracks, so a match runs with a step budget: ICU reports progress every 10,000 steps of
/// its matcher, and a match still running after `progressBudget` reports stops with an error (a
/// count of steps, not a clock, so the outcome is the same on every machine). Patterns written in
/// a rule are also checked when the rule is compiled (`validate`), so a dangerous one is refused
/// by `rules validate` before it meets any data.
struct Regex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as thread-safe; it is not marked Sendable.
    let expression: NSRegularExpression

    private static let cache = RegexCache()
    /// 3,000,000 steps: several times what a linear pattern takes on Excel's largest cell.
    static let progressBudget = 300

    static func compile(_ pattern: String) throws(EvalError) -> Regex {
        if let hit = cache.get(pattern) { return hit }
        do {
            let r = Regex(expression: try NSRegularExpression(pattern: pattern))
            cache.put(pattern, r)
            return r
        } catch {
            throw EvalError("invalid regular expression '\(pattern)'")
        }
    }

    /// Why a pattern written in a rule cannot be used, or nil: it does not compile, or it can
    /// backtrack catastrophically (see `RegexSafety`).
    static func validate(_ pattern: String, caseInsensitive: Bool) -> String? {
        if (try? NSRegularExpression(pattern: caseInsensitive ? "(?i)" + pattern : pattern)) == nil {
            return "invalid regular expression '\(pattern)'"
        }
        if let problem = RegexSafety.problem(in: pattern) {
            return "regular expression '\(pattern)' can take exponential time: \(problem.message) (at character "
                + "\(problem.offset + 1) of the pattern); rewrite it so that each repetition can match in only one way, "
                + "such as (a|aa)+ as a+"
        }
        return nil
    }

    func matches(_ text: String) throws(EvalError) -> Bool {
        var found = false, reports = 0, exhausted = false
        let budget = Self.progressBudget
        let whole = NSRange(text.startIndex..., in: text)
        // The matcher also reports once for each position a search starts from, so a plain scan
        // of a long text (an action of 600 characters) is allowed those reports on top of the budget.
        let allowed = budget + whole.length
        expression.enumerateMatches(in: text, options: [.reportProgress], range: whole) { match, _, stop in
            if match != nil {
                found = true
                stop.pointee = true
                return
            }
            reports += 1
            if reports > allowed {
                exhausted = true
                stop.pointee = true
            }
        }
        if exhausted {
            throw EvalError("regular expression '\(expression.pattern)' gave up after \(budget * 10_000) steps on a "
                            + "text of \(text.count) characters (it backtracks too much); simplify the pattern")
        }
        return found
    }
}

private final class RegexCache: @unchecked Sendable {
    // Guarded by `lock`.
    private var entries: [String: Regex] = [:]
    private let lock = NSLock()

    func get(_ key: String) -> Regex? { lock.withLock { entries[key] } }
    func put(_ key: String, _ value: Regex) {
        lock.withLock { if entries.count < 256 { entries[key] = value } }
    }
}

extension Value {
    /// The text CEL's `string()` gives for this value; nil for null, lists and maps.
    public var stringValue: String? {
        guard case .string(let s)? = try? Conversions.toString(self) else { return nil }
        return s
    }
}
