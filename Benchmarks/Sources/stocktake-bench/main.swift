import CYAML
import Expressions
import Foundation
import PlanData
import YAML

// Hand-run benchmarks; see Benchmarks/README.md. Each prints one line per measurement.

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best of `repeats` runs.
func best(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var t = Double.infinity
    for _ in 0..<repeats { t = min(t, try seconds(body)) }
    return t
}

/// The floor: libyaml's parser over the bytes, events created and freed, nothing kept.
func rawEventLoop(_ bytes: [UInt8]) -> Int {
    var events = 0
    bytes.withUnsafeBufferPointer { buffer in
        var parser = yaml_parser_t()
        yaml_parser_initialize(&parser)
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var done = false
        while !done {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { fatalError("libyaml error") }
            done = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            events += 1
        }
    }
    return events
}

func yamlBenchmark(_ path: String, repeats: Int) throws {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let mb = Double(bytes.count) / 1_048_576
    var events = 0
    let raw = best(repeats) { events = rawEventLoop(bytes) }
    let tree = try best(repeats) { _ = try YAMLParser.parse(bytes) }
    var records = 0
    let plan = try best(repeats) { records = try PlanLoader(schema: .actions).load(path: path).records.count }
    print(String(format: "yaml  %.1f MiB, %d events, %d records", mb, events, records))
    print(String(format: "yaml  libyaml event loop     %.3f s  %6.1f MiB/s", raw, mb / raw))
    print(String(format: "yaml  YAMLParser node tree   %.3f s  %6.1f MiB/s  %.0f%% of libyaml", tree, mb / tree, 100 * raw / tree))
    print(String(format: "yaml  PlanLoader records     %.3f s  %6.1f MiB/s  %.0f%% of libyaml", plan, mb / plan, 100 * raw / plan))
}

func evalBenchmark(count: Int, repeats: Int) throws {
    var env = Environment()
    CollectionSchema.actions.declare(in: &env)
    let source = #"status != "Complete" && due != null && days_between(due, today) > 30"#
    let program = try Compiler.compile(source, in: env)
    let schema = CollectionSchema.actions
    // 1,000 prepared records: a mix of statuses and due dates, some blank.
    let statuses = ["Complete", "On track", "At risk", "Not yet started"]
    let prepared: [[Value]] = (0..<1000).map { i in
        var values = [Value](repeating: .null, count: schema.fields.count)
        values[schema.slot(of: "ref")!] = .string("\(i / 10).\(i % 10)")
        values[schema.slot(of: "status")!] = .string(statuses[i % 4])
        if i % 7 != 0 { values[schema.slot(of: "due")!] = .date(Day(number: 19_700 + (i * 37) % 400)) }
        return values
    }
    let activation = Activation(today: Day(iso: "2024-07-01")!)
    var hits = 0
    let t = try best(repeats) {
        hits = 0
        var i = 0
        while i < count {
            activation.values = prepared[i % 1000]
            if case .bool(true) = try program.evaluate(activation) { hits += 1 }
            i += 1
        }
    }
    print(String(format: "eval  %@", source))
    print(String(format: "eval  %d evaluations in %.3f s: %.0f evaluations/s (%d true)", count, t, Double(count) / t, hits))
}

let args = CommandLine.arguments.dropFirst()
switch args.first {
case "yaml":
    guard args.count >= 2 else { fatalError("usage: stocktake-bench yaml FILE [REPEATS]") }
    try yamlBenchmark(args[args.startIndex + 1], repeats: args.count > 2 ? Int(args[args.startIndex + 2])! : 5)
case "eval":
    try evalBenchmark(count: args.count > 1 ? Int(args[args.startIndex + 1])! : 1_000_000, repeats: 5)
default:
    print("usage: stocktake-bench yaml FILE [REPEATS] | eval [COUNT]")
}
