import Expressions

/// The structure of the DfE's person-level SEN2 return as its technical specification lays it
/// out (modules, their items, and the codes of coded items), for `SEN2Reader`. The names are
/// the specification's own element names; docs/plan-data.md lists them with their meanings.
///
/// Sources: "Special educational needs person level survey: technical specification" and the
/// guide to the person-level SEN2 return (DfE, collections 2023 to 2025), whose item codes are
/// also those of the open-source SEN2 tools of data-to-insight (ssd-data-model) and Mastodon C
/// (witan.sen2). Items added in later versions (RequestSource, ReviewDraft, the phase transfer
/// dates) are accepted in every year: a return of an earlier year simply has none.
enum SEN2Return {
    /// How an item's text is read and checked.
    enum Kind: Sendable, Equatable {
        case text
        case integer
        /// `CCYY-MM-DD`.
        case date
        /// `CCYY-MM-DDThh:mm:ss`.
        case dateTime
        /// `1` or `0` (XML Schema booleans also allow `true` and `false`).
        case flag
        /// One of the listed codes, exactly.
        case code([String])
    }

    struct Module: Sendable {
        var name: String
        var items: [(name: String, kind: Kind)]
        var children: [String]
        /// Items and child modules by name, as written and lower-cased: every element of a national
        /// return is looked up here (a comparison ignoring case, made per element, cost most of a read).
        private var itemIndex: [String: Int] = [:], childIndex: [String: Int] = [:]

        init(name: String, items: [(name: String, kind: Kind)], children: [String]) {
            self.name = name
            self.items = items
            self.children = children
            for (i, item) in items.enumerated() {
                itemIndex[item.name] = i
                itemIndex[item.name.lowercased()] = i
            }
            for (i, child) in children.enumerated() {
                childIndex[child] = i
                childIndex[child.lowercased()] = i
            }
        }

        func item(_ name: String) -> (name: String, kind: Kind)? {
            (itemIndex[name] ?? itemIndex[name.lowercased()]).map { items[$0] }
        }

        func child(_ name: String) -> String? {
            (childIndex[name] ?? childIndex[name.lowercased()]).map { children[$0] }
        }
    }

