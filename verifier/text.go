package verifier

import "github.com/qualbridge/qualbridge/verifier/record"

// lang is one of the two scripts every page is offered in.
type lang int

const (
	hans lang = iota // zh-Hans, the default
	hant             // zh-Hant, for readers in Taiwan
	nLangs
)

// tag is the BCP 47 tag of the script, for lang= and the html element.
func (l lang) tag() string {
	if l == hant {
		return "zh-Hant"
	}
	return "zh-Hans"
}

// text is the interface wording in one script. The handful of strings is
// written out in both scripts by hand, with Taiwan usage (金鑰, 網址) in
// zh-Hant, rather than converted at run time: they are few, and a
// reviewer can read them here. Certificate data is shown as signed,
// never converted: the page must match the printed certificate.
type text struct {
	Lang, OtherLang, OtherLangName string

	Service    string // the service's name, in the header
	LookupLink string
	Official   string // "the official address is …" before the host
	CheckBar   string // "compare it with the address bar"

	Title  map[Outcome]string // the verdict, large
	Detail map[Outcome]string // one sentence under it

	// When the answer was made and from which data; Zone follows each
	// time on the page.
	CheckedAt, DataAt, HeadSeq, Zone string

	// AsSigned, under a certificate's fields, says that they are shown
	// as signed (in Simplified characters, as printed); empty where that
	// goes without saying.
	AsSigned string

	// Field labels.
	Number, Holder, BirthYear, IDType, IDNumber, TaiwanQual, Occupation,
	OccupationCode, Level, Issuer, IssueDate, ValidUntil, NoExpiry,
	RevokedOn, RevokeReason, KeyID string

	IDTypes map[record.IDType]string
	Reasons map[record.Reason]string

	// The manual lookup form.
	LookupTitle, LookupIntro, LookupName, LookupNumber, LookupID, LookupSubmit,
	LookupLimit, LookupMissing, LookupAgain string

	// Problems that are not verdicts.
	TooLarge, TooMany, NotFound, BadMethod string
}

