import Expressions

/// What to tell the user when a table's headings are not (all) recognised: the row that came
/// nearest to an action table's header and what it lacked, and for a heading that names no field,
/// the field name or synonym it may have meant.
extension TableImporter {
    /// The heading a misspelt one may have meant: a field's name or synonym within a few letters
    /// (`Timscale` → `timescale`, read as `due`), or nil.
    func suggestion(forHeading heading: String) -> (heading: String, field: String)? {
        let typed = Self.normalise(heading)
        guard !typed.isEmpty, typed.count <= 40 else { return nil }
        var names: [String: String] = [:]
        for f in schema.fields where !f.isCompanion {
            for n in [f.name] + f.aliases where names[Self.normalise(n)] == nil { names[Self.normalise(n)] = f.name }
        }
        guard let near = Suggest.closest(to: typed, among: names.keys.sorted()), let field = names[near] else {
            return nil
        }
        return (near, field)
    }

    /// "'Owenr' (did you mean 'owner', read as owners?)", or the heading alone.
    func describeUnmapped(_ heading: String, in cells: [String], _ mapping: [Int?]) -> String {
        "'\(heading)'" + (hint(forHeading: heading, in: cells, mapping).map { " (\($0))" } ?? "")
    }

    /// Why a heading of this header row maps to no field, when something can be said: its field is
    /// already read from another column ("owners is read from 'Lead group'"), or it is close to a
    /// field's name or synonym ("did you mean 'owner', read as owners?").
    func hint(forHeading heading: String, in cells: [String], _ mapping: [Int?]) -> String? {
        if let slot = slot(forHeading: heading), let other = mapping.firstIndex(of: slot), other < cells.count {
            return "\(schema.fields[slot].name) is read from the column '\(cells[other])'"
        }
        return suggestion(forHeading: heading).map {
            "did you mean '\($0.heading)'" + ($0.heading == $0.field ? "?" : ", read as \($0.field)?")
        }
    }

    /// The error for a file in which no row heads an action table, naming the row that came
    /// nearest (its headings that name fields, the core fields it lacks, the headings that name
    /// none with a did-you-mean), or saying that the file has no columns at all.
    func noActionTable() -> PlanError {
        let core = [schema.key, "action", schema.ownerField ?? "", "due"].filter { schema.slot(of: $0) != nil }
        let examples = core.compactMap { name -> String? in
            guard let f = schema.fields.first(where: { $0.name == name }) else { return nil }
            return "'" + ([f.name] + f.aliases.prefix(1)).joined(separator: "' or '") + "'"
        }.joined(separator: ", ")
        let need = "an action table needs a header row naming its columns, such as \(examples)"
        guard let nearest = nearestHeader else {
            var message = "no action table: no row has headings that name fields of '\(schema.name)'; \(need)"
            if widestRow <= 1 {
                message += ". Every row of this file is a single cell, so it has no columns (text taken from a PDF"
                    + " keeps no table); export the tables as CSV or TSV"
            }
            return PlanError(file: file, message)
        }
        let headings = zip(nearest.cells, nearest.mapping).filter { !$0.0.isEmpty }
        let shown = headings.map(\.0).joined(separator: " | ")
        let quoted = shown.count > 160 ? String(shown.prefix(157)) + "…" : shown
        let mapped = mappedNames(nearest.cells, nearest.mapping)
        let given = Set(nearest.mapping.compactMap { $0 })
        let lacking = core.filter { name in schema.slot(of: name).map { !given.contains($0) } ?? false }
        let unmapped = headings.filter { $0.1 == nil }.map(\.0)
        let inText = nearest.location == "\(file):\(nearest.line)"
        var message = "no action table: the row nearest to a header is "
            + (inText ? "line \(nearest.line)" : nearest.location) + " ('\(quoted)'), whose headings give " + mapped
        if !lacking.isEmpty { message += "; it has no \(Self.either(lacking)) column" }
        if !unmapped.isEmpty {
            message += "; " + unmapped.prefix(8).map { describeUnmapped($0, in: nearest.cells, nearest.mapping) }
                .joined(separator: ", ")
                + (unmapped.count == 1 ? " names" : " name") + " no field"
        }
        message += ". An action table needs a column for the \(schema.key) or the action and two of "
            + core.filter { $0 != schema.key }.joined(separator: ", ")
            + ": rename the headings, or map them to fields in a profile (--profile)"
        if headings.count == 1 {
            let rows = widestRow <= 1
                ? "is every row of this file" : "are \(singleCellRows) of its \(rowsBeforeTable) rows"
            message += ". That row is a single cell, as \(rows) (blank rows aside): the file has hardly any columns"
                + " (text taken from a PDF keeps no table); export the tables as CSV or TSV"
        }
        return PlanError(file: file, line: inText ? nearest.line : nil, message)
    }

    /// "a", "a or b", "a, b or c".
    static func either(_ words: [String]) -> String {
        words.count <= 1 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}
