import Foundation
import Expressions
import PlanData
import Rules

/// A JSON document with ordered keys, so reports are byte-for-byte reproducible and read in a
/// sensible order (version first, findings last) rather than alphabetically.
public indirect enum JSON: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// A value as plan data shows it: dates as `YYYY-MM-DD`, timestamps and durations as text.
    public init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(Int(i))
        case .uint(let u): self = u <= UInt64(Int.max) ? .int(Int(u)) : .string(String(u))
        case .double(let d): self = d.isFinite ? .number(d) : .string(value.stringValue ?? "")
        case .list(let items): self = .array(items.map(JSON.init))
        case .map(let m): self = .object(zip(m.keys, m.values).map { (Template.display($0), JSON($1)) })
        default: self = .string(value.stringValue ?? value.typeName)
        }
    }

    public func serialized(pretty: Bool = true) -> String {
        var out = ByteBuffer(capacity: 4096)
        write(into: &out, indent: pretty ? 0 : nil)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Appends the JSON text; `indent` is the nesting depth for pretty output, nil for one line.
    func write(into out: inout ByteBuffer, indent: Int?) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(decimal: i)
        case .number(let d): out.append(d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)")
        case .string(let s): out.appendQuoted(s)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                item.write(into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.append("{}"); return }
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                out.appendQuoted(key)
                out.append(indent == nil ? ":" : ": ")
                value.write(into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private func newline(_ out: inout ByteBuffer, _ indent: Int?) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<indent { out.append("  ") }
    }
}
