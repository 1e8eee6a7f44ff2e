import Expressions

/// Reads the DfE's person-level SEN2 return (XML, as case management systems write it for
/// COLLECT) into casework records: one per request for an EHC needs assessment (`<Requests>`),
/// with the child's details, the request's assessment and named plan, and the active plan with
/// its reviews, placements and needs. Each item becomes the field of the collection with the
/// item's own name (`ReceivedDate`, `Week20`, …); items the collection does not declare are
/// kept as the record's extras. The file is read as a stream of elements, one person at a time.
///
/// Nothing is dropped silently: every element is counted in the tally; an element the
/// specification does not know, a code it does not list, or a date in another format is an
/// item problem with its line, column and path, kept on the request's record (`sen2_problems`)
/// for rules to report. A file that is not an SEN2 return (another root element, another
/// collection) or is not well-formed XML (truncated, mismatched tags) cannot be read: that
/// is a plan error.
struct SEN2Reader {
    typealias Item = (text: String, line: Int, column: Int)

    /// An element being read, or a finished module kept until its person is complete.
    struct Frame {
        enum Role { case module(SEN2Return.Module), item(String, SEN2Return.Kind), unknown }
        var role: Role
        var name: String
        var line: Int, column: Int
        var text = ""
        var items: [(name: String, item: Item)] = []
        var children: [Frame] = []
        var problems: [PlanTally.Row] = []

        func children(_ name: String) -> [Frame] { children.filter { $0.name == name } }
        func item(_ name: String) -> Item? { items.first { $0.name == name }?.item }
    }

    let path: String
    let loader: PlanLoader
    var schema: CollectionSchema { loader.schema }
    var plan: Plan
    private var stack: [Frame] = []
    private var header: [(name: String, item: Item)] = []
    private var collectionSeen = false
    private var elementIndex: [String: Int] = [:]
    private var undeclared: [String] = []
    private var requestIDs: [String: Int] = [:]
    private var persons = 0

    init(path: String, loader: PlanLoader) {
        self.path = path
        self.loader = loader
        plan = Plan(file: path)
    }

    static func read(_ bytes: [UInt8], path: String, loader: PlanLoader,
                     _ body: (Record) throws -> Void) throws -> Plan {
        var reader = SEN2Reader(path: path, loader: loader)
        var scanner = XMLScanner(bytes)
        do {
            while let event = try scanner.next() {
                switch event {
                case .start(let name, let attributes, let selfClosing, let line, let column):
                    try reader.start(name, attributes, line, column)
                    if selfClosing { try reader.end(body) }
                case .end:
                    try reader.end(body)
                case .text(let text, let line, let column):
                    reader.text(text, line, column)
                }
            }
        } catch let failure as XMLScanner.Failure {
            throw PlanError(file: path, line: failure.line, column: failure.column, failure.message)
        }
        guard reader.collectionSeen else {
            throw PlanError(file: path, line: 1, column: 1,
                            "no <Header> naming the SEN2 collection: is this an SEN2 return?")
        }
        reader.plan.tally.unmappedColumns = reader.undeclared
        return reader.plan
    }

    private var pathText: String { stack.map(\.name).joined(separator: "/") }

    private mutating func problem(_ message: String, _ line: Int, _ column: Int, at index: Int? = nil) {
        let row = PlanTally.Row(location: "\(path):\(line):\(column)", text: message, reason: pathText)
        plan.tally.itemProblems.append(row)
        if let i = index ?? (stack.isEmpty ? nil : stack.count - 1) { stack[i].problems.append(row) }
    }

    private mutating func count(_ name: String) {
        if let i = elementIndex[name] {
            plan.tally.elements[i].count += 1
        } else {
            elementIndex[name] = plan.tally.elements.count
            plan.tally.elements.append((name, 1))
        }
    }