    /// Request outcome (item 2.5) and assessment outcome (item 3.1): Y yes, N no, A decision yet
    /// to be made, W withdrawn or ceased before the decision, H historical (the decision was made
    /// before the collection period).
    static let outcomeCodes = ["Y", "N", "A", "W", "H"]
    /// Reasons an EHC plan ceased (item 4.6): 1 maximum age, 2 needs met without a plan, 3 higher
    /// education, 4 paid employment, 5 transferred to another LA, 6 no longer engaging, 7 moved
    /// outside England, 8 deceased, 9 other.
    static let ceaseReasons = (1...9).map(String.init)
    /// Types of need (item 5.8a), as the school census records them.
    static let needTypes = ["SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "DS", "OTH"]
    /// Settings without a URN or UKPRN (items 4.7c and 5.7c).
    static let settings = ["OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO"]

    static let modules: [String: Module] = {
        let list = [
            Module(name: "Message", items: [], children: ["Header", "Persons"]),
            Module(name: "Header", items: [], children: ["CollectionDetails", "Source"]),
            Module(name: "CollectionDetails",
                   items: [("Collection", .text), ("Year", .integer), ("ReferenceDate", .date)], children: []),
            Module(name: "Source", items: [("SourceLevel", .text), ("LEA", .text), ("SoftwareCode", .text),
                                           ("Release", .text), ("SerialNo", .integer), ("DateTime", .dateTime)],
                   children: []),
            Module(name: "Persons", items: [], children: ["Person"]),
            Module(name: "Person", items: [("Surname", .text), ("Forename", .text), ("PersonBirthDate", .date),
                                           ("Sex", .text), ("Ethnicity", .text), ("PostCode", .text), ("UPN", .text),
                                           ("UniqueLearnerNumber", .text), ("UPNunknown", .text)],
                   children: ["Requests"]),
            Module(name: "Requests", items: [("ReceivedDate", .date), ("RequestSource", .text), ("RYA", .flag),
                                             ("RequestOutcomeDate", .date), ("RequestOutcome", .code(outcomeCodes)),
                                             ("RequestMediation", .flag), ("RequestTribunal", .flag),
                                             ("Exported", .text)],
                   children: ["Assessment", "ActivePlans"]),
            Module(name: "Assessment", items: [("AssessmentOutcome", .code(outcomeCodes)),
                                               ("AssessmentOutcomeDate", .date),
                                               ("AssessmentMediation", .flag), ("AssessmentTribunal", .flag),
                                               ("OtherMediation", .flag), ("OtherTribunal", .flag), ("Week20", .flag)],
                   children: ["NamedPlan"]),
            Module(name: "NamedPlan", items: [("StartDate", .date), ("PlanRes", .text), ("PlanWBP", .text),
                                              ("PB", .flag),
                                              ("OA", .flag), ("DP", .text), ("CeaseDate", .date),
                                              ("CeaseReason", .code(ceaseReasons))],
                   children: ["PlanDetail"]),
            Module(name: "PlanDetail", items: [("URN", .text), ("UKPRN", .text), ("SENSetting", .code(settings)),
                                               ("SENSettingOther", .text), ("PlacementRank", .integer),
                                               ("SENUnitIndicator", .flag), ("ResourcedProvisionIndicator", .flag)],
                   children: []),
            Module(name: "ActivePlans", items: [("TransferLA", .text), ("ReviewMeeting", .date),
                                                ("ReviewOutcome", .text),
                                                ("LastReview", .date), ("ReviewDraft", .date),
                                                ("PhaseTransferDueDate", .date), ("PhaseTransferFinalDate", .date)],
                   children: ["PlacementDetail", "SENneed"]),
            Module(name: "PlacementDetail", items: [("URN", .text), ("UKPRN", .text), ("SENSetting", .code(settings)),
                                                    ("SENSettingOther", .text), ("PlacementRank", .integer),
                                                    ("EntryDate", .date), ("LeavingDate", .date),
                                                    ("SENUnitIndicator", .flag), ("ResourcedProvisionIndicator", .flag),
                                                    ("RES", .text), ("WBP", .text)],
                   children: []),
            Module(name: "SENneed", items: [("SENtype", .code(needTypes)), ("SENtypeRank", .integer)], children: []),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }()

    /// Modules that repeat within their parent and become lists of maps on the record.
    static let listModules = ["PlanDetail", "PlacementDetail", "SENneed"]

    /// Whether `text` is right for an item of `kind`; nil when it is, else why not.
    static func problem(_ text: String, _ kind: Kind) -> String? {
        switch kind {
        case .text:
            return nil
        case .integer:
            return Int(text) == nil ? "'\(text)' is not a whole number" : nil
        case .date:
            return Day.isISO(text) ? nil : "'\(text)' is not a date written CCYY-MM-DD"
        case .dateTime:
            let parts = text.split(separator: "T", maxSplits: 1)
            guard parts.count == 2, Day.isISO(parts[0]) else {
                return "'\(text)' is not a date and time written CCYY-MM-DDThh:mm:ss"
            }
            return nil
        case .flag:
            return flag(text) == nil ? "'\(text)' is not 1 or 0" : nil
        case .code(let codes):
            if codes.contains(text) { return nil }
            return "'\(text)' is not a code of the specification (\(codes.joined(separator: ", ")))"
        }
    }

    static func flag(_ text: String) -> Bool? {
        switch text {
        case "1", "true": return true
        case "0", "false": return false
        default: return nil
        }
    }
}

extension Day {
    /// Whether `text` is a real day written `YYYY-MM-DD`.
    static func isISO(_ text: some StringProtocol) -> Bool { Day(iso: text) != nil }
}
