import Foundation
import Testing

/// The CEL conformance cases in Tests/Fixtures/cel-conformance (from the CEL specification's
/// tests; format in that folder's README), run through `stocktake eval --cases -` with floors
/// that only ever go up.
@Suite struct ConformanceTests {
    struct Score {
        var passed = 0, total = 0
        var failures: [(id: String, why: String)] = []
    }

    /// The case files in name order, each with its cases.
    static func caseFiles() throws -> [(name: String, cases: [ConformanceCase])] {
        let folder = try Fixture.url("cel-conformance")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        try #require(!names.isEmpty, "no .jsonl case files in \(folder.path)")
        return try names.map { name in
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
            return (name, try lines.map { try ConformanceCase(line: String($0)) })
        }
    }

    /// Runs every case file, once per file as the protocol says, and compares each answer.
    static func score(_ extra: [String]) throws -> Score {
        var score = Score()
        for (file, cases) in try caseFiles() {
            let input = cases.map(\.input).joined(separator: "\n") + "\n"
            let r = try CLI.run(["eval"] + extra + ["--cases", "-"], stdin: input)
            #expect(r.code == 0, "\(file): eval exited \(r.code): \(r.stderr)")
            let answers = r.stdout.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.map(String.init)
            #expect(answers.count == cases.count, "\(file): \(answers.count) answers to \(cases.count) cases")
            for (i, c) in cases.enumerated() {
                score.total += 1
                let answer = i < answers.count ? answers[i] : nil
                if let why = c.failure(of: answer) {
                    score.failures.append((c.id, why))
                } else {
                    score.passed += 1
                }
            }
        }
        return score
    }

    static func report(_ s: Score) -> Comment {
        let failures = s.failures.prefix(10).map { "  \($0.id): \($0.why)" }.joined(separator: "\n")
        return "\(s.passed)/\(s.total) passed; first failures:\n\(failures)"
    }

    @Test func checkedModeFloor() throws {
        // The misses are disable_check cases (ill-typed on purpose), which the checker rejects.
        let s = try Self.score([])
        #expect(s.total == 714)
        #expect(s.passed >= 693, Self.report(s))
        let uncheckedOnly = try Set(Self.caseFiles().flatMap(\.cases).filter(\.disableCheck).map(\.id))
        #expect(s.failures.allSatisfy { uncheckedOnly.contains($0.id) }, Self.report(s))
    }

    @Test func uncheckedModePassesEverything() throws {
        let s = try Self.score(["--no-check"])
        #expect(s.total == 714)
        #expect(s.passed == s.total, Self.report(s))
    }