    private mutating func start(_ written: String, _ attributes: [(name: String, value: String)],
                                _ line: Int, _ column: Int) throws {
        guard let parent = stack.last else {
            guard written == "Message" else {
                throw PlanError(file: path, line: line, column: column,
                                "the root element is <\(written)>, not <Message>: this is not an SEN2 return")
            }
            count("Message")
            let message = SEN2Return.modules["Message"]!
            stack.append(Frame(role: .module(message), name: "Message", line: line, column: column))
            return
        }
        var frame: Frame
        switch parent.role {
        case .module(let module):
            if let child = module.child(written) {
                frame = Frame(role: .module(SEN2Return.modules[child]!), name: child, line: line, column: column)
                if child == "Persons" && !collectionSeen {
                    throw PlanError(file: path, line: line, column: column, "<Persons> comes before a <Header> "
                                    + "naming the SEN2 collection: is this an SEN2 return?")
                }
            } else if let item = module.item(written) {
                frame = Frame(role: .item(item.name, item.kind), name: item.name, line: line, column: column)
            } else {
                frame = Frame(role: .unknown, name: written, line: line, column: column)
                stack.append(frame)
                problem("<\(written)> is not an element of <\(module.name)> in the SEN2 specification; it is not read",
                        line, column, at: stack.count - 2)
                stack.removeLast()
            }
        case .item(let name, _):
            frame = Frame(role: .unknown, name: written, line: line, column: column)
            problem("<\(name)> holds a value, not the element <\(written)>; it is not read", line, column)
        case .unknown:
            frame = Frame(role: .unknown, name: written, line: line, column: column)
        }
        // Namespace declarations (on any element) are the file's business; other attributes carry data.
        for a in attributes where a.name != "xmlns" && !a.name.hasPrefix("xmlns:") && !a.name.hasPrefix("xsi:") {
            if case .unknown = frame.role { break }
            problem("the attribute \(a.name)=\"\(a.value)\" on <\(frame.name)> is not part of the SEN2 specification; "
                    + "it is not read", line, column)
        }
        count(frame.name)
        stack.append(frame)
    }

    private mutating func text(_ text: String, _ line: Int, _ column: Int) {
        guard let top = stack.last else { return }
        switch top.role {
        case .item: stack[stack.count - 1].text += text
        case .module(let module):
            let shown = text.trimmingCharacters(in: .whitespacesAndNewlines)
            problem("text '\(shown.prefix(60))' directly inside <\(module.name)>, outside any item; it is not read",
                    line, column)
        case .unknown: break
        }
    }

    private mutating func end(_ body: (Record) throws -> Void) throws {
        let frame = stack.removeLast()
        switch frame.role {
        case .unknown:
            if let i = stack.indices.last { stack[i].problems += frame.problems }
        case .item(let name, let kind):
            let text = frame.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let i = stack.indices.last else { return }
            if stack[i].items.contains(where: { $0.name == name }) {
                stack.append(frame)
                problem("a second <\(name)> in one <\(stack[i].name)>; only the first is read",
                        frame.line, frame.column, at: i)
                stack.removeLast()
                return
            }
            if !text.isEmpty, let why = SEN2Return.problem(text, kind) {
                stack.append(frame)
                problem("<\(name)> \(why)", frame.line, frame.column, at: i)
                stack.removeLast()
            }
            stack[i].problems += frame.problems
            stack[i].items.append((name, (text, frame.line, frame.column)))
        case .module(let module):
            switch module.name {
            case "CollectionDetails", "Source":
                header += frame.items
                if module.name == "CollectionDetails" { try readCollection(frame) }
                describeHeader()
            case "Person":
                persons += 1
                try emit(frame, body)
            case "Message", "Header", "Persons":
                break
            default:
                if let i = stack.indices.last { stack[i].children.append(frame) }
            }
        }
    }

    /// The header's collection must be SEN2; its year is the return's version.
    private mutating func readCollection(_ frame: Frame) throws {
        guard let collection = frame.item("Collection") else {
            throw PlanError(file: path, line: frame.line, column: frame.column,
                            "<CollectionDetails> names no <Collection>: is this an SEN2 return?")
        }
        guard collection.text.uppercased() == "SEN2" else {
            throw PlanError(file: path, line: collection.line, column: collection.column,
                            "this is a return of the '\(collection.text)' collection, not SEN2")
        }
        collectionSeen = true
    }

