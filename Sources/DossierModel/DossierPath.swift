import Foundation

/// Rules for paths inside a dossier folder: documents live under `documents/`, and nothing may
/// point outside it.
package enum DossierPath {
    package static let documentsFolder = "documents"

    /// True for `documents/<name>[/<name>…]` with no empty, `.` or `..` component, no backslash
    /// and no control character.
    static func isDocumentPath(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 2, components[0] == Substring(documentsFolder) else { return false }
        return components.allSatisfy { component in
            !component.isEmpty && component != "." && component != ".."
                && !component.unicodeScalars.contains { $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
        }
    }

    /// True if `url` names a regular file itself (a symbolic link is not followed).
    static func isRegularFile(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Every entry under `<directory>/documents/` that is not a folder, as `documents/…` paths, sorted.
    static func documentFiles(in directory: URL) -> [String] {
        let root = directory.appendingPathComponent(documentsFolder)
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if enumerator.fileAttributes?[.type] as? FileAttributeType != .typeDirectory {
                files.append(documentsFolder + "/" + relative)
            }
        }
        return files.sorted()
    }
}
