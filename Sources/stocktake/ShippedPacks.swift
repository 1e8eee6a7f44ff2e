import Foundation

/// Where the rule packs shipped with stocktake are, for the commands that default to them
/// (`rules explain`, `rules doc`): an installed copy beside the executable, the checkout it was
/// built from, or `./rules` — so they work from any folder, not only from the checkout.
enum ShippedPacks {
    /// Names the one folder to use instead, for an installation that keeps the packs elsewhere.
    static let environmentVariable = "STOCKTAKE_RULE_PACKS"

    /// The folders looked in, first found wins.
    static var candidates: [String] {
        if let folder = ProcessInfo.processInfo.environment[environmentVariable], !folder.isEmpty { return [folder] }
        var folders: [String] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            let bin = executable.deletingLastPathComponent()
            // `scripts/install.sh` puts the packs in PREFIX/share/stocktake/rules; a release archive
            // unpacked as it is has them in share/stocktake/rules beside bin/.
            folders.append(bin.deletingLastPathComponent().appendingPathComponent("share/stocktake/rules").path)
        }
        // The checkout this binary was built from (Sources/stocktake/ShippedPacks.swift → rules/).
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        folders.append(checkout.appendingPathComponent("rules").path)
        folders.append("rules")
        return folders
    }

    /// The top-level packs of the first folder that has any (status legends are pulled in by
    /// `extends`), as paths relative to the working directory when they are inside it.
    static func paths(for command: String) throws -> [String] {
        for folder in candidates {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            let packs = names.filter { $0.hasSuffix(".yaml") }.sorted()
            if !packs.isEmpty { return packs.map { shown(folder + "/" + $0) } }
        }
        let looked = candidates.joined(separator: ", ")
        throw Failure("error: the shipped rule packs are not installed (looked in \(looked)); name rule files: \(command)",
                      .usage)
    }

    /// A path as short as it can be said from the working directory.
    static func shown(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return absolute.hasPrefix(here + "/") ? String(absolute.dropFirst(here.count + 1)) : absolute
    }
}
