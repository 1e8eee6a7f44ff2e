/// Maps the words plans use for status ("Complete", "Blue", "Complete but need to evidence
/// impact") to states ("complete", "complete-unevidenced"), and states to the properties rules
/// read (`complete`, `needs-evidence`, `at-risk`, `vulnerable`, `not-started`, `on-track`), so
/// that `is_complete` means the same under every legend. Matching ignores case and surrounding space.
public struct StatusVocabulary: Sendable {
    public private(set) var states: [String: [String]] = [:]
    private var lookup: [String: String] = [:]
    /// The words exactly as listed: most plans write them so, and this skips normalising.
    private var exact: [String: String] = [:]
    /// Which source (rule file) mapped each normalised word: a later source may re-map a word,
    /// the same source may not list it twice.
    private var origin: [String: String] = [:]
    /// Properties of states beyond the built-in ones (`states:` of a rule file).
    private var declared: [String: Set<String>] = [:]
    /// The name of the legend chosen for the plan (shipped, detected or forced), for report heads.
    public var legend: String?

    /// What the states of the shipped legends mean. A state not listed here (nor declared) has
    /// only itself as property, so `status_is(s, "closure-recommended")` still works by name.
    public static let builtInProperties: [String: Set<String>] = [
        "not-started": ["not-started"],
        "on-track": ["on-track"],
        "vulnerable": ["vulnerable"],
        "at-risk": ["at-risk"],
        "complete": ["complete"],
        "complete-unevidenced": ["complete", "needs-evidence"],
    ]

    /// The properties a state can declare.
    public static let knownProperties = ["complete", "needs-evidence", "at-risk", "vulnerable", "not-started", "on-track"]

    public init() {}

    public init(_ states: [String: [String]]) throws {
        for (state, words) in states.sorted(by: { $0.key < $1.key }) {
            try add(state: state, words: words)
        }
    }

    /// Maps `words` to `state`. A word `source` already mapped to another state is a conflict;
    /// one an earlier source mapped is moved to `state` (the later file wins).
    public mutating func add(state: String, words: [String], source: String = "") throws {
        for word in words + [state] {
            let key = Self.normalise(word)
            if let other = lookup[key], other != state {
                if origin[key] == source && word != state { throw StatusConflict(word: word, first: other, second: state) }
                if word == state { continue }      // a state's own name stays its own
                states[other]?.removeAll { Self.normalise($0) == key }
                exact = exact.filter { Self.normalise($0.key) != key }
            }
            if word != state || lookup[key] == nil {
                lookup[key] = state
                exact[word] = state
            }
            if word != state {
                origin[key] = source
                if !(states[state]?.contains(word) ?? false) { states[state, default: []].append(word) }
            } else if states[state] == nil {
                states[state] = []
            }
        }
    }

    /// Declares what a state means (a rule file's `states:`), replacing what it meant before.
    public mutating func declare(state: String, properties: Set<String>) {
        declared[state] = properties
    }

    /// The canonical state of a status text, or nil when the vocabulary does not know it.
    public func state(of text: String) -> String? {
        exact[text] ?? lookup[Self.normalise(text)]
    }

    /// What a state means: its declared or built-in properties, or just its own name.
    public func properties(ofState state: String) -> Set<String> {
        declared[state] ?? Self.builtInProperties[state] ?? [state]
    }

    /// Whether a status text means `property` (or is the state of that name).
    public func has(_ text: String, _ property: String) -> Bool {
        guard let state = state(of: text) else { return false }
        return state == property || properties(ofState: state).contains(property)
    }

    /// The words (not state names) whose state has `property`, longest first.
    public func words(with property: String) -> [String] {
        states.filter { $0.key == property || properties(ofState: $0.key).contains(property) }
            .flatMap(\.value).sorted { ($0.count, $0) > ($1.count, $1) }
    }

    /// Every word listed, each once.
    public var allWords: [String] { states.values.flatMap { $0 }.sorted() }

