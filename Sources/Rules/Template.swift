import Expressions
import PlanData

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
    private let pieces: [Piece]
    private let holes: [Program]

    /// A range of `text` (`hole` -1), or a hole.
    typealias Piece = (start: Int32, end: Int32, hole: Int32, variable: Int32)

    /// Fields any hole reads.
    public var references: [String] { holes.flatMap(\.references) }

    /// Fields the holes that are more than one variable read.
    var computedReferences: [String] {
        zip(holes, pieces.filter { $0.hole >= 0 }).flatMap { $1.variable >= 0 ? [] : $0.references }
    }

    /// Globals any hole reads.
    public var globalReferences: Set<String> { holes.reduce(into: Set<String>()) { $0.formUnion($1.globalReferences) } }

    /// Compiles every hole; errors carry the character offset within the whole template.
    public init(_ source: String, in env: Environment) throws(ExpressionError) {
        self.source = source
        var bytes: [UInt8] = [], pieces: [Piece] = [], holes: [Program] = []
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
        var out = ByteBuffer(capacity: text.count + 32)
        render(activation, into: &out)
        return String(decoding: out.unsafeBytes, as: UTF8.self)
    }

    /// The message's UTF-8 appended to `out`: writers of large reports reuse one buffer.
    public func render(_ activation: Activation, into out: inout ByteBuffer) {
        text.withUnsafeBufferPointer { text in
            pieces.withUnsafeBufferPointer { pieces in
                Self.render(text, pieces, activation, into: &out, variable: { _, _ in false }) { (i: Int) throws(EvalError) -> Value in
                    try holes[i].evaluate(activation)
                }
            }
        }
    }

    /// Each hole that is one variable is written by `variable` (given its slot) where it returns
    /// true, and read from `activation` where it returns false; other holes are evaluated by `hole`.
    private static func render(_ text: UnsafeBufferPointer<UInt8>, _ pieces: UnsafeBufferPointer<Piece>, _ activation: Activation,
                               into out: inout ByteBuffer, variable: (Int, inout ByteBuffer) -> Bool,
                               hole: (Int) throws(EvalError) -> Value) {
        for piece in pieces {
            if piece.hole < 0 {
                out.append(UnsafeBufferPointer(rebasing: text[Int(piece.start)..<Int(piece.end)]))
            } else if piece.variable >= 0 {
                if !variable(Int(piece.variable), &out) { appendDisplay(activation.value(at: Int(piece.variable)), to: &out) }
            } else {
                do throws(EvalError) {
                    appendDisplay(try hole(Int(piece.hole)), to: &out)
                } catch {
                    out.append("«\(error.message)»")
                }
            }
        }
    }

    /// The template laid out to be rendered by every core at once, for millions of findings,
    /// without counting references: its text and pieces copied into memory of its own, its
    /// holes' programs unretained (the template, which holds them, must outlive this). Copying
    /// a `Template` retains its arrays, which both cores would then share. Freed by `deallocate`.
    struct Unshared {
        private let text: UnsafeMutableBufferPointer<UInt8>
        private let pieces: UnsafeMutableBufferPointer<Piece>
        private let holes: UnsafeMutableBufferPointer<Unmanaged<Program>>

        init(_ template: Template) {
            text = .allocate(capacity: template.text.count)
            _ = text.initialize(from: template.text)
            pieces = .allocate(capacity: template.pieces.count)
            _ = pieces.initialize(from: template.pieces)
            holes = .allocate(capacity: template.holes.count)
            _ = holes.initialize(from: template.holes.map { .passUnretained($0) })
        }

        func deallocate() {
            text.deallocate()
            pieces.deallocate()
            holes.deallocate()
        }

        /// As `Template.render(_:into:)`, with holes that are one variable written by `variable`
        /// where it returns true (see `Template.render(_:_:_:into:variable:hole:)`).
        func render(_ activation: Activation, into out: inout ByteBuffer, variable: (Int, inout ByteBuffer) -> Bool) {
            let holes = holes
            Template.render(UnsafeBufferPointer(text), UnsafeBufferPointer(pieces), activation, into: &out, variable: variable) {
                (i: Int) throws(EvalError) -> Value in
                try holes[i].takeUnretainedValue().evaluate(activation)
            }
        }
    }

    /// `display(v)` appended as UTF-8; text, whole numbers and dates without making a String first.
    private static func appendDisplay(_ v: Value, to out: inout ByteBuffer) {
        switch v {
        case .string(let s): out.append(s)
        case .int(let n): out.append(decimal: Int(n))
        case .date(let d): out.append(isoDate: d)
        default: out.append(display(v))
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
