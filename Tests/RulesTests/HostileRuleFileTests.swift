import Foundation
import Testing
@testable import Rules

/// Rule files written to break the loader, or to make it print another file.
@Suite struct HostileRuleFileTests {
    func diagnostics(_ paths: [String]) -> [String] {
        do {
            _ = try RuleSetLoader.load(paths: paths)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func rule(_ extra: String, when: String = "true") -> String {
        "ruleset: t\nrules:\n  - id: r1\n    title: T\n    when: \(when)\n    message: m\n" + extra
    }

    @Test func priorityIsAnIntInRange() throws {
        let dir = try temporaryDirectory()
        let cases: [(String, String)] = [
            ("    priority: 1.5\n", "7:15: error: 'priority' must be an int expression, not double"),
            ("    priority: 9223372036854775807 + 1\n",
             "7:15: error: 'priority' cannot be worked out: integer overflow in 9223372036854775807 + 1"),
            ("    priority: 100000\n", "7:15: error: 'priority' must be an int from 0 to 49,999, not 100000"),
            ("    priority: -1\n", "7:15: error: 'priority' must be an int from 0 to 49,999, not -1"),
            ("    priority: \"'high'\"\n", "7:15: error: this expression gives string, but int is needed here"),
        ]
        for (extra, message) in cases {
            let path = try write(rule(extra), "p.yaml", in: dir)
            #expect(diagnostics([path]) == ["\(path):\(message)"])
        }
        let ok = try write(rule("    priority: days_overdue(due)\n") + "", "ok.yaml", in: dir)
        #expect(diagnostics([ok]) == [])
        let constant = try write(rule("    priority: 49999\n"), "c.yaml", in: dir)
        #expect(try RuleSetLoader.load(paths: [constant]).rules[0].priority != nil)
    }

    /// `extends: [/etc/passwd]` printed that file's lines as "unknown key" errors.
    @Test func extendsReadsOnlyYAMLRuleFiles() throws {
        let dir = try temporaryDirectory()
        _ = try write("root: x\ndaemon: y\nsecret-token: z\n", "other.yaml", in: dir)
        _ = try write("root:x:0:0:root:/root:/bin/bash\n", "passwd", in: dir)
        let cases: [(String, String)] = [
            ("/etc/passwd", "2:11: error: 'extends' takes a YAML rule file relative to this file (such as "
                + "statuses/five-status.yaml) or a shipped pack by name (such as send-plan), not '/etc/passwd'"),
            ("passwd", "2:11: error: cannot extend rules/passwd.yaml: no such file"),
            ("./passwd", "2:11: error: 'extends' takes a YAML rule file relative to this file (such as "
                + "statuses/five-status.yaml) or a shipped pack by name (such as send-plan), not './passwd'"),
            ("other.yaml", "2:11: error: cannot extend \(dir.path)/other.yaml: it is not a rule file (it has none of the "
                + "keys ruleset, version, description, extends, legend, statuses, states, collections, parameters, escalation, rules, "
                + "measures)"),
        ]
        for (target, message) in cases {
            let top = try write("ruleset: t\nextends: [\(target)]\nrules: []\n", "top.yaml", in: dir)
            let found = diagnostics([top])
            #expect(found == ["\(top):\(message)"])
            #expect(!found.joined().contains("secret-token") && !found.joined().contains("/bin/bash"))
        }
        // Named directly, a file that is not a YAML rule file is refused the same way.
        let passwd = dir.appendingPathComponent("passwd").path
        #expect(diagnostics([passwd]) == ["\(passwd):1:1: error: is not a rule file: rule files are YAML, named .yaml or .yml"])
        let other = dir.appendingPathComponent("other.yaml").path
        #expect(diagnostics([other]) == ["\(other):1:1: error: is not a rule file (it has none of the keys ruleset, version, "
                                             + "description, extends, legend, statuses, states, collections, parameters, escalation, rules, "
                + "measures)"])
    }

    /// 60,000 levels of YAML crashed the process when the rule file's tree was freed.
    @Test func deeplyNestedRuleFilesAreErrors() throws {
        let dir = try temporaryDirectory()
        let path = try write("ruleset: t\nrules: " + String(repeating: "[", count: 60_000) + String(repeating: "]", count: 60_000) + "\n",
                             "deep.yaml", in: dir)
        #expect(diagnostics([path]) == ["\(path):2:519: error: YAML nested more than 512 levels deep"])
    }

    @Test func longConditionsAndBadPatternsAreRuleErrors() throws {
        let dir = try temporaryDirectory()
        let long = try write(rule("", when: String(repeating: "true && ", count: 9_999) + "true"), "long.yaml", in: dir)
        #expect(diagnostics([long]).first?.hasSuffix("error: expression nested too deeply (more than 200 levels of operators, "
                                                      + "fields, calls or brackets); split it into smaller rules or conditions") == true)
        let regex = try write(rule("", when: "\"action.matches('(a|aa)+$')\""), "re.yaml", in: dir)
        #expect(diagnostics([regex]).first?.hasPrefix("\(regex):5:27: error: regular expression '(a|aa)+$' can take exponential") == true)
        let invalid = try write(rule("", when: "\"matches_any(action, ['([a-z'])\""), "bad.yaml", in: dir)
        #expect(diagnostics([invalid]) == ["\(invalid):5:33: error: invalid regular expression '([a-z'"])
    }
}