    static func normalise(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// How a text is normalised for matching (case and spaces), for callers that count words.
    public static func key(_ s: String) -> String { normalise(s) }

    public struct StatusConflict: Error, CustomStringConvertible {
        public var word: String, first: String, second: String
        public var description: String { "status word '\(word)' is listed under both '\(first)' and '\(second)'" }
    }
}

/// Functions for plans and casework: dates, working days, statuses and text.
enum DomainLibrary {
    static func functions(_ statuses: StatusVocabulary) -> [Function] {
        [
            Function("date", [Overload([.string], .date), Overload([.date], .date), Overload([.timestamp], .date),
                              Overload([.int, .int, .int], .date)],
                     summary: "a calendar date from YYYY-MM-DD text, from year, month and day, or the UTC day of a timestamp",
                     .variadic { args throws(EvalError) in
                switch (args.count, args.first) {
                case (1, .date?): return args[0]
                case (1, .string(let s)?):
                    guard let d = Day(iso: s) else { throw EvalError("cannot read '\(s)' as a date (expected YYYY-MM-DD)") }
                    return .date(d)
                case (1, .timestamp(let t)?):
                    return .date(Day(number: Int((t.seconds >= 0 ? t.seconds : t.seconds - 86_399) / 86_400)))
                case (3, _):
                    guard case .int(let y) = args[0], case .int(let m) = args[1], case .int(let d) = args[2] else {
                        throw EvalError.noOverload("date", args)
                    }
                    guard abs(y) < 100_000, let day = Day(year: Int(y), month: Int(m), day: Int(d)) else {
                        throw EvalError("\(y)-\(m)-\(d) is not a date")
                    }
                    return .date(day)
                default: throw EvalError.noOverload("date", args)
                }
            }),
            dateBinary("days_between", "days from the first date to the second (negative if the second is earlier)") { a, b in
                Int64(b.number - a.number)
            },
            dateBinary("weeks_between", "whole weeks from the first date to the second") { a, b in
                Int64((b.number - a.number) / 7)
            },
            dateBinary("months_between", "whole calendar months from the first date to the second") { a, b in
                Int64(wholeMonths(from: a, to: b))
            },
            Function("working_days_between", [Overload([.date, .date], .int)],
                     summary: "working days after the first date up to and including the second (England and Wales bank holidays excluded)",
                     .binary { a, b throws(EvalError) in
                guard case .date(let x) = a, case .date(let y) = b else { throw EvalError.noOverload("working_days_between", [a, b]) }
                try checkCovered(x); try checkCovered(y)
                let (lo, hi, sign) = x <= y ? (x, y, Int64(1)) : (y, x, Int64(-1))
                var count: Int64 = 0
                var d = lo.adding(days: 1)
                while d <= hi {
                    if BankHolidays.isWorkingDay(d) { count += 1 }
                    d = d.adding(days: 1)
                }
                return .int(sign * count)
            }),
            Function("add_working_days", [Overload([.date, .int], .date)],
                     summary: "the date that many working days later (or earlier, for a negative count)", .binary { a, n throws(EvalError) in
                guard case .date(var d) = a, case .int(let count) = n else { throw EvalError.noOverload("add_working_days", [a, n]) }
                let step = count >= 0 ? 1 : -1
                var left = abs(count)
                while left > 0 {
                    d = d.adding(days: step)
                    try checkCovered(d)
                    if BankHolidays.isWorkingDay(d) { left -= 1 }
                }
                return .date(d)
            }),
            Function("add_days", [Overload([.date, .int], .date)], summary: "the date that many calendar days later", .binary { a, n throws(EvalError) in
                guard case .date(let d) = a, case .int(let k) = n, abs(k) < 3_000_000 else { throw EvalError.noOverload("add_days", [a, n]) }
                return .date(d.adding(days: Int(k)))
            }),
            Function("add_months", [Overload([.date, .int], .date)],
                     summary: "the same day that many months later, clamped to the month's end (29 Feb + 12 months = 28 Feb)",
                     .binary { a, n throws(EvalError) in
                guard case .date(let d) = a, case .int(let k) = n, abs(k) < 100_000 else { throw EvalError.noOverload("add_months", [a, n]) }
                return .date(d.adding(months: Int(k)))
            }),
            Function("days_overdue", [Overload([.date], .int)],
                     summary: "days since the date as of today, 0 if it is today or later", .contextual { a, args throws(EvalError) in
                guard args.count == 1, case .date(let due) = args[0] else { throw EvalError.noOverload("days_overdue", args) }
                return .int(Int64(max(0, a.today.number - due.number)))
            }),
            Function("is_blank", [Overload([.dyn], .bool)],
                     summary: "null, empty or only spaces (text), or empty (list, map)", .unary { v in
                switch v {
                case .null: return .bool(true)
                case .string(let s): return .bool(s.allSatisfy(\.isWhitespace))
                case .list(let l): return .bool(l.isEmpty)
                case .map(let m): return .bool(m.count == 0)
                default: return .bool(false)
                }
            }),
            Function("is_complete", [Overload([.string], .bool), Overload([.null], .bool)],
                     summary: "the status's state means complete (complete, or complete with impact still to evidence)", .unary { v throws(EvalError) in
                switch v {
                case .null: return .bool(false)
                case .string(let s): return .bool(statuses.has(s, "complete"))
                default: throw EvalError.noOverload("is_complete", [v])
                }
            }),
            Function("status_is", [Overload([.string, .string], .bool), Overload([.null, .string], .bool)],
                     summary: "the status maps to the named state, or to a state with that property", .binary { v, state throws(EvalError) in
                guard case .string(let wanted) = state else { throw EvalError.noOverload("status_is", [v, state]) }
                switch v {
                case .null: return .bool(false)
                case .string(let s): return .bool(statuses.has(s, wanted))
                default: throw EvalError.noOverload("status_is", [v, state])
                }
            }),
            Function("rag", [Overload([.string], .string), Overload([.null], .string)],
                     summary: "the canonical state of a status text, or null when the vocabulary does not know it", .unary { v throws(EvalError) in
                switch v {
                case .null: return .null
                case .string(let s): return statuses.state(of: s).map(Value.string) ?? .null
                default: throw EvalError.noOverload("rag", [v])
                }
            }),
            Function("is_placeholder", [Overload([.string], .bool), Overload([.null], .bool)],
                     summary: "the text stands in for an owner not yet named: To be allocated, TBC, Vacant, Interim, N/A, …",
                     .unary { v throws(EvalError) in
                switch v {
                case .null: return .bool(false)
                case .string(let s): return .bool(isPlaceholder(s))
                default: throw EvalError.noOverload("is_placeholder", [v])
                }
            }),
            stringFunction("lower", "text in lower case") { $0.lowercased() },
            stringFunction("upper", "text in upper case") { $0.uppercased() },
            stringFunction("trim", "text without leading and trailing white space") {
                String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            },
            Function("split", style: .both, [Overload([.string, .string], .list(.string))],
                     summary: "the pieces of the text between separators", .binary { s, sep throws(EvalError) in
                guard case .string(let text) = s, case .string(let separator) = sep, !separator.isEmpty else {
                    throw EvalError.noOverload("split", [s, sep])
                }
                return .list(text.split(separator: separator, omittingEmptySubsequences: false).map { .string(String($0)) })
            }),
            Function("join", style: .both, [Overload([.list(.string), .string], .string), Overload([.list(.dyn), .string], .string)],
                     summary: "the texts of the list, in order, with the separator between them", .binary { l, sep throws(EvalError) in
                guard case .list(let items) = l, case .string(let separator) = sep else {
                    throw EvalError.noOverload("join", [l, sep])
                }
                var texts: [String] = []
                for item in items {
                    guard case .string(let text) = item else { throw EvalError.noOverload("join", [l, sep]) }
                    texts.append(text)
                }
                return .string(texts.joined(separator: separator))
            }),
            Function("matches_any", style: .both, [Overload([.string, .list(.string)], .bool), Overload([.null, .list(.string)], .bool)],
                     summary: "the text contains a match of any of the regular expressions, ignoring case", .binary { s, list throws(EvalError) in
                guard case .list(let patterns) = list else { throw EvalError.noOverload("matches_any", [s, list]) }
                guard case .string(let text) = s else {
                    if case .null = s { return .bool(false) }
                    throw EvalError.noOverload("matches_any", [s, list])
                }
                for p in patterns {
                    guard case .string(let pattern) = p else { throw EvalError.noOverload("matches_any", [s, list]) }
                    if try Regex.compile("(?i)" + pattern).matches(text) { return .bool(true) }
                }
                return .bool(false)
            }).checkingPattern(1, caseInsensitive: true),
        ]
    }

