import DossierArchive
import DossierOutbox
import DossierText

/// The errors the daemon shows an operator (admin API answers, intake `reason.txt`), in both
/// languages; the texts of its own types that `DossierText` cannot name. An error of another
/// type is technical detail and reads the same in both.
func operatorText(_ error: any Error) -> Bilingual {
    switch error {
    case let error as SubmitError:
        switch error {
        case let .unknownPeer(code): return Bilingual(error.description, "配置中没有对端 \(code)")
        case let .noSpace(path, free, reserve):
            return Bilingual(
                error.description,
                "\(path)：可用空间仅 \(free) 字节，低于保留值 \(reserve) 字节（state.free_space_reserve）；有空间后重试")
        case let .alreadyTransferred(vin, destination, id, at, registered?):
            return Bilingual(
                error.description,
                "already-transferred：车辆 \(vin) 已转出至 \(destination)（档案 \(id)，\(at.formatted(.iso8601)) 放入发件箱），"
                    + "已办结：转入地于 \(registered.formatted(.iso8601)) 登记")
        case let .alreadyTransferred(vin, destination, id, at, nil):
            return Bilingual(
                error.description,
                "already-transferred：车辆 \(vin) 已在转出至 \(destination)（档案 \(id)，\(at.formatted(.iso8601)) 放入发件箱）；"
                    + "如需重新转出，请先取消该档案")
        case let .timestampUnavailable(cause):
            return Bilingual(error.description, "时间戳服务（TSA）暂不可用：\(cause)；档案保留，稍后自动重试")
        }
    case let error as CompletionError:
        switch error {
        case let .notReceived(id): return Bilingual(error.description, "本所未接收并验证档案 \(id)；只有转入地可以办结档案")
        case let .conflict(id, recorded):
            return Bilingual(
                error.description,
                "档案 \(id) 已于 \(recorded.registeredAt.formatted(.iso8601)) 办结为“\(recorded.status == .registered ? "已登记" : "拒绝登记")”，"
                    + "办结结果不能更改")
        case let .badPlate(plate, cause): return Bilingual(error.description, "--plate \(plate)：号牌号码不合规（\(cause)）")
        case let .signing(cause): return Bilingual(error.description, "办结通知签名失败：\(cause)")
        case let .storage(cause): return Bilingual(error.description, "办结通知保存失败：\(cause)")
        }
    case let refusal as DossierPackager.Refusal:
        return RefusalText.of(refusal)
    case let error as OutboxError:
        switch error {
        case let .unknownID(id): return Bilingual(error.description, DaemonText.Admin.noArchive(id).zh)
        case let .illegalTransition(id, from, to):
            let (from, to) = (CtlText.state("\(from)", in: .zh), CtlText.state("\(to)", in: .zh))
            return Bilingual(error.description, "档案 \(id) 不能从“\(from)”状态转为“\(to)”")
        default: return Bilingual(error.description, "发件箱错误：\(error)")
        }
    default:
        return Bilingual("\(error)", "\(error)")
    }
}
