import Expressions

/// A message with `{expression}` holes: `"{ref} was due {due} ({days_overdue(due)} days ago)"`.
/// `{{` and `}}` stand for literal braces.
public struct Template: Sendable {
    public let source: String
    /// The message as rendering reads it: the literal text's UTF-8 in one array, and per part a
    /// range of it or a hole. Copying these costs no reference counting (messages are rendered
    /// for every finding of a national extract, and copying an enum of text or program retained
    /// its payload).
    private let text: [UInt8]
    /// A hole that is one variable has its slot in `variable` (else -1), read without evaluating.
    private let pieces: [(start: Int32, end: Int32, hole: Int32, variable: Int32)]
    private let holes: [Program]

    /// Fields any hole reads.
    public var references: [String] { holes.flatMap(\.references) }

    /// Globals any hole reads.
    public var globalReferences: Set<String> { holes.reduce(into: Set<String>()) { $0.formUnion($1.globalReferences) } }

    /// Compiles every hole; errors carry the character offset within the whole template.
    public init(_ source: String, in env: Environment) throws(ExpressionError) {
        self.source = source
        var bytes: [UInt8] = [], pieces: [(start: Int32, end: Int32, hole: Int32, variable: Int32)] = [], holes: [Program] = []
        let chars = Array(source)
        var text = ""
        func flush() {
            guard !text.isEmpty else { return }
            let start = Int32(bytes.count)
            bytes += text.utf8
            pieces.append((start, Int32(bytes.count), -1, -1))
            text = ""
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{", i + 1 < chars.count, chars[i + 1] == "{" { text.append("{"); i += 2; continue }
            if c == "}", i + 1 < chars.count, chars[i + 1] == "}" { text.append("}"); i += 2; continue }
            if c == "}" { throw ExpressionError("unmatched '}' in message (write '}}' for a brace)", at: i) }
            guard c == "{" else { text.append(c); i += 1; continue }
            guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                throw ExpressionError("'{' is never closed in message (write '{{' for a brace)", at: i)
            }
            flush()
            let inner = String(chars[(i + 1)..<close])
            do {
                let program = try Compiler.compile(inner, in: env)
                pieces.append((0, 0, Int32(holes.count), Int32(program.variableSlot ?? -1)))
                holes.append(program)
            } catch {
                throw ExpressionError(error.message, at: error.position + i + 1)
            }
            i = close + 1
        }
        flush()
        (self.text, self.pieces, self.holes) = (bytes, pieces, holes)
    }

    public func render(_ activation: Activation) -> String {
        var out: [UInt8] = []
        render(activation, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The message's UTF-8 appended to `out`: writers of large reports reuse one buffer.
    public func render(_ activation: Activation, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + text.count + 32)
        for piece in pieces {
            guard piece.hole >= 0 else {
                text.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[Int(piece.start)..<Int(piece.end)])) }
                continue
            }
            if piece.variable >= 0 {
                Self.appendDisplay(activation.value(at: Int(piece.variable)), to: &out)
                continue
            }
            do {
                Self.appendDisplay(try holes[Int(piece.hole)].evaluate(activation), to: &out)
            } catch {
                Self.append("«\(error.message)»", to: &out)
            }
        }
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    /// `display(v)` appended as UTF-8; numbers and text without making a String first.
    private static func appendDisplay(_ v: Value, to out: inout [UInt8]) {
        switch v {
        case .string(let s): append(s, to: &out)
        case .int(let n) where n >= 0:
            var width = 1, rest = n / 10
            while rest > 0 { width += 1; rest /= 10 }
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            rest = n
            for i in (out.count - width..<out.count).reversed() {
                out[i] = UInt8(48 + rest % 10)
                rest /= 10
            }
        case .date(let d):
            let (y, m, day) = d.civil
            guard (0...9999).contains(y) else { fallthrough }
            let digits = (UInt8(48 + y / 1000), UInt8(48 + y / 100 % 10), UInt8(48 + y / 10 % 10), UInt8(48 + y % 10),
                          UInt8(ascii: "-"), UInt8(48 + m / 10), UInt8(48 + m % 10), UInt8(ascii: "-"), UInt8(48 + day / 10), UInt8(48 + day % 10))
            withUnsafeBytes(of: digits) { out.append(contentsOf: $0) }
        default: append(display(v), to: &out)
        }
    }

    /// How a value reads in a message: dates as YYYY-MM-DD, lists joined, null as "none".
    public static func display(_ v: Value) -> String {
        switch v {
        case .null: return "none"
        case .string(let s): return s
        case .list(let items): return items.map(display).joined(separator: ", ")
        default: return v.stringValue ?? v.typeName
        }
    }
}