    /// Owner texts that name nobody yet.
    static func isPlaceholder(_ text: String) -> Bool {
        let words = text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "." || $0 == "(" || $0 == ")" })
        let t = words.joined(separator: " ")
        let exact: Set<String> = ["tba", "tbc", "tbd", "tbs", "unallocated", "unassigned", "vacant", "interim", "n/a", "na",
                                  "none", "unknown", "to follow", "not yet allocated", "not allocated"]
        if exact.contains(t) { return true }
        if t.hasPrefix("to be ") && ["allocated", "confirmed", "agreed", "appointed", "assigned", "determined", "decided", "identified"]
            .contains(where: { t.hasSuffix($0) }) { return true }
        return t.hasPrefix("vacant ") || t.hasSuffix(" vacant") || t.hasSuffix(" (vacant)") || t.hasPrefix("interim ") && words.count <= 2
    }

    private static func checkCovered(_ d: Day) throws(EvalError) {
        guard BankHolidays.covers(d) else {
            throw EvalError("\(d) is outside the bank-holiday calendar (\(BankHolidays.firstYear)–\(BankHolidays.lastYear))")
        }
    }

    static func wholeMonths(from a: Day, to b: Day) -> Int {
        let (ay, am, _) = a.civil, (by, bm, _) = b.civil
        var months = (by - ay) * 12 + (bm - am)
        if months > 0 && a.adding(months: months) > b { months -= 1 }
        if months < 0 && a.adding(months: months) < b { months += 1 }
        return months
    }

    private static func dateBinary(_ name: String, _ summary: String, _ body: @escaping @Sendable (Day, Day) -> Int64) -> Function {
        Function(name, [Overload([.date, .date], .int)], summary: summary, .binary { a, b throws(EvalError) in
            guard case .date(let x) = a, case .date(let y) = b else { throw EvalError.noOverload(name, [a, b]) }
            return .int(body(x, y))
        })
    }

    private static func stringFunction(_ name: String, _ summary: String, _ body: @escaping @Sendable (String) -> String) -> Function {
        Function(name, style: .both, [Overload([.string], .string)], summary: summary, .unary { v throws(EvalError) in
            guard case .string(let s) = v else { throw EvalError.noOverload(name, [v]) }
            return .string(body(s))
        })
    }
}

/// Owner texts that name nobody yet ("To be allocated", "TBC", "Vacant"), as `is_placeholder`
/// judges them, for reports that count owners (the board pack's load by owner).
public enum OwnerPlaceholder {
    public static func matches(_ text: String) -> Bool { DomainLibrary.isPlaceholder(text) }
}
