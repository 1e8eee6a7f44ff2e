import Foundation
import Expressions
import PlanData
import YAML

/// Reads rule files strictly: every unknown key, missing field, bad severity and expression error
/// is collected as a positioned diagnostic, and loading fails only after all were found.
public enum RuleSetLoader {
    /// Loads one or more rule files; later files (and files after those they extend) override
    /// earlier rules with the same id.
    /// `legend`: a status legend read before the rule files (so that their `statuses:` add to
    /// it and may re-map its words), as `--statuses` or legend detection chooses.
    /// `requiringName: false` reads a part of rule sets on its own (a status legend, which other
    /// files extend), which names no rule set.
    public static func load(paths: [String], legend: Legend? = nil,
                            requiringName: Bool = true) throws(RuleSetError) -> RuleSet {
        var loader = Loader()
        loader.requiresName = requiringName
        if let legend {
            loader.forcedLegend = true
            loader.readFile(legend.path, extendedFrom: nil, data: legend.data, isLegend: true)
        }
        for path in paths { loader.readFile(path, extendedFrom: nil) }
        let set = loader.build()
        if !loader.diagnostics.isEmpty {
            // Report in reading order: by file as first met, then by position.
            let fileOrder = Dictionary(loader.diagnostics.map(\.file).enumerated().map { ($1, $0) }, uniquingKeysWith: min)
            let sorted = loader.diagnostics.enumerated().sorted { a, b in
                let (x, y) = (a.element, b.element)
                if x.file != y.file { return fileOrder[x.file]! < fileOrder[y.file]! }
                if x.line != y.line { return x.line < y.line }
                if x.column != y.column { return x.column < y.column }
                return a.offset < b.offset
            }.map(\.element)
            throw RuleSetError(diagnostics: sorted)
        }
        return set
    }
}

private struct SourceFile {
    var path: String
    var lines: [Substring]
}

private struct RawRule {
    var id: String
    var node: Node
    var file: SourceFile
}

private struct Loader {
    var diagnostics: [Diagnostic] = []
    private var reading: [String] = []
    private var read: Set<String> = []
    private var rawRules: [RawRule] = []
    private var rawMeasures: [RawRule] = []
    private var name: String?
    private var version = "1"
    private var description: String?
    private var files: [String] = []
    private var statusNodes: [(state: String, words: [String], file: SourceFile, node: Node)] = []
    private var stateNodes: [(state: String, properties: Set<String>)] = []
    /// The `legend:` names of the files read (a rule set that reads one pins its legend).
    private var legends: [String] = []
    /// A legend given to `load` replaces those the rule files pin: their words are not read.
    var forcedLegend = false
    private var collectionNodes: [(name: String, node: Node, file: SourceFile)] = []
    private var parameters: [(name: String, value: Value)] = []
    private var ladderNode: (node: Node, file: SourceFile)?
    /// One expression environment per collection: building one registers every function.
    private var environments: [String: Environment] = [:]
    var requiresName = true

    static let topKeys = ["ruleset", "version", "description", "extends", "legend", "statuses", "states", "collections",
                          "parameters", "escalation", "rules", "measures"]
    static let measureKeys = ["id", "title", "applies-to", "cohort", "met", "definition", "cite", "published"]

    mutating func report(_ file: SourceFile, _ mark: Mark, _ message: String) {
        diagnostics.append(Diagnostic(file: file.path, line: mark.line, column: mark.column, message))
    }

    // MARK: reading files

    static func isYAMLName(_ path: String) -> Bool {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        return ext == "yaml" || ext == "yml"
    }

    /// Where `extends: [name]` in the file at `path` points: a .yaml/.yml file relative to that
    /// file, or a shipped pack by bare name (`send-plan` is rules/send-plan.yaml, as `--rules`
    /// finds the packs). Absolute paths are refused: a rule set names its own parts.
    static func extended(_ name: String, from path: String) -> String? {
        if !name.contains("/"), !name.contains("."), !name.isEmpty {
            return "rules/\(name).yaml"
        }
        guard !name.hasPrefix("/"), !name.hasPrefix("~"), isYAMLName(name) else { return nil }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
    }

