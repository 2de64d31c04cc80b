import DossierModel

/// The offices the sample generator knows: names, plate letters and districts for realistic
/// addresses and identity numbers. A small table, not a registry.
struct SampleOffice: Sendable {
    let code: String
    let province: String
    let city: String
    let districts: [(code: String, name: String)]

    var platePrefix: String {
        let abbreviation = Division.province(ofCode: String(code.prefix(2))).map(String.init) ?? ""
        let letter = Division.issuerLetters[code].map(String.init) ?? "A"
        return abbreviation + letter
    }
}

enum SampleOffices {
    static let all: [SampleOffice] = [
        SampleOffice(code: "441800", province: "广东省", city: "清远市", districts: [("441802", "清城区"), ("441803", "清新区")]),
        SampleOffice(code: "440100", province: "广东省", city: "广州市", districts: [("440103", "荔湾区"), ("440106", "天河区")]),
        SampleOffice(code: "440300", province: "广东省", city: "深圳市", districts: [("440304", "福田区"), ("440305", "南山区")]),
        SampleOffice(code: "430100", province: "湖南省", city: "长沙市", districts: [("430102", "芙蓉区"), ("430104", "岳麓区")]),
        SampleOffice(code: "420100", province: "湖北省", city: "武汉市", districts: [("420106", "武昌区"), ("420111", "洪山区")]),
        SampleOffice(code: "510100", province: "四川省", city: "成都市", districts: [("510104", "锦江区"), ("510107", "武侯区")]),
        SampleOffice(code: "330100", province: "浙江省", city: "杭州市", districts: [("330106", "西湖区"), ("330110", "余杭区")]),
        SampleOffice(code: "320100", province: "江苏省", city: "南京市", districts: [("320102", "玄武区"), ("320106", "鼓楼区")]),
        SampleOffice(code: "110000", province: "北京市", city: "", districts: [("110105", "朝阳区"), ("110108", "海淀区")]),
        SampleOffice(code: "310000", province: "上海市", city: "", districts: [("310115", "浦东新区"), ("310104", "徐汇区")]),
    ]

    /// The office of `code`: from the table, else, for a code of `SampleAuthorityCodes`, a
    /// destination office whose buyers live in its first district (`PP0101` of a municipality,
    /// `PPCC02` of a prefecture), named only by code; nil for any other code.
    static func office(_ code: String) -> SampleOffice? {
        if let known = all.first(where: { $0.code == code }) { return known }
        guard SampleAuthorityCodes.all.contains(code) else { return nil }
        let district = code.hasSuffix("0000") ? code.prefix(2) + "0101" : code.prefix(4) + "02"
        return SampleOffice(code: code, province: "", city: "", districts: [(String(district), "市辖区")])
    }
}

/// Many distinct, valid authority codes, for benchmarks and tests that stand up more peers than
/// `SampleOffices` knows: real GB/T 2260 prefecture-level codes that pass `Division.check`.
public enum SampleAuthorityCodes {
    /// The four municipalities (`PP0000`), then the first prefecture of every other province
    /// (`PP0100`, its capital), then its second (`PP0200`): 58 codes, in that order, each once.
    /// Every province in `Division.provinces` has at least two prefectures, so each code exists.
    public static let all: [String] = {
        let municipalities: Set<String> = ["11", "12", "31", "50"]
        let provinces = Division.provinces.keys.sorted()
        let others = provinces.filter { !municipalities.contains($0) }
        return provinces.filter(municipalities.contains).map { $0 + "0000" } + others.map { $0 + "0100" } + others.map { $0 + "0200" }
    }()

    /// The first `count` codes of `all` other than those in `excluding`; fewer when `all` runs
    /// out, so a caller needing exactly `count` checks the result's size.
    public static func first(_ count: Int, excluding: Set<String> = []) -> [String] {
        Array(all.lazy.filter { !excluding.contains($0) }.prefix(count))
    }
}
