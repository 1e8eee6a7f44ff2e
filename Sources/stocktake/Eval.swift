import ArgumentParser
import Expressions
import Foundation
import Reports
import YAML

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate an expression, or run expression test cases (--cases -).",
        discussion: """
        Examples:
          stocktake eval 'days_between(date("2024-05-31"), date("2024-07-01"))'
          stocktake eval 'size(owners) > 1' --var 'owners=["A. Burton", "S. Larking"]'

        --cases - reads one JSON case per line ({"id", "expr", "bindings"} with typed values, as in \
        the CEL conformance suite) and writes one JSON result per line: {"id", "value"} or {"id", "error"}.

        Exits 2 when the expression does not compile, 1 when its evaluation fails (the error is printed).
        """
    )

    @Argument(help: ArgumentHelp("The expression.", valueName: "expression"))
    var expression: String?

    @Option(name: .customLong("var"), help: ArgumentHelp("A variable as NAME=JSON (repeatable).", valueName: "name=json"))
    var variables: [String] = []

    @Option(help: ArgumentHelp("Read test cases from this file, or - for standard input.", valueName: "file"))
    var cases: String?

    @Flag(name: .customLong("no-check"), help: "With --cases: skip the type checker and leave type errors to evaluation (CEL's disable_check for every case).")
    var noCheck = false

    @OptionGroup var asOf: AsOfOption

    func validate() throws {
        if (expression == nil) == (cases == nil) { throw ValidationError("give an expression or --cases FILE, not both") }
    }

    func run() throws {
        if let cases {
            try ConformanceProtocol.run(input: cases == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: cases),
                                        path: cases, today: try asOf.day(), check: !noCheck)
            return
        }
        var env = Environment()
        var values: [Value] = []
        for spec in variables {
            guard let eq = spec.firstIndex(of: "=") else { throw ValidationError("--var needs NAME=JSON, not '\(spec)'") }
            let name = String(spec[..<eq])
            let value: Value
            do {
                value = try Self.value(from: try JSONReader.parse(Array(spec[spec.index(after: eq)...].utf8)))
            } catch {
                throw ValidationError("--var \(name): \(error)")
            }
            env.declare(name, .dyn)
            values.append(value)
        }
        let program: Program
        do {
            program = try Compiler.compile(expression!, in: env)
        } catch {
            throw Failure("\(expression!)\n\(String(repeating: " ", count: error.position))^\nerror: \(error.message)", .usage)
        }
        let activation = Activation(values: values, today: try asOf.day())
        do {
            print(Self.literal(try program.evaluate(activation)))
        } catch {
            throw Failure("evaluation error: \(error.message)", .findings)
        }
    }

    /// Plain JSON as values: integers as int, other numbers as double, objects as maps.
    static func value(from node: Node) throws -> Value {
        switch node.content {
        case .sequence(let items): return .list(try items.map(value(from:)))
        case .mapping(let pairs):
            var m = MapValue()
            for p in pairs { m.insert(.string(p.key.scalar ?? ""), try value(from: p.value)) }
            return .map(m)
        case .scalar(let text, let style):
            if style.isQuoted { return .string(text) }
            switch text {
            case "null": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                if let i = Int64(text) { return .int(i) }
                return .double(Double(text) ?? 0)
            }
        }
    }

    /// A value written as an expression would write it.
    static func literal(_ v: Value) -> String {
        switch v {
        case .string(let s): return JSON.string(s).serialized()
        case .bytes(let b): return "b\"" + b.map { String(format: "\\x%02x", $0) }.joined() + "\""
        case .uint(let u): return "\(u)u"
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
        case .list(let items): return "[" + items.map(literal).joined(separator: ", ") + "]"
        case .map(let m): return "{" + zip(m.keys, m.values).map { "\(literal($0)): \(literal($1))" }.joined(separator: ", ") + "}"
        case .timestamp, .duration, .date:
            let name = v.typeName == "date" ? "date" : (v.typeName.hasSuffix("Timestamp") ? "timestamp" : "duration")
            return "\(name)(\"\(v.stringValue ?? "")\")"
        default: return v.stringValue ?? "null"
        }
    }
}