    /// "SEN2 2025 return, reference date 2025-01-16, LA 202, from CMS 1.4 (serial 3, 2025-01-20T09:00:00)".
    private mutating func describeHeader() {
        guard collectionSeen else { return }
        func value(_ name: String) -> String? { header.first { $0.name == name }.map(\.item.text).flatMap(\.nonEmpty) }
        var parts = ["SEN2 \(value("Year") ?? "(no year)") return"]
        if let date = value("ReferenceDate") { parts.append("reference date \(date)") }
        if let la = value("LEA") { parts.append("LA \(la)") }
        if let software = value("SoftwareCode") {
            var made = "from \(software)" + (value("Release").map { " \($0)" } ?? "")
            let detail = [value("SerialNo").map { "serial \($0)" }, value("DateTime")].compactMap { $0 }
            if !detail.isEmpty { made += " (\(detail.joined(separator: ", ")))" }
            parts.append(made)
        }
        plan.tally.returnHeader = parts.joined(separator: ", ")
        plan.name = plan.tally.returnHeader
    }

    // MARK: Records

    private mutating func emit(_ person: Frame, _ body: (Record) throws -> Void) throws {
        let requests = person.children("Requests")
        if requests.isEmpty {
            var lone = Frame(role: .module(SEN2Return.modules["Requests"]!), name: "Requests",
                             line: person.line, column: person.column)
            let row = PlanTally.Row(location: "\(path):\(person.line):\(person.column)",
                                    text: "the person has no <Requests>: a person is in the return for a request",
                                    reason: "Message/Persons/Person")
            plan.tally.itemProblems.append(row)
            lone.problems.append(row)
            try body(record(person, lone))
            plan.tally.records += 1
            return
        }
        for request in requests {
            try body(record(person, request))
            plan.tally.records += 1
        }
    }

    private func slot(_ name: String) -> Int? { schema.slot(of: name) }

