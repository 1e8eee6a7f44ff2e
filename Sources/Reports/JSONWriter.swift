import Foundation
import Expressions
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
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(into: &out, indent: pretty ? 0 : nil)
        return String(decoding: out, as: UTF8.self)
    }

    // Writes bytes, not String pieces: reports with thousands of findings are dominated by this.
    /// Appends the JSON text; `indent` is the nesting depth for pretty output, nil for one line.
    public func write(into out: inout [UInt8], indent: Int?) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .number(let d): out.append(contentsOf: (d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)").utf8)
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += [0x5B, 0x5D]; return }
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(&out, indent.map { $0 + 1 })
                item.write(into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(0x5D)
        case .object(let pairs):
            if pairs.isEmpty { out += [0x7B, 0x7D]; return }
            out.append(0x7B)
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(&out, indent.map { $0 + 1 })
                JSON.quote(key, into: &out)
                out.append(0x3A)
                if indent != nil { out.append(0x20) }
                value.write(into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(0x7D)
        }
    }

    private func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: 2 * indent))
    }

    public static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { bytes in
            // Most strings (ids, dates, names, messages) have nothing to escape: copy them whole.
            guard bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                out.append(contentsOf: bytes)
                return
            }
            for b in bytes {
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                case 0..<0x20:
                    let hex = Array(String(b, radix: 16).utf8)
                    out.append(contentsOf: "\\u00".utf8)
                    if hex.count == 1 { out.append(0x30) }
                    out.append(contentsOf: hex)
                default: out.append(b)
                }
            }
        }
        out.append(0x22)
    }
}