    mutating func readFile(_ path: String, extendedFrom: (SourceFile, Node)?, data given: [UInt8]? = nil,
                           isLegend: Bool = false) {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        if reading.contains(key) {
            if let (file, node) = extendedFrom { report(file, node.mark, "'extends' makes a cycle back to \(path)") }
            return
        }
        if read.contains(key) { return }
        // Only YAML rule files are read, so that naming another file cannot make an error
        // message print its lines.
        guard Self.isYAMLName(path) else {
            let why = "is not a rule file: rule files are YAML, named .yaml or .yml"
            if let (file, node) = extendedFrom {
                report(file, node.mark, "cannot extend \(path): \(why)")
            } else {
                diagnostics.append(Diagnostic(file: path, line: 1, column: 1, why))
            }
            return
        }
        var isDirectory: ObjCBool = false
        guard let data = given.map({ Data($0) }) ?? (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                && !isDirectory.boolValue ? FileManager.default.contents(atPath: path) : nil) else {
            let why = isDirectory.boolValue ? "is a directory, not a rule file" : "no such file"
            if let (file, node) = extendedFrom {
                report(file, node.mark, "cannot extend \(path): \(why)")
            } else {
                diagnostics.append(Diagnostic(file: path, line: 1, column: 1, why))
            }
            return
        }
        reading.append(key)
        defer { reading.removeLast(); read.insert(key) }
        let file = SourceFile(path: path, lines: String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false))
        let root: Node
        do {
            guard let node = try YAMLParser.parse([UInt8](data)) else {
                diagnostics.append(Diagnostic(file: path, line: 1, column: 1, "rule file is empty"))
                return
            }
            root = node
        } catch let e as YAMLError {
            report(file, e.mark, e.message)
            return
        } catch {
            diagnostics.append(Diagnostic(file: path, line: 1, column: 1, "\(error)"))
            return
        }
        guard let pairs = root.mapping else {
            report(file, root.mark, "a rule file must be a mapping with 'ruleset:' and 'rules:', not \(root.kindName)")
            return
        }
        // A YAML file without one rule-file key is some other file: say so, never list its keys.
        guard pairs.contains(where: { Self.topKeys.contains($0.key.scalar ?? "") }) else {
            let why = "is not a rule file (it has none of the keys \(Self.topKeys.joined(separator: ", ")))"
            if let (including, node) = extendedFrom {
                report(including, node.mark, "cannot extend \(path): it \(why)")
            } else {
                report(file, root.mark, why)
            }
            return
        }
        if given == nil { files.append(path) }
        checkKeys(pairs, allowed: Self.topKeys, in: file)
        if let ext = root["extends"] {
            for item in ext.sequence ?? [ext] {
                guard let name = item.scalar, !item.isNull else {
                    report(file, item.mark, "'extends' takes file names")
                    continue
                }
                guard let target = Self.extended(name, from: path) else {
                    report(file, item.mark, "'extends' takes a YAML rule file relative to this file (such as "
                           + "statuses/five-status.yaml) or a shipped pack by name (such as send-plan), not '\(name)'")
                    continue
                }
                readFile(target, extendedFrom: (file, item))
            }
        }
        let pinsLegend = root["legend"] != nil
        if let l = root["legend"], let n = scalar(l, "legend", file), isLegend || !forcedLegend { legends.append(n) }
        if !isLegend && (extendedFrom == nil || name == nil) {
            if let n = root["ruleset"] {
                name = scalar(n, "ruleset", file)
            } else if extendedFrom == nil && requiresName {
                report(file, root.mark, "missing 'ruleset:' (the rule set's name)")
            }
            if let v = root["version"] { version = scalar(v, "version", file) ?? version }
            if let d = root["description"] { description = scalar(d, "description", file) }
        }
        if let statuses = root["statuses"], isLegend || !(pinsLegend && forcedLegend) {
            if let pairs = statuses.mapping {
                for pair in pairs {
                    guard let state = pair.key.scalar else { continue }
                    let words = (pair.value.sequence ?? [pair.value]).compactMap { node -> String? in
                        guard let s = node.scalar, !node.isNull else { report(file, node.mark, "status words must be text"); return nil }
                        return s
                    }
                    statusNodes.append((state, words, file, pair.key))
                }
            } else {
                report(file, statuses.mark, "'statuses' must map each state to a list of words")
            }
        }
        if let states = root["states"] {
            for pair in states.mapping ?? [] {
                guard let state = pair.key.scalar else { continue }
                var properties: Set<String> = []
                for node in pair.value.sequence ?? [pair.value] {
                    guard let p = node.scalar, StatusVocabulary.knownProperties.contains(p) else {
                        let word = node.scalar ?? node.kindName
                        report(file, node.mark, "unknown status property '\(word)'"
                               + Suggest.hint(for: word, among: StatusVocabulary.knownProperties)
                               + " (properties: \(StatusVocabulary.knownProperties.joined(separator: ", ")))")
                        continue
                    }
                    properties.insert(p)
                }
                stateNodes.append((state, properties))
            }
            if states.mapping == nil { report(file, states.mark, "'states' must map each state to a list of properties") }
        }
        if let escalation = root["escalation"] { ladderNode = (escalation, file) }
        if let params = root["parameters"] {
            for pair in params.mapping ?? [] {
                guard let name = pair.key.scalar, name.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) != nil else {
                    report(file, pair.key.mark, "parameter names are lower-case letters, digits and '_' (they are read as params.NAME)")
                    continue
                }
                guard let value = parameterValue(pair.value) else {
                    report(file, pair.value.mark, "parameter '\(name)' must be a number, true/false or text, or a list or mapping of them (with text keys, each once)")
                    continue
                }
                if let i = parameters.firstIndex(where: { $0.name == name }) { parameters[i].value = value } else { parameters.append((name, value)) }
            }
            if params.mapping == nil { report(file, params.mark, "'parameters' must map names to values") }
        }
        if let collections = root["collections"] {
            for pair in collections.mapping ?? [] {
                if let n = pair.key.scalar { collectionNodes.append((n, pair.value, file)) }
            }
            if collections.mapping == nil { report(file, collections.mark, "'collections' must be a mapping of name: {key, fields}") }
        }
        if let measures = root["measures"] {
            for item in measures.sequence ?? [] {
                guard let id = item["id"]?.scalar, item.mapping != nil else {
                    report(file, item.mark, "each measure must be a mapping with an 'id'")
                    continue
                }
                if let i = rawMeasures.firstIndex(where: { $0.id == id }) {
                    rawMeasures[i] = RawRule(id: id, node: item, file: file)
                } else {
                    rawMeasures.append(RawRule(id: id, node: item, file: file))
                }
            }
            if measures.sequence == nil { report(file, measures.mark, "'measures' must be a list") }
        }
        if let rules = root["rules"] {
            guard let items = rules.sequence else {
                report(file, rules.mark, "'rules' must be a list")
                return
            }
            var seenHere: [String: Mark] = [:]
            for item in items {
                guard item.mapping != nil else { report(file, item.mark, "each rule must be a mapping"); continue }
                guard let idNode = item["id"], let id = idNode.scalar, !idNode.isNull else {
                    report(file, item.mark, "rule without an 'id'")
                    continue
                }
                if id.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
                    report(file, idNode.mark, "rule id '\(id)' must be lower-case letters, digits and '-'")
                }
                if let first = seenHere[id] {
                    report(file, idNode.mark, "duplicate rule id '\(id)' (first at line \(first.line)); to replace a rule, put the new one in a file that extends this one")
                    continue
                }
                seenHere[id] = idNode.mark
                if let i = rawRules.firstIndex(where: { $0.id == id }) {
                    rawRules[i] = RawRule(id: id, node: item, file: file)
                } else {
                    rawRules.append(RawRule(id: id, node: item, file: file))
                }
            }
        }
    }

    /// A plain number is a number and `true`/`false` a bool; anything quoted is text.
    /// A parameter: a number, true/false or text, or a list or mapping of them (a vocabulary such as the
    /// reasons that excuse a time limit, each with what it stands for).
    private func parameterValue(_ node: Node, nested: Bool = false) -> Value? {
        if !nested, let items = node.sequence {
            var values: [Value] = []
            for item in items {
                guard let value = parameterValue(item, nested: true) else { return nil }
                values.append(value)
            }
            return .list(values)
        }
        if !nested, let pairs = node.mapping {
            var map = MapValue()
            for pair in pairs {
                guard let key = pair.key.scalar, let value = parameterValue(pair.value, nested: true),
                      map.insert(.string(key), value) else { return nil }
            }
            return .map(map)
        }
        guard let text = node.scalar, !node.isNull else { return nil }
        if node.style == .plain {
            if let i = Int64(text) { return .int(i) }
            if let d = Double(text), d.isFinite { return .double(d) }
            if text == "true" || text == "false" { return .bool(text == "true") }
        }
        return .string(text)
    }

    private mutating func checkKeys(_ pairs: [Node.Pair], allowed: [String], in file: SourceFile) {
        for pair in pairs {
            guard let key = pair.key.scalar else { report(file, pair.key.mark, "keys must be text"); continue }
            if !allowed.contains(key) {
                report(file, pair.key.mark, "unknown key '\(key)'" + Suggest.hint(for: key, among: allowed))
            }
        }
    }

    private mutating func scalar(_ node: Node, _ key: String, _ file: SourceFile) -> String? {
        guard let s = node.scalar, !node.isNull else {
            report(file, node.mark, "'\(key)' must be text, not \(node.kindName)")
            return nil
        }
        return s
    }

    // MARK: building

    mutating func build() -> RuleSet {
        var statuses = StatusVocabulary()
        // The phrases completion is read from in progress logs come first: any file may re-map them.
        for (state, words) in StatusInference.builtInPhrases { try? statuses.add(state: state, words: words, source: "") }
        for entry in statusNodes {
            do { try statuses.add(state: entry.state, words: entry.words, source: entry.file.path) } catch {
                report(entry.file, entry.node.mark, "\(error)")
            }
        }
        for entry in stateNodes { statuses.declare(state: entry.state, properties: entry.properties) }
        statuses.legend = legends.last
        var collections = ["actions": CollectionSchema.actions]
        for (name, node, file) in collectionNodes {
            if let schema = buildCollection(name, node, file, existing: collections[name]) { collections[name] = schema }
        }
        var set = RuleSet(name: name ?? "unnamed", version: version, description: description, files: files,
                          statuses: statuses, collections: collections, rules: [])
        set.parameters = parameters
        if let (node, file) = ladderNode { set.ladder = buildLadder(node, file) }
        set.pinnedLegend = legends.last
        for raw in rawRules {
            if let rule = buildRule(raw, set) { set.rules.append(rule) }
        }
        for raw in rawMeasures {
            if let measure = buildMeasure(raw, set) { set.measures.append(measure) }
        }
        let ids = set.rules.map(\.id)
        for rule in set.rules {
            for other in rule.coveredBy where !ids.contains(other) || other == rule.id {
                diagnostics.append(Diagnostic(file: rule.file, line: rule.mark.line, column: rule.mark.column,
                                              other == rule.id ? "rule '\(rule.id)' cannot be covered by itself"
                                              : "rule '\(rule.id)' is covered by '\(other)', which is not a rule"
                                              + Suggest.hint(for: other, among: ids)))
            }
        }
        return set
    }

    private mutating func buildCollection(_ name: String, _ node: Node, _ file: SourceFile, existing: CollectionSchema?) -> CollectionSchema? {
        guard let pairs = node.mapping else { report(file, node.mark, "collection '\(name)' must be a mapping"); return nil }
        checkKeys(pairs, allowed: ["key", "owner", "fields", "columns"], in: file)
        var schema = existing ?? CollectionSchema(name: name, key: "", fields: [])
        if let key = node["key"] { schema.key = scalar(key, "key", file) ?? schema.key }
        if let owner = node["owner"] { schema.ownerField = scalar(owner, "owner", file) }
        for pair in node["fields"]?.mapping ?? [] {
            guard let fieldName = pair.key.scalar else { continue }
            var typeNode = pair.value
            var aliases: [String] = []
            if pair.value.mapping != nil {
                checkKeys(pair.value.mapping!, allowed: ["type", "aliases"], in: file)
                typeNode = pair.value["type"] ?? pair.value
                aliases = (pair.value["aliases"]?.sequence ?? []).compactMap(\.scalar)
            }
            let readings: [String: (CELType, FieldSpec.Reading)] = [
                "timescale": (.date, .timescale), "people": (.list(.string), .people), "log": (.string, .log), "ref": (.string, .ref),
            ]
            guard let text = typeNode.scalar, let (type, reading) = readings[text] ?? CELType(parsing: text).map({ ($0, .plain) }) else {
                report(file, typeNode.mark, "field '\(fieldName)' needs a type: string, int, double, bool, date, list(string), "
                       + "or a reading: ref, timescale, people, log")
                continue
            }
            schema.add(FieldSpec(fieldName, type, reading: reading, aliases: aliases))
        }
        if let columns = node["columns"] {
            do {
                schema.columns = try PlanProfile.columns(columns, schema: schema) { mark, message in
                    Diagnostic(file: file.path, line: mark.line, column: mark.column, message)
                }
            } catch let d as Diagnostic {
                diagnostics.append(d)
            } catch {}
        }
        if schema.key.isEmpty { report(file, node.mark, "collection '\(name)' needs 'key:' (the field that identifies a record)") }
        for f in [schema.key, schema.ownerField].compactMap({ $0 }) where !f.isEmpty && schema.slot(of: f) == nil {
            report(file, node.mark, "collection '\(name)' names field '\(f)', which is not among its fields")
        }
        return schema
    }

    private mutating func buildLadder(_ node: Node, _ file: SourceFile) -> Ladder? {
        guard let pairs = node.mapping else { report(file, node.mark, "'escalation' must have 'levels' and 'climb'"); return nil }
        checkKeys(pairs, allowed: ["levels", "climb"], in: file)
        var levels: [Ladder.Level] = []
        for item in node["levels"]?.sequence ?? [] {
            checkKeys(item.mapping ?? [], allowed: ["id", "name", "who"], in: file)
            guard let id = item["id"]?.scalar, !id.isEmpty else { report(file, item.mark, "each level needs an 'id'"); continue }
            if levels.contains(where: { $0.id == id }) { report(file, item.mark, "level '\(id)' is listed twice"); continue }
            let who = (item["who"]?.sequence ?? item["who"].map { [$0] } ?? []).compactMap(\.scalar)
            levels.append(Ladder.Level(id: id, name: item["name"]?.scalar ?? id, who: who))
        }
        if levels.isEmpty { report(file, node.mark, "'escalation' needs 'levels', lowest first") }
        var climbs: [Ladder.Climb] = []
        for item in node["climb"]?.sequence ?? [] {
            checkKeys(item.mapping ?? [], allowed: ["when", "steps", "to"], in: file)
            guard let whenNode = item["when"], let condition = compile(whenNode, Ladder.environment, file, expecting: .bool) else {
                if item["when"] == nil { report(file, item.mark, "each climb needs 'when'") }
                continue
            }
            let steps = item["steps"].flatMap { $0.scalar.flatMap(Int.init) }
            if item["steps"] != nil && steps == nil { report(file, item["steps"]!.mark, "'steps' must be a whole number") }
            let to = item["to"]?.scalar
            if let to, !levels.contains(where: { $0.id == to }) {
                report(file, item["to"]!.mark, "no level '\(to)'" + Suggest.hint(for: to, among: levels.map(\.id)))
            }
            if steps == nil && to == nil { report(file, item.mark, "a climb needs 'steps' or 'to'") }
            climbs.append(Ladder.Climb(condition: condition, steps: steps, to: to))
        }
        return Ladder(levels: levels, climbs: climbs)
    }

    /// A measure: its cohort and standard compiled as rules' `when` is, in its collection.
    private mutating func buildMeasure(_ raw: RawRule, _ set: RuleSet) -> Measure? {
        let node = raw.node, file = raw.file
        checkKeys(node.mapping ?? [], allowed: Self.measureKeys, in: file)
        func text(_ key: String, required: Bool = false) -> String? {
            guard let v = node[key], !v.isNull else {
                if required { report(file, node.mark, "measure '\(raw.id)' is missing '\(key)'") }
                return nil
            }
            return scalar(v, key, file)
        }
        let appliesTo = text("applies-to") ?? "actions"
        if environments[appliesTo] == nil { environments[appliesTo] = set.environment(for: appliesTo) }
        guard let env = environments[appliesTo] else {
            report(file, node["applies-to"]?.mark ?? node.mark, "unknown collection '\(appliesTo)'"
                   + Suggest.hint(for: appliesTo, among: set.collections.keys) + "; declare it under 'collections:'")
            return nil
        }
        let title = text("title", required: true)
        func program(_ key: String) -> Program? {
            guard let v = node[key], !v.isNull else {
                report(file, node.mark, "measure '\(raw.id)' is missing '\(key)'")
                return nil
            }
            return compile(v, env, file, expecting: .bool)
        }
        let cohort = program("cohort"), met = program("met")
        guard let title, let cohort, let met else { return nil }
        return Measure(id: raw.id, title: title, appliesTo: appliesTo, cohort: cohort, met: met,
                       definition: text("definition"), cite: text("cite"), published: text("published"),
                       file: file.path, line: node.mark.line)
    }

    private mutating func buildRule(_ raw: RawRule, _ set: RuleSet) -> Rule? {
        let node = raw.node, file = raw.file
        let before = diagnostics.count
        checkKeys(node.mapping ?? [], allowed: RuleKey.names, in: file)
        func required(_ key: String) -> Node? {
            assert(RuleKey.all.contains { $0.name == key && $0.required })
            guard let v = node[key], !v.isNull else {
                report(file, node.mark, "rule '\(raw.id)' is missing '\(key)'")
                return nil
            }
            return v
        }
        let title = required("title").flatMap { scalar($0, "title", file) }
        let appliesTo = node["applies-to"].flatMap { scalar($0, "applies-to", file) } ?? "actions"
        if environments[appliesTo] == nil { environments[appliesTo] = set.environment(for: appliesTo) }
        guard let env = environments[appliesTo] else {
            report(file, node["applies-to"]?.mark ?? node.mark,
                   "unknown collection '\(appliesTo)'" + Suggest.hint(for: appliesTo, among: set.collections.keys)
                   + "; declare it under 'collections:'")
            return nil
        }
        let condition = required("when").flatMap { compile($0, env, file, expecting: .bool) }
        let message = required("message").flatMap { template($0, env, file) }
        let severity = grades(node["severity"], env, file)
        var escalateTo: [String] = []
        if let e = node["escalate-to"] {
            for item in e.sequence ?? [e] {
                guard let s = scalar(item, "escalate-to", file) else { continue }
                if let ladder = set.ladder, ladder.level(named: s) == nil {
                    report(file, item.mark, "no escalation level '\(s)'" + Suggest.hint(for: s, among: ladder.levels.map(\.id)))
                }
                escalateTo.append(s)
            }
        }
        var statutory = false
        if let s = node["statutory"] {
            switch s.scalar {
            case "true": statutory = true
            case "false": statutory = false
            default: report(file, s.mark, "'statutory' must be true or false")
            }
        }
        let priority = node["priority"].flatMap { self.priority($0, env, file) }
        let schema = set.collections[appliesTo]!
        var needs: [[String]] = []
        if let n = node["needs"] {
            for item in n.sequence ?? [n] {
                guard let text = scalar(item, "needs", file) else { continue }
                let fields = text.components(separatedBy: " or ").map { $0.trimmingCharacters(in: .whitespaces) }
                for f in fields where schema.slot(of: f) == nil {
                    report(file, item.mark, "'needs' names field '\(f)', which collection '\(appliesTo)' does not have"
                           + Suggest.hint(for: f, among: schema.fieldNames))
                }
                needs.append(fields)
            }
        }
        let groupBy = node["group-by"].flatMap { compile($0, env, file, expecting: .list(.string)) }
        let groupMessage = node["group-message"].flatMap { template($0, RuleSet.groupEnvironment(set.statuses), file) }
        if (node["group-by"] == nil) != (node["group-message"] == nil) {
            report(file, node.mark, "rule '\(raw.id)' needs both 'group-by' (the subjects) and 'group-message' (what one finding per subject says)")
        }
        var coveredBy: [String] = []
        if let c = node["covered-by"] {
            for item in c.sequence ?? [c] { if let id = scalar(item, "covered-by", file) { coveredBy.append(id) } }
        }
        let examples = (node["examples"]?.sequence ?? []).compactMap { example($0, schema, file) }
        if let e = node["examples"], e.sequence == nil { report(file, e.mark, "'examples' must be a list") }
        guard diagnostics.count == before, let title, let condition, let message, let severity else { return nil }
        return Rule(id: raw.id, title: title, appliesTo: appliesTo, condition: condition, severity: severity,
                    escalateTo: escalateTo, message: message,
                    rationale: node["rationale"]?.scalar, cite: node["cite"]?.scalar,
                    statutory: statutory, priority: priority, examples: examples, needs: needs, coveredBy: coveredBy,
                    groupBy: groupBy, groupMessage: groupMessage, file: file.path, mark: node.mark)
    }

    private mutating func grades(_ node: Node?, _ env: Environment, _ file: SourceFile) -> [Rule.Grade]? {
        guard let node, !node.isNull else { return [Rule.Grade(condition: nil, level: .error)] }
        func level(_ n: Node) -> Severity? {
            guard let s = n.scalar, let level = Severity(rawValue: s) else {
                let word = n.scalar ?? n.kindName
                report(file, n.mark, "severity '\(word)' is not one of off, info, warning, error, critical"
                       + Suggest.hint(for: word, among: Severity.allCases.map(\.rawValue)))
                return nil
            }
            return level
        }
        if node.scalar != nil { return level(node).map { [Rule.Grade(condition: nil, level: $0)] } }
        guard let items = node.sequence, !items.isEmpty else {
            report(file, node.mark, "'severity' must be a level or a list of {when, level}")
            return nil
        }
        var out: [Rule.Grade] = []
        var ok = true
        for (i, item) in items.enumerated() {
            guard let pairs = item.mapping else { report(file, item.mark, "each severity grade must be {when: …, level: …}"); ok = false; continue }
            checkKeys(pairs, allowed: ["when", "level"], in: file)
            let condition = item["when"].flatMap { compile($0, env, file, expecting: .bool) }
            if item["when"] != nil && condition == nil { ok = false }
            if item["when"] == nil && i < items.count - 1 {
                report(file, item.mark, "a grade without 'when' always matches, so the grades after it never apply")
            }
            guard let l = item["level"] else { report(file, item.mark, "severity grade without 'level'"); ok = false; continue }
            guard let lv = level(l) else { ok = false; continue }
            out.append(Rule.Grade(condition: condition, level: lv))
        }
        return ok ? out : nil
    }

    private mutating func example(_ node: Node, _ schema: CollectionSchema, _ file: SourceFile) -> Rule.Example? {
        guard let pairs = node.mapping else { report(file, node.mark, "each example must be a mapping"); return nil }
        checkKeys(pairs, allowed: ["record", "others", "history", "as-of", "expect"], in: file)
        guard let recordNode = node["record"] else { report(file, node.mark, "example without 'record'"); return nil }
        let record: Record
        do {
            record = try PlanLoader(schema: schema).record(from: recordNode, path: file.path, allowDerived: true)
        } catch let e as PlanError {
            diagnostics.append(Diagnostic(file: file.path, line: e.line ?? recordNode.mark.line, column: e.column ?? 1, e.message))
            return nil
        } catch {
            report(file, recordNode.mark, "\(error)")
            return nil
        }
        var others: [Record] = []
        for other in node["others"]?.sequence ?? [] {
            do {
                others.append(try PlanLoader(schema: schema).record(from: other, path: file.path, allowDerived: true))
            } catch let e as PlanError {
                diagnostics.append(Diagnostic(file: file.path, line: e.line ?? other.mark.line, column: e.column ?? 1, e.message))
            } catch {}
        }
        var history: Value?
        if let h = node["history"] {
            // Typed by the history's own schema, as an earlier run would have recorded it.
            var previousStatus: String?, previousDue: Day?, statusRuns: Int64 = 0, runs: Int64 = 0
            for pair in h.mapping ?? [] {
                let key = pair.key.scalar ?? "", text = pair.value.scalar ?? ""
                switch key {
                case "previous_status": previousStatus = text
                case "previous_due":
                    guard let d = Day(iso: text) else { report(file, pair.value.mark, "previous_due needs YYYY-MM-DD"); continue }
                    previousDue = d
                case "status_runs", "runs":
                    guard let n = Int64(text) else { report(file, pair.value.mark, "\(key) needs a whole number"); continue }
                    if key == "runs" { runs = n } else { statusRuns = n }
                default:
                    report(file, pair.key.mark, "unknown history fact '\(key)'" + Suggest.hint(for: key, among: RecordSnapshot.historyFacts))
                }
            }
            history = RecordSnapshot.history(previousStatus: previousStatus, previousDue: previousDue, statusRuns: statusRuns, runs: runs)
        }
        guard let asOfNode = node["as-of"], let text = asOfNode.scalar, let asOf = Day(iso: text) else {
            report(file, node["as-of"]?.mark ?? node.mark, "example needs 'as-of: YYYY-MM-DD'")
            return nil
        }
        guard let expect = node["expect"] else { report(file, node.mark, "example needs 'expect: none' or 'expect: {level: …}'"); return nil }
        if expect.scalar == "none" {
            return Rule.Example(record: record, others: others, history: history, asOf: asOf, expectedLevel: nil, mark: node.mark)
        }
        guard let ep = expect.mapping else { report(file, expect.mark, "'expect' must be 'none' or {level: …, message: …}"); return nil }
        checkKeys(ep, allowed: ["level", "message"], in: file)
        guard let l = expect["level"]?.scalar, let level = Severity(rawValue: l), level != .off else {
            report(file, expect.mark, "'expect' needs a level: info, warning, error or critical")
            return nil
        }
        return Rule.Example(record: record, others: others, history: history, asOf: asOf, expectedLevel: level,
                            expectedMessage: expect["message"]?.scalar, mark: node.mark)
    }

    // MARK: expressions

    private mutating func compile(_ node: Node, _ env: Environment, _ file: SourceFile, expecting: CELType) -> Program? {
        guard let source = node.scalar, !node.isNull else {
            report(file, node.mark, "expected an expression, not \(node.kindName)")
            return nil
        }
        do {
            let program = try Compiler.compile(source, in: env)
            if !expecting.accepts(program.type) && !(expecting == .int && program.type.isNumeric) {
                report(file, node.mark, "this expression gives \(program.type), but \(expecting) is needed here")
                return nil
            }
            return program
        } catch {
            report(file, position(of: error.position, in: node, file), error.message)
            return nil
        }
    }

    /// A rule's `priority`: an int expression. One that reads no field is worked out now, so
    /// `priority: 1.5`, an overflow or a value outside 0–49,999 is an error in the rule file
    /// instead of a silent 0 or a silent clamp on every finding.
    private mutating func priority(_ node: Node, _ env: Environment, _ file: SourceFile) -> Program? {
        guard let program = compile(node, env, file, expecting: .int) else { return nil }
        guard program.type == .int || program.type == .dyn else {
            report(file, node.mark, "'priority' must be an int expression, not \(program.type)")
            return nil
        }
        guard program.references.isEmpty, program.globalReferences.isEmpty, !program.readsToday else { return program }
        let activation = Activation(values: Array(repeating: .null, count: env.variableOrder.count),
                                    today: Day(year: 2000, month: 1, day: 1)!)
        do {
            let value = try program.evaluate(activation)
            guard case .int(let v) = value, (0...49_999).contains(v) else {
                report(file, node.mark, "'priority' must be an int from 0 to 49,999, not \(Template.display(value))")
                return nil
            }
        } catch {
            report(file, node.mark, "'priority' cannot be worked out: \(error.message)")
            return nil
        }
        return program
    }

    private mutating func template(_ node: Node, _ env: Environment, _ file: SourceFile) -> Template? {
        guard let source = node.scalar else { report(file, node.mark, "'message' must be text"); return nil }
        do {
            return try Template(source, in: env)
        } catch {
            report(file, position(of: error.position, in: node, file), error.message)
            return nil
        }
    }

    /// Maps a character offset inside a scalar's text back to the file's line and column.
    private func position(of offset: Int, in node: Node, _ file: SourceFile) -> Mark {
        let text = Array(node.scalar ?? "")
        switch node.style {
        case .folded?:
            // Folding joins the block's lines with single spaces, so the offset is walked through the source
            // lines one by one (a line's text plus the space that replaced its line break).
            let firstLine = node.mark.line
            guard firstLine < file.lines.count else { return node.mark }
            let indent = file.lines[firstLine].prefix(while: { $0 == " " }).count
            var remaining = offset
            var line = firstLine
            while line < file.lines.count {
                let length = max(0, file.lines[line].count - indent)
                if remaining <= length || line == file.lines.count - 1 {
                    return Mark(line: line + 1, column: indent + remaining + 1)
                }
                remaining -= length + 1
                line += 1
            }
            return node.mark
        case .literal?:
            let before = text.prefix(offset)
            let lineIndex = before.filter { $0 == "\n" }.count
            let column = before.count - ((before.lastIndex(of: "\n").map { $0 + 1 }) ?? 0)
            // Block text starts on the line after the indicator; its indentation is the first line's.
            let firstLine = node.mark.line
            let indent = firstLine < file.lines.count ? file.lines[firstLine].prefix(while: { $0 == " " }).count : 0
            return Mark(line: firstLine + lineIndex + 1, column: indent + column + 1)
        case .singleQuoted?, .doubleQuoted?:
            return Mark(line: node.mark.line, column: node.mark.column + 1 + offset)
        default:
            return Mark(line: node.mark.line, column: node.mark.column + offset)
        }
    }
}