    private mutating func record(_ person: Frame, _ request: Frame) -> Record {
        // The nested functions below capture these locals, never `self`: capturing the reader
        // copied it (tally and all) for every record.
        let schema = loader.schema, fieldReader = loader.reader, path = path
        var values = fieldReader.emptyValues
        let source = SourceLocation(file: path, line: request.line, column: request.column)
        var record = Record(values: values, source: source)
        var problems = person.problems + request.problems
        var found: [PlanTally.Row] = [], undeclaredHere: [String] = []
        func note(_ message: String, _ line: Int, _ column: Int, _ where_: String) {
            let row = PlanTally.Row(location: "\(path):\(line):\(column)", text: message, reason: where_)
            found.append(row)
            problems.append(row)
        }
        func fill(_ items: [(name: String, item: Item)], header: Bool = false) {
            for (name, item) in items where !item.text.isEmpty {
                guard let s = schema.slot(of: name) else {
                    // The header's undeclared items are the tally's, not every record's.
                    if header { continue }
                    record.extras.append((name, item.text))
                    if !undeclaredHere.contains(name) { undeclaredHere.append(name) }
                    continue
                }
                let field = schema.fields[s]
                if field.type == .bool {
                    if let b = SEN2Return.flag(item.text) { values[s] = .bool(b) }
                    continue
                }
                do {
                    try fieldReader.assign(item.text, to: s, in: &values)
                } catch {
                    note("<\(name)> '\(item.text)' cannot be read as \(field.type) (the type '\(schema.name)' "
                         + "declares): " + error.message, item.line, item.column, name)
                }
            }
        }
        /// The first of a module's instances; any more are problems (one record per request).
        func only(_ frames: [Frame], in parent: String) -> Frame? {
            for extra in frames.dropFirst() {
                note("a second <\(extra.name)> in one <\(parent)>; only the first is checked",
                     extra.line, extra.column, parent)
            }
            if let first = frames.first { problems += ([first] + Self.descendants(first)).flatMap(\.problems) }
            return frames.first
        }
        fill(header, header: true)
        fill(person.items)
        fill(request.items)
        var lists: [String: [Frame]] = [:]
        if let assessment = only(request.children("Assessment"), in: "Requests") {
            fill(assessment.items)
            if let plan = only(assessment.children("NamedPlan"), in: "Assessment") {
                fill(plan.items)
                lists["PlanDetail"] = plan.children("PlanDetail")
            }
        }
        if let active = only(request.children("ActivePlans"), in: "Requests") {
            fill(active.items)
            lists["PlacementDetail"] = active.children("PlacementDetail")
            lists["SENneed"] = active.children("SENneed")
        }
        for name in SEN2Return.listModules {
            guard let frames = lists[name], !frames.isEmpty else { continue }
            let maps: [Value] = frames.map { frame in
                var m = MapValue()
                for (item, v) in frame.items where !v.text.isEmpty { m.insert(.string(item), .string(v.text)) }
                return .map(m)
            }
            if let s = slot(name) { values[s] = .list(maps) } else {
                let text = frames.map { f in f.items.map { "\($0.name)=\($0.item.text)" }.joined(separator: " ") }
                record.extras.append((name, text.joined(separator: "; ")))
                if !undeclaredHere.contains(name) { undeclaredHere.append(name) }
            }
        }
        if let s = slot("SENtype"), let needs = lists["SENneed"] {
            let ranked = needs.compactMap { n -> (Int, String)? in
                guard let type = n.item("SENtype")?.text, !type.isEmpty else { return nil }
                return (Int(n.item("SENtypeRank")?.text ?? "") ?? Int.max, type)
            }.sorted { $0.0 < $1.0 }.map(\.1)
            if case .list = schema.fields[s].type {
                values[s] = .list(ranked.map(Value.string))
            } else if let first = ranked.first {
                values[s] = .string(first)
            }
        }
        let personID = [person.item("UPN"), person.item("UniqueLearnerNumber")].compactMap { $0?.text }
            .first { !$0.isEmpty } ?? "person \(persons)"
        var requestID = personID + "/" + (request.item("ReceivedDate")?.text.nonEmpty ?? "request")
        let seen = requestIDs[requestID, default: 0] + 1
        requestIDs[requestID] = seen
        if seen > 1 { requestID += "#\(seen)" }
        if let s = slot("person_id") { values[s] = .string(personID) }
        if let s = slot("request_id") { values[s] = .string(requestID) }
        if let s = slot("sen2_problems") {
            values[s] = .list(problems.map { p in
                .string("\(p.location.dropFirst(path.count + 1)) \(p.reason ?? ""): \(p.text)")
            })
        }
        record.values = values
        plan.tally.itemProblems += found
        for name in undeclaredHere where !undeclared.contains(name) { undeclared.append(name) }
        return record
    }

    private static func descendants(_ frame: Frame) -> [Frame] {
        frame.children.flatMap { [$0] + descendants($0) }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

/// SEN2 returns: the XML a case management system writes for the DfE's COLLECT.
public enum SEN2PlanReader: PlanReader {
    public static let extensions = ["xml"]
    /// An XML file whose root is `<Message>` (the DfE's collections share it; the header then
    /// says which collection the file is).
    public static func looksLike(_ head: [UInt8]) -> Bool {
        guard let first = head.first(where: { $0 > 0x20 }), first == UInt8(ascii: "<") else { return false }
        let text = String(decoding: head.prefix(4096), as: UTF8.self)
        return text.contains("<Message") || text.contains(":Message")
    }
    public static func read(_ bytes: [UInt8], path: String, loader: PlanLoader,
                            _ body: (Record) throws -> Void) throws -> Plan {
        try SEN2Reader.read(bytes, path: path, loader: loader, body)
    }
}
