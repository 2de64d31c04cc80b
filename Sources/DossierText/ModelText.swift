import DossierArchive
import DossierModel

/// A dossier folder the packager refused, in both languages, for the daemon's answers and
/// `reason.txt` and for `dossierctl pack`; the English is the refusal's own description.
public enum RefusalText {
    /// The refusal in both languages.
    public static func of(_ refusal: DossierPackager.Refusal) -> Bilingual {
        switch refusal {
        case let .problems(list): return problems(list, english: refusal.description)
        case let .folder(error): return folder(error, english: refusal.description)
        }
    }

    /// A dossier the checks refused: each problem with its code, field and Chinese message.
    private static func problems(_ problems: [Problem], english: String) -> Bilingual {
        Bilingual(
            english,
            "该机动车档案不能转递：\n"
                + problems.map { "  \($0.code)\($0.field.map { "（\($0)）" } ?? "")：\($0.messageZh)" }.joined(separator: "\n"))
    }

    /// A dossier folder that cannot be used at all.
    private static func folder(_ error: DossierFolderError, english: String) -> Bilingual {
        switch error {
        case let .notADirectory(path): return Bilingual(english, "\(path) 不是可读取的目录")
        case let .missingRecord(path): return Bilingual(english, "\(path) 不存在")
        case let .unreadableRecord(path, reason): return Bilingual(english, "\(path) 无法读取：\(reason)")
        case let .invalidRecord(path, record): return Bilingual(english, "\(path)：dossier.json 无法读取：\(record)")
        }
    }
}
