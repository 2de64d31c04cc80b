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
        var files: [String] = []
        collect(directory.appendingPathComponent(documentsFolder, isDirectory: true).path, as: documentsFolder, into: &files)
        return files.sorted()
    }

    /// Appends the entries under `folder` (named `name` in the result) that are not folders;
    /// descends into folders, never through a symbolic link. `readdir` with the entry's type,
    /// which most file systems give: checking lists every dossier's documents once per packing.
    private static func collect(_ folder: String, as name: String, into files: inout [String]) {
        guard let handle = opendir(folder) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if entryName == "." || entryName == ".." { continue }
            let path = folder + "/" + entryName
            var isFolder = Int32(entry.pointee.d_type) == DT_DIR
            if Int32(entry.pointee.d_type) == DT_UNKNOWN {
                var info = stat()
                isFolder = lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            if isFolder {
                collect(path, as: name + "/" + entryName, into: &files)
            } else {
                files.append(name + "/" + entryName)
            }
        }
    }
}