    /// The comparison itself must be able to fail: tags, the sign of zero, NaN, map order,
    /// instants written with offsets, bytes by content.
    @Test(arguments: [
        (#"{"int":"1"}"#, #"{"uint":"1"}"#, false),
        (#"{"int":"1"}"#, #"{"double":1.0}"#, false),
        (#"{"int":"-9223372036854775808"}"#, #"{"int":-9223372036854775808}"#, true),
        (#"{"double":"-0"}"#, #"{"double":0.0}"#, false),
        (#"{"double":"-0"}"#, #"{"double":-0.0}"#, true),
        (#"{"double":"NaN"}"#, #"{"double":"NaN"}"#, true),
        (#"{"double":1.5}"#, #"{"double":"1.5"}"#, true),
        (#"{"double":"Infinity"}"#, #"{"double":"-Infinity"}"#, false),
        (#"{"string":"é"}"#, #"{"string":"e\u0301"}"#, false),
        (#"{"bytes":"AA=="}"#, #"{"bytes":"AQ=="}"#, false),
        (#"{"list":[{"int":"1"},{"int":"2"}]}"#, #"{"list":[{"int":"2"},{"int":"1"}]}"#, false),
        (#"{"map":[[{"string":"a"},{"int":"1"}],[{"string":"b"},{"int":"2"}]]}"#,
         #"{"map":[[{"string":"b"},{"int":"2"}],[{"string":"a"},{"int":"1"}]]}"#, true),
        (#"{"timestamp":"2009-02-13T23:31:30Z"}"#, #"{"timestamp":"2009-02-14T00:31:30+01:00"}"#, true),
        (#"{"timestamp":"2009-02-13T23:31:30Z"}"#, #"{"timestamp":"2009-02-13T23:31:30.000000001Z"}"#, false),
        (#"{"duration":"1.5s"}"#, #"{"duration":"1.500000000s"}"#, true),
        (#"{"duration":"1.5s"}"#, #"{"duration":"1.500000001s"}"#, false),
        (#"{"type":"int"}"#, #"{"type":"uint"}"#, false),
        (#"{"null":null}"#, #"{"bool":false}"#, false),
    ])
    func comparisonTellsValuesApart(expected: String, actual: String, equal: Bool) throws {
        let a = try TypedValue.canonical(json: expected), b = try TypedValue.canonical(json: actual)
        #expect((a == b) == equal, "\(expected) vs \(actual): \(a) / \(b)")
    }
}

/// One case of a conformance file: its input as sent (`id`, `expr`, `bindings`, byte for byte
/// as in the file) and its expectation (a typed value, or any error).
struct ConformanceCase {
    struct Malformed: Error, CustomStringConvertible { var description: String }

    var id: String
    var input: String
    var expected: String?              // the canonical form of the expected value; nil: an error
    var disableCheck: Bool

    init(line: String) throws {
        let members = try RawJSONObject.members(of: line)
        func raw(_ key: String) -> String? { members.first { $0.key == key }?.value }
        guard let id = raw("id"), let expr = raw("expr") else { throw Malformed(description: "no id or expr: \(line)") }
        self.id = try JSONDecoder().decode(String.self, from: Data(id.utf8))
        input = "{\"id\":\(id),\"expr\":\(expr),\"bindings\":\(raw("bindings") ?? "{}")}"
        if raw("error") == "true" {
            expected = nil
        } else {
            guard let value = raw("expected") else { throw Malformed(description: "\(self.id): no expected value") }
            expected = try TypedValue.canonical(json: value)
        }
        disableCheck = raw("disable_check") == "true"
    }

    /// Why `answer` (one output line, or nil when there was none) does not pass; nil if it does.
    func failure(of answer: String?) -> String? {
        guard let answer else { return "no answer" }
        guard let members = try? RawJSONObject.members(of: answer) else { return "not a JSON object: \(answer)" }
        let id = members.first { $0.key == "id" }
            .flatMap { try? JSONDecoder().decode(String.self, from: Data($0.value.utf8)) }
        guard id == self.id else { return "answer for \(id ?? "no id") in its place" }
        let value = members.first { $0.key == "value" }?.value, error = members.first { $0.key == "error" }?.value
        switch (expected, value, error) {
        case (nil, _, .some): return nil
        case (nil, _, nil): return "expected an error, got \(answer)"
        case (.some, _, .some(let error)): return "error \(error)"
        case (.some(let expected), .some(let value), nil):
            guard let actual = try? TypedValue.canonical(json: value) else { return "not a typed value: \(value)" }
            return actual == expected ? nil : "expected \(expected), got \(actual)"
        case (.some, nil, nil): return "neither value nor error: \(answer)"
        }
    }
}

/// The members of one JSON object as raw text, so that a case's input is sent exactly as written.
enum RawJSONObject {
    struct Malformed: Error {}

    static func members(of text: String) throws -> [(key: String, value: String)] {
        let bytes = Array(text.utf8)
        var i = 0
        func skipSpace() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }
        func expect(_ byte: UInt8) throws {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { throw Malformed() }
            i += 1
        }
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        func skipString() throws {
            i += 1
            while i < bytes.count, bytes[i] != quote { i += bytes[i] == backslash ? 2 : 1 }
            guard i < bytes.count else { throw Malformed() }
            i += 1
        }
        /// Moves past one JSON value: a string, a nested object or array, a number or a literal.
        func skipValue() throws {
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            switch bytes[i] {
            case quote: try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                repeat {
                    guard i < bytes.count else { throw Malformed() }
                    switch bytes[i] {
                    case quote: try skipString(); continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    i += 1
                } while depth > 0
            default:
                while i < bytes.count, !Array(",}] \t\n\r".utf8).contains(bytes[i]) { i += 1 }
            }
        }
        func slice(_ from: Int) -> String {
            String(decoding: bytes[from..<i], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var members: [(key: String, value: String)] = []
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return [] }
        while true {
            skipSpace()
            let keyStart = i
            try skipValue()
            let key = try JSONDecoder().decode(String.self, from: Data(slice(keyStart).utf8))
            try expect(UInt8(ascii: ":"))
            skipSpace()
            let valueStart = i
            try skipValue()
            members.append((key, slice(valueStart)))
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            i += 1
            if bytes[i - 1] == UInt8(ascii: "}") { break }
            guard bytes[i - 1] == UInt8(ascii: ",") else { throw Malformed() }
        }
        skipSpace()
        guard i == bytes.count else { throw Malformed() }
        return members
    }
}

/// A typed value of the conformance format, reduced to a canonical text: two values are equal
/// under the suite's comparison exactly when their canonical texts are equal.
struct TypedValue: Decodable {
    struct Unreadable: Error, CustomStringConvertible { var description: String }
    struct Tag: CodingKey {
        var stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    var canonical: String

    static func canonical(json: String) throws -> String {
        try JSONDecoder().decode(TypedValue.self, from: Data(json.utf8)).canonical
    }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: Tag.self)
        guard object.allKeys.count == 1, let tag = object.allKeys.first else {
            throw Unreadable(description: "a typed value has exactly one tag, not \(object.allKeys.map(\.stringValue))")
        }
        func text() throws -> String { try object.decode(String.self, forKey: tag) }
        switch tag.stringValue {
        case "null":
            guard try object.decodeNil(forKey: tag) else { throw Unreadable(description: "null with a payload") }
            canonical = "null"
        case "bool": canonical = "bool \(try object.decode(Bool.self, forKey: tag))"
        case "int":
            let value = try (try? text()).flatMap { Int64($0) } ?? object.decode(Int64.self, forKey: tag)
            canonical = "int \(value)"
        case "uint":
            let value = try (try? text()).flatMap { UInt64($0) } ?? object.decode(UInt64.self, forKey: tag)
            canonical = "uint \(value)"
        case "double":
            let value: Double
            if let s = try? text() {
                switch s {
                case "NaN": value = .nan
                case "Infinity": value = .infinity
                case "-Infinity": value = -.infinity
                default:
                    guard let d = Double(s) else { throw Unreadable(description: "double \(s)") }
                    value = d
                }
            } else {
                value = try object.decode(Double.self, forKey: tag)
            }
            // The sign of zero counts and NaN equals NaN: compare bit patterns, with one NaN.
            canonical = value.isNaN ? "double NaN" : "double \(value.bitPattern)"
        case "string":
            // Code points, not Swift's canonical equivalence: "é" and "e\u{301}" differ.
            canonical = try "string " + text().unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ")
        case "bytes":
            guard let data = Data(base64Encoded: try text()) else { throw Unreadable(description: "bytes not base64") }
            canonical = "bytes " + data.map { String(format: "%02x", $0) }.joined()
        case "list":
            let items = try object.decode([TypedValue].self, forKey: tag).map(\.canonical)
            canonical = "list [" + items.joined(separator: ", ") + "]"
        case "map":
            let pairs = try object.decode([[TypedValue]].self, forKey: tag)
            guard pairs.allSatisfy({ $0.count == 2 }) else {
                throw Unreadable(description: "a map entry is a [key, value] pair")
            }
            let entries = pairs.map { "\($0[0].canonical): \($0[1].canonical)" }.sorted()
            canonical = "map {" + entries.joined(separator: ", ") + "}"
        case "timestamp": canonical = try "timestamp " + Self.instant(text())
        case "duration": canonical = try "duration " + Self.duration(text())
        case "type": canonical = "type \(try text())"
        default: throw Unreadable(description: "unknown tag \(tag.stringValue)")
        }
    }

    /// An RFC 3339 time as seconds and nanoseconds since 1970 (UTC), whatever its offset.
    static func instant(_ text: String) throws -> String {
        let pattern = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):(\d\d))$/
        guard let m = text.wholeMatch(of: pattern) else { throw Unreadable(description: "timestamp \(text)") }
        let (y, mo, d) = (Int(m.1)!, Int(m.2)!, Int(m.3)!)
        // Days from 1970-01-01 in the proleptic Gregorian calendar (a year counted from March).
        let year = mo <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        var seconds = days * 86_400 + Int(m.4)! * 3600 + Int(m.5)! * 60 + Int(m.6)!
        if m.8 == nil, let sign = m.9, let h = m.10, let mi = m.11 {
            seconds -= (sign == "+" ? 1 : -1) * (Int(h)! * 3600 + Int(mi)! * 60)
        }
        let nanos = Int((m.7.map(String.init) ?? "").padding(toLength: 9, withPad: "0", startingAt: 0))!
        return "\(seconds).\(nanos)"
    }

    /// A duration (`-1.5s`) as exact seconds and nanoseconds.
    static func duration(_ text: String) throws -> String {
        guard let m = text.wholeMatch(of: /^(-?)(\d+)(?:\.(\d{1,9}))?s$/) else {
            throw Unreadable(description: "duration \(text)")
        }
        let nanos = Int((m.3.map(String.init) ?? "").padding(toLength: 9, withPad: "0", startingAt: 0))!
        guard let seconds = Int(m.2) else { throw Unreadable(description: "duration \(text)") }
        return (m.1.isEmpty || (seconds == 0 && nanos == 0) ? "" : "-") + "\(seconds).\(nanos)"
    }
}
