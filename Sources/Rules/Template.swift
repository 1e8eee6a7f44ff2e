import Expressions

/// A message with `{expression}` holes: `"{ref} was due {due} ({days_overdue(due)} days ago)"`.
/// `{{` and `}}` stand for literal braces.
public struct Template: Sendable {
    enum Part: Sendable {
        case text(String)
        case value(Program)
    }

    let parts: [Part]
    public let source: String

    /// Fields any hole reads.
    public var references: [String] {
        parts.flatMap { part -> [String] in if case .value(let p) = part { return p.references } else { return [] } }
    }

    /// Globals any hole reads.
    public var globalReferences: Set<String> {
        parts.reduce(into: Set<String>()) { acc, part in
            if case .value(let p) = part { acc.formUnion(p.globalReferences) }
        }
    }

    /// Compiles every hole; errors carry the character offset within the whole template.
    public init(_ source: String, in env: Environment) throws(ExpressionError) {
        self.source = source
        var parts: [Part] = []
        let chars = Array(source)
        var text = ""
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
            if !text.isEmpty { parts.append(.text(text)); text = "" }
            let inner = String(chars[(i + 1)..<close])
            do {
                parts.append(.value(try Compiler.compile(inner, in: env)))
            } catch {
                throw ExpressionError(error.message, at: error.position + i + 1)
            }
            i = close + 1
        }
        if !text.isEmpty { parts.append(.text(text)) }
        self.parts = parts
    }

    public func render(_ activation: Activation) -> String {
        var out: [UInt8] = []
        render(activation, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The message's UTF-8 appended to `out`: writers of large reports reuse one buffer.
    public func render(_ activation: Activation, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + source.utf8.count + 32)
        for part in parts {
            switch part {
            case .text(let t): Self.append(t, to: &out)
            case .value(let p):
                do {
                    Self.append(Template.display(try p.evaluate(activation)), to: &out)
                } catch {
                    Self.append("«\(error.message)»", to: &out)
                }
            }
        }
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
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
