import Expressions
import Foundation
import Reports

/// The batch protocol of the CEL conformance suite: one JSON case per input line, one JSON
/// result per output line, in order. Values are tagged: {"int": "1"}, {"double": "NaN"}, …
enum ConformanceProtocol {
    static func run(input: FileHandle?, path: String, today: Day, check: Bool) throws {
        guard let input else { throw Failure("cannot read \(path)", .usage) }
        let data = input.readDataToEndOfFile()
        var out = ""
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            out += result(for: Data(line.utf8), today: today, check: check).serialized(pretty: false) + "\n"
        }
        Output.standardOutput(out)
    }

    static func result(for line: Data, today: Day, check: Bool) -> JSON {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            return .object([("id", .null), ("error", .string("input line is not a JSON object"))])
        }
        let id: JSON = (object["id"] as? String).map(JSON.string) ?? .null
        guard let source = object["expr"] as? String else { return .object([("id", id), ("error", .string("no expr"))]) }
        var env = Environment()
        env.checkTypes = check && !((object["disable_check"] as? Bool) ?? false)
        var values: [Value] = []
        for (name, typed) in ((object["bindings"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let v = decode(typed) else { return .object([("id", id), ("error", .string("cannot read binding \(name)"))]) }
            env.declare(name, CELType.of(v))
            values.append(v)
        }
        do {
            let program = try Compiler.compile(source, in: env)
            let value = try program.evaluate(Activation(values: values, today: today))
            return .object([("id", id), ("value", encode(value))])
        } catch let e as ExpressionError {
            return .object([("id", id), ("error", .string(e.message))])
        } catch let e as EvalError {
            return .object([("id", id), ("error", .string(e.message))])
        } catch {
            return .object([("id", id), ("error", .string("\(error)"))])
        }
    }

    static func decode(_ any: Any) -> Value? {
        guard let dict = any as? [String: Any], dict.count == 1, let (tag, payload) = dict.first else { return nil }
        switch tag {
        case "null": return .null
        case "bool": return (payload as? Bool).map(Value.bool)
        case "int": return ((payload as? String).flatMap { Int64($0) } ?? (payload as? NSNumber)?.int64Value).map(Value.int)
        case "uint": return ((payload as? String).flatMap { UInt64($0) } ?? (payload as? NSNumber)?.uint64Value).map(Value.uint)
        case "double":
            if let s = payload as? String {
                switch s {
                case "NaN": return .double(.nan)
                case "Infinity": return .double(.infinity)
                case "-Infinity": return .double(-.infinity)
                default: return Double(s).map(Value.double)
                }
            }
            return (payload as? NSNumber).map { .double($0.doubleValue) }
        case "string": return (payload as? String).map(Value.string)
        case "bytes": return (payload as? String).flatMap { Data(base64Encoded: $0) }.map { .bytes([UInt8]($0)) }
        case "list":
            guard let items = payload as? [Any] else { return nil }
            let values = items.compactMap(decode)
            return values.count == items.count ? .list(values) : nil
        case "map":
            guard let pairs = payload as? [[Any]] else { return nil }
            var m = MapValue()
            for pair in pairs {
                guard pair.count == 2, let k = decode(pair[0]), let v = decode(pair[1]) else { return nil }
                m.insert(k, v)
            }
            return .map(m)
        case "timestamp", "duration":
            guard let s = payload as? String else { return nil }
            let fn = tag == "timestamp" ? "timestamp" : "duration"
            return try? Compiler.compile("\(fn)(s)", in: {
                var e = Environment()
                e.declare("s", .string)
                return e
            }()).evaluate(Activation(values: [.string(s)], today: Day(number: 0)))
        case "type": return (payload as? String).map(Value.type)
        default: return nil
        }
    }

    static func encode(_ v: Value) -> JSON {
        switch v {
        case .null: return .object([("null", .null)])
        case .bool(let b): return .object([("bool", .bool(b))])
        case .int(let i): return .object([("int", .string(String(i)))])
        case .uint(let u): return .object([("uint", .string(String(u)))])
        case .double(let d):
            let text: String
            if d.isNaN { text = "NaN" } else if d.isInfinite { text = d < 0 ? "-Infinity" : "Infinity" } else if d == 0 && d.sign == .minus { text = "-0" } else { text = "\(d)" }
            return .object([("double", .string(text))])
        case .string(let s): return .object([("string", .string(s))])
        case .bytes(let b): return .object([("bytes", .string(Data(b).base64EncodedString()))])
        case .list(let items): return .object([("list", .array(items.map(encode)))])
        case .map(let m): return .object([("map", .array(zip(m.keys, m.values).map { .array([encode($0), encode($1)]) }))])
        case .timestamp: return .object([("timestamp", .string(v.stringValue ?? ""))])
        case .duration: return .object([("duration", .string(v.stringValue ?? ""))])
        case .date(let d): return .object([("date", .string(d.description))])
        case .type(let name): return .object([("type", .string(name))])
        }
    }
}