// texts returns the wording of both scripts, indexed by lang.
func texts() [nLangs]*text {
	return [nLangs]*text{
		hans: {
			Lang: "zh-Hans", OtherLang: "zh-Hant", OtherLangName: "繁體中文",
			Service:    "台胞职业资格证书核验",
			LookupLink: "按证书编号、姓名和证件号码查询",
			Official:   "官方核验网址：",
			CheckBar:   "请核对浏览器地址栏中的网址与此一致。",
			Title: map[Outcome]string{
				Valid:          "证书真实有效",
				Expired:        "证书真实，但已过有效期",
				Revoked:        "证书已注销",
				Unknown:        "查无此证书",
				NotGenuine:     "证书未通过核验",
				KeyCompromised: "无法确认证书真伪",
				Malformed:      "核验码无法识别",
				Unavailable:    "暂时无法核验",
			},
			Detail: map[Outcome]string{
				Valid:          "证书记录与签发机构的数字签名一致。请核对下列信息与纸质证书是否相符。",
				Expired:        "证书记录与签发机构的数字签名一致，但已超过有效期（按北京时间），不再有效。",
				Revoked:        "此证书已由签发机构注销，不再有效。",
				Unknown:        "本系统没有与此二维码或所填信息对应的证书。请核对二维码是否完整，证书编号和姓名是否准确。",
				NotGenuine:     "此证书记录的数字签名核验未通过，可能是伪造或被篡改的。请勿采信，并与签发机构联系。",
				KeyCompromised: "签发此证书所用的密钥已被宣布停用，暂时无法确认证书真伪。请与签发机构联系核实。",
				Malformed:      "链接中的核验码格式不正确。请重新扫描证书上的二维码，或按证书编号和姓名查询。",
				Unavailable:    "核验服务暂时无法读取或确认最新的证书记录，请稍后再试。这不表示证书无效。",
			},
			CheckedAt:      "核验时间",
			Zone:           "北京时间",
			DataAt:         "数据签发时间",
			HeadSeq:        "数据版本",
			Number:         "证书编号",
			Holder:         "持证人",
			BirthYear:      "出生年份",
			IDType:         "证件类型",
			IDNumber:       "证件号码",
			TaiwanQual:     "台湾地区职业资格",
			Occupation:     "对应职业（工种）",
			OccupationCode: "职业编码",
			Level:          "对应等级",
			Issuer:         "签发机构",
			IssueDate:      "发证日期",
			ValidUntil:     "有效期至",
			NoExpiry:       "长期有效",
			RevokedOn:      "注销日期",
			RevokeReason:   "注销原因",
			KeyID:          "签名密钥",
			IDTypes: map[record.IDType]string{
				record.Permit:    "台湾居民来往大陆通行证",
				record.Residence: "台湾居民居住证",
			},
			Reasons: map[record.Reason]string{
				record.IssuedInError: "误发",
				record.Superseded:    "已换发新证",
				record.HolderRequest: "持证人申请注销",
				record.Withdrawn:     "已撤销",
			},
			LookupTitle:   "按证书编号、姓名和证件号码查询",
			LookupIntro:   "无法扫描二维码时，可输入纸质证书上的证书编号、持证人全名和证件号码查询。三项都须与证书一致。",
			LookupNumber:  "证书编号",
			LookupName:    "持证人姓名（全名）",
			LookupID:      "证件号码（台胞证或居住证）",
			LookupSubmit:  "查询",
			LookupLimit:   "为防止滥用，每个网络地址每分钟最多查询 %d 次。",
			LookupMissing: "请填写证书编号、持证人全名和证件号码。",
			LookupAgain:   "重新查询",
			TooLarge:      "请求内容过大。",
			TooMany:       "查询过于频繁，请稍后再试。",
			NotFound:      "没有这个页面。",
			BadMethod:     "不支持此请求方法。",
		},
		hant: {
			Lang: "zh-Hant", OtherLang: "zh-Hans", OtherLangName: "简体中文",
			Service:    "臺胞職業資格證書核驗",
			LookupLink: "依證書編號、姓名和證件號碼查詢",
			Official:   "官方核驗網址：",
			CheckBar:   "請核對瀏覽器網址列中的網址與此一致。",
			Title: map[Outcome]string{
				Valid:          "證書真實有效",
				Expired:        "證書真實，但已過有效期限",
				Revoked:        "證書已註銷",
				Unknown:        "查無此證書",
				NotGenuine:     "證書未通過核驗",
				KeyCompromised: "無法確認證書真偽",
				Malformed:      "核驗碼無法識別",
				Unavailable:    "暫時無法核驗",
			},
			Detail: map[Outcome]string{
				Valid:          "證書紀錄與簽發機構的數位簽章一致。請核對下列資訊與紙本證書是否相符。",
				Expired:        "證書紀錄與簽發機構的數位簽章一致，但已超過有效期限（依北京時間），不再有效。",
				Revoked:        "此證書已由簽發機構註銷，不再有效。",
				Unknown:        "本系統沒有與此 QR Code 或所填資訊對應的證書。請核對 QR Code 是否完整，證書編號和姓名是否正確。",
				NotGenuine:     "此證書紀錄的數位簽章核驗未通過，可能是偽造或遭竄改的。請勿採信，並與簽發機構聯絡。",
				KeyCompromised: "簽發此證書所用的金鑰已被宣布停用，暫時無法確認證書真偽。請與簽發機構聯絡核實。",
				Malformed:      "連結中的核驗碼格式不正確。請重新掃描證書上的 QR Code，或依證書編號和姓名查詢。",
				Unavailable:    "核驗服務暫時無法讀取或確認最新的證書紀錄，請稍後再試。這不表示證書無效。",
			},
			CheckedAt:      "核驗時間",
			Zone:           "北京時間",
			AsSigned:       "以上證書資料依簽發原文（簡體字）顯示，與紙本證書相同。",
			DataAt:         "資料簽發時間",
			HeadSeq:        "資料版本",
			Number:         "證書編號",
			Holder:         "持證人",
			BirthYear:      "出生年份",
			IDType:         "證件類型",
			IDNumber:       "證件號碼",
			TaiwanQual:     "臺灣地區職業資格",
			Occupation:     "對應職業（工種）",
			OccupationCode: "職業編碼",
			Level:          "對應等級",
			Issuer:         "簽發機構",
			IssueDate:      "發證日期",
			ValidUntil:     "有效期限至",
			NoExpiry:       "長期有效",
			RevokedOn:      "註銷日期",
			RevokeReason:   "註銷原因",
			KeyID:          "簽章金鑰",
			IDTypes: map[record.IDType]string{
				record.Permit:    "臺灣居民來往大陸通行證",
				record.Residence: "臺灣居民居住證",
			},
			Reasons: map[record.Reason]string{
				record.IssuedInError: "誤發",
				record.Superseded:    "已換發新證",
				record.HolderRequest: "持證人申請註銷",
				record.Withdrawn:     "已撤銷",
			},
			LookupTitle:   "依證書編號、姓名和證件號碼查詢",
			LookupIntro:   "無法掃描 QR Code 時，可輸入紙本證書上的證書編號、持證人全名和證件號碼查詢。三項都須與證書一致。",
			LookupNumber:  "證書編號",
			LookupName:    "持證人姓名（全名）",
			LookupID:      "證件號碼（臺胞證或居住證）",
			LookupSubmit:  "查詢",
			LookupLimit:   "為防止濫用，每個網路位址每分鐘最多查詢 %d 次。",
			LookupMissing: "請填寫證書編號、持證人全名和證件號碼。",
			LookupAgain:   "重新查詢",
			TooLarge:      "請求內容過大。",
			TooMany:       "查詢過於頻繁，請稍後再試。",
			NotFound:      "沒有這個頁面。",
			BadMethod:     "不支援此請求方法。",
		},
	}
}
