import Testing
@testable import YAML

@Suite struct YAMLParserTests {
    @Test func scalarsKeepTextStyleAndPosition() throws {
        let root = try #require(try YAMLParser.parse("ref: 1.10\nanswer: \"yes\"\ndue: 2024-05-31\n"))
        let ref = try #require(root["ref"])
        #expect(ref.scalar == "1.10")
        #expect(ref.style == .plain)
        #expect(ref.mark == Mark(line: 1, column: 6))
        #expect(root["answer"]?.scalar == "yes")
        #expect(root["answer"]?.style == .doubleQuoted)
        #expect(root["due"]?.mark == Mark(line: 3, column: 6))
    }

    @Test func nullsAreOnlyPlainNulls() throws {
        let root = try #require(try YAMLParser.parse("a: ~\nb:\nc: null\nd: 'null'\n"))
        #expect(root["a"]?.isNull == true)
        #expect(root["b"]?.isNull == true)
        #expect(root["c"]?.isNull == true)
        #expect(root["d"]?.isNull == false)
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let text = """
        base: &base {owner: Amber, status: On track}
        one:
          <<: *base
          status: At risk
        list: [*base, *base]
        """
        let root = try #require(try YAMLParser.parse(text))
        let one = try #require(root["one"])
        #expect(one["owner"]?.scalar == "Amber")
        #expect(one["status"]?.scalar == "At risk")
        #expect(one.mapping?.count == 2)
        #expect(root["list"]?.sequence?.count == 2)
    }

    @Test func duplicateKeysAreErrorsWithBothPositions() {
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: 1\nb: 2\na: 3\n") }
        do {
            _ = try YAMLParser.parse("a: 1\nb: 2\na: 3\n")
        } catch let e as YAMLError {
            #expect(e.mark == Mark(line: 3, column: 1))
            #expect(e.message == "duplicate key 'a' (first defined at 1:1)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: [
        ("a:\n\t- 1\n", "tab character", 2),
        ("a: [1, 2\n", "did not find expected", 2),
        ("a: \"open\n", "unexpected end of stream", 2),
        ("a: 1\n---\nb: 2\n", "second YAML document", 2),
        ("a: *nope\n", "unknown alias", 1),
        ("a: 1\n  b: 2\n", "mapping values are not allowed", 2),
    ])
    func badInputIsAnErrorWithALine(text: String, fragment: String, line: Int) {
        do {
            _ = try YAMLParser.parse(text)
            Issue.record("expected an error for \(text.debugDescription)")
        } catch let e as YAMLError {
            #expect(e.message.contains(fragment), "\(e.message)")
            #expect(e.mark.line == line, "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func invalidUTF8IsReportedAtItsPosition() {
        do {
            _ = try YAMLParser.parse([UInt8]("a: 1\nb: x".utf8) + [0xFF])
            Issue.record("expected an error")
        } catch let e as YAMLError {
            #expect(e.mark == Mark(line: 2, column: 5))
            #expect(e.message.contains("0xFF"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func emptyDocumentIsNil() throws {
        #expect(try YAMLParser.parse("# only a comment\n") == nil)
    }

    /// 60,000 levels crashed the process (the tree was freed recursively); the limit is JSON's.
    @Test func nestingIsLimitedLikeJSON() throws {
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let deep = String(repeating: open, count: 60_000) + "1" + String(repeating: close, count: 60_000)
            #expect {
                try YAMLParser.parse(deep)
            } throws: { error in
                let e = error as? YAMLError
                return e?.message == "YAML nested more than 512 levels deep" && e?.mark.line == 1
            }
        }
        let block = (0..<600).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n"
        #expect(throws: YAMLError.self) { try YAMLParser.parse(block) }
        let ok = String(repeating: "[", count: 512) + "1" + String(repeating: "]", count: 512)
        #expect(try YAMLParser.parse(ok) != nil)
    }
}

@Suite struct JSONReaderTests {
    @Test func valuesKeepTextAndPositions() throws {
        let root = try JSONReader.parse(Array("{\n  \"ref\": \"1.10\",\n  \"n\": 1.50,\n  \"ok\": true\n}".utf8))
        #expect(root["ref"]?.scalar == "1.10")
        #expect(root["ref"]?.style == .doubleQuoted)
        #expect(root["n"]?.scalar == "1.50")
        #expect(root["n"]?.mark == Mark(line: 3, column: 8))
        #expect(root["ok"]?.style == .plain)
    }

    @Test func escapesAndSurrogatePairs() throws {
        let root = try JSONReader.parse(Array(#"["a\"b\\c\n", "\u00e9\ud83d\ude00"]"#.utf8))
        #expect(root.sequence?[0].scalar == "a\"b\\c\n")
        #expect(root.sequence?[1].scalar == "é😀")
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "expected a quoted key"),
        ("[1, 2", "JSON ends early"),
        ("{\"a\": 1, \"a\": 2}", "duplicate key 'a'"),
        ("{\"a\": tru}", "'tru' is not a JSON value"),
        ("[01]", "'01' is not a JSON value"),
        ("", "empty JSON document"),
        ("{} x", "unexpected text after"),
    ])
    func errors(text: String, fragment: String) {
        #expect {
            try JSONReader.parse(Array(text.utf8))
        } throws: { error in
            (error as? YAMLError)?.message.contains(fragment) == true
        }
    }
}
