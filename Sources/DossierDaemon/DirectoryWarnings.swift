import DossierText
import Foundation

/// The `status` warnings about the authority directory (docs/directory.md), in both languages.
enum DirectoryWarnings {
    /// A directory past its nextUpdate (still used), a failing fetch, no directory yet, and
    /// archives held for suspended or unlisted destinations (`held`).
    static func warnings(_ authority: Authority, held: Int, now: Date = Date()) -> [Bilingual] {
        var warnings: [Bilingual] = []
        if let settings = authority.config.directory {
            let directory = authority.directory
            if let directory, directory.nextUpdate < now {
                let next = directory.nextUpdate.formatted(.iso8601)
                warnings.append(
                    Bilingual(
                        "directory serial \(directory.serial) is past its nextUpdate (\(next)); "
                            + "it stays in force until a newer one is fetched",
                        "名录（序号 \(directory.serial)）已过 nextUpdate（\(next)）；在取得更新的名录之前继续使用"))
            }
            if let failure = authority.directoryFetches.current.outcome.failing {
                let at = failure.at.formatted(.iso8601)
                warnings.append(
                    Bilingual(
                        "directory fetch from \(settings.url) failed at \(at): \(failure.why); "
                            + (directory.map { "serial \($0.serial) stays in force" } ?? "no directory yet, only [[peers]] are peers"),
                        "\(at) 从 \(settings.url) 下载名录失败：\(failure.why)；"
                            + (directory.map { "继续使用序号 \($0.serial) 的名录" } ?? "尚无名录，仅 [[peers]] 中的车辆管理所为对端")))
            } else if directory == nil {
                warnings.append(
                    Bilingual(
                        "no directory fetched yet from \(settings.url): only [[peers]] are peers",
                        "尚未从 \(settings.url) 取得名录：仅 [[peers]] 中的车辆管理所为对端"))
            }
        }
        if held > 0 {
            warnings.append(
                Bilingual(
                    "\(held) archive(s) held for authorities that are suspended or not peers; they are sent when listed again",
                    "\(held) 份档案因对端已暂停或不在名录中而暂缓发送；重新列入后自动发送"))
        }
        return warnings
    }
}
