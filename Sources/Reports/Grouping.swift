import Rules

/// How text and Markdown reports group findings.
public enum Grouping: String, CaseIterable, Sendable {
    case severity, rule, owner, level, section

    /// Groups in order of their most urgent finding; findings keep their priority order.
    public func groups(_ findings: [Finding]) -> [(String, [Finding])] {
        var order: [String] = []
        var groups: [String: [Finding]] = [:]
        for f in findings {
            let keys: [String]
            switch self {
            case .severity: keys = [f.severity.rawValue.capitalized]
            case .rule: keys = ["\(f.rule): \(f.title)"]
            case .owner: keys = f.owners.isEmpty ? ["No owner"] : f.owners
            case .level: keys = [f.escalation?.name ?? "No escalation"]
            case .section: keys = [f.section ?? "No section"]
            }
            for k in keys {
                if groups[k] == nil { order.append(k) }
                groups[k, default: []].append(f)
            }
        }
        return order.map { ($0, groups[$0]!) }
    }
}
