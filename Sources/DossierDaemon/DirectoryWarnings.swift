import Foundation

/// The `status` warnings about the authority directory (docs/directory.md).
enum DirectoryWarnings {
    /// A directory past its nextUpdate (still used), a failing fetch, no directory yet, and
    /// archives held for suspended or unlisted destinations (`held`).
    static func warnings(_ authority: Authority, held: Int, now: Date = Date()) -> [String] {
        var warnings: [String] = []
        if let settings = authority.config.directory {
            let directory = authority.directory
            if let directory, directory.nextUpdate < now {
                warnings.append(
                    "directory serial \(directory.serial) is past its nextUpdate (\(directory.nextUpdate.formatted(.iso8601))); "
                        + "it stays in force until a newer one is fetched")
            }
            let fetch = authority.directoryFetches.current
            if let failure = fetch.lastFailure, failure.at > (fetch.lastSuccess ?? .distantPast) {
                warnings.append(
                    "directory fetch from \(settings.url) failed at \(failure.at.formatted(.iso8601)): \(failure.why); "
                        + (directory.map { "serial \($0.serial) stays in force" } ?? "no directory yet, only [[peers]] are peers"))
            } else if directory == nil {
                warnings.append("no directory fetched yet from \(settings.url): only [[peers]] are peers")
            }
        }
        if held > 0 {
            warnings.append("\(held) archive(s) held for authorities that are suspended or not peers; they are sent when listed again")
        }
        return warnings
    }
}
