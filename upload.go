package flexemp

import "time"

// Reject reason codes and their Chinese wording for users. The ID reasons are
// declared with ParseID.
const (
	ReasonRequired       = "required"
	ReasonEnum           = "enum"
	ReasonDate           = "date"
	ReasonMonth          = "month"
	ReasonOutsideMonth   = "outside_month"
	ReasonDateOrder      = "date_order"
	ReasonMoney          = "money"
	ReasonCount          = "count"
	ReasonHours          = "hours"
	ReasonCityUnknown    = "city_unknown"
	ReasonCityMismatch   = "city_mismatch"
	ReasonAge            = "age"
	ReasonConditional    = "conditional_required"
	ReasonCertified      = "certified_not_completed"
	ReasonLoansOnline    = "loans_online_exceeds"
	ReasonDuplicateMonth = "duplicate_month"
	ReasonTitlePassed    = "title_passed_exceeds"
	ReasonPartTime       = "parttime_written_exceeds"
	ReasonEncoding       = "invalid_encoding"
	ReasonQuote          = "unclosed_quote"
)

// Reasons maps every reject reason code to what users read.
var Reasons = map[string]string{
	ReasonIDFormat:       "公民身份号码格式错误，应为18位（前17位数字，末位数字或X）",
	ReasonIDExcel:        "公民身份号码被Excel存为数字，已丢失末尾数字，请将该列设为文本后重新填写",
	ReasonIDCheckDigit:   "公民身份号码校验位错误",
	ReasonIDBirthDate:    "公民身份号码中的出生日期不是有效日期",
	ReasonRequired:       "必填项为空",
	ReasonEnum:           "取值不在允许范围内",
	ReasonDate:           "日期无法识别（可用 2024-03-05、2024/3/5、2024年3月5日、20240305）",
	ReasonMonth:          "统计年月无法识别（应为 2024-03 形式）",
	ReasonOutsideMonth:   "日期不在本次上传的月份内",
	ReasonDateOrder:      "结束日期早于开始日期",
	ReasonMoney:          "金额应为不小于0的数字，最多两位小数",
	ReasonCount:          "应为整数且不小于下限",
	ReasonHours:          "工作时长应为不小于0的数字，最多两位小数",
	ReasonCityUnknown:    "行政区划代码无法识别",
	ReasonCityMismatch:   "行政区划代码不属于上传城市",
	ReasonAge:            "申请日年龄不在16周岁至法定退休年龄之间",
	ReasonConditional:    "按登记或补贴类型此项必填",
	ReasonCertified:      "未结业的培训不能取得证书",
	ReasonLoansOnline:    "线上受理笔数大于创业担保贷款申请笔数",
	ReasonDuplicateMonth: "同一城市同一月份的月报重复",
	ReasonTitlePassed:    "职称评审通过人数大于申报人数",
	ReasonPartTime:       "签订书面合同或协议的单位数大于检查单位数",
	ReasonEncoding:       "含有无法识别的字符（文件编码有误，请另存为 UTF-8 或 GBK 后重新上传）",
	ReasonQuote:          "引号未闭合（该行的双引号不成对，请检查后重新上传）",
}

// Reject is one rejected row as reported to the uploader.
type Reject struct {
	Row    int    // file row as the user sees it (header row counted)
	Column string // the column as headed in the file
	Value  string // the cell's value, IDs masked
	Code   string // reason code
	Reason string // reason in Chinese
	// Line is the whole row, [header, value] per column as validated, IDs
	// masked: on the first reject of each row, for the workbook that shows
	// the row with its bad cells marked.
	Line [][2]string
}

// Upload is one version of a city's extract of one kind and month.
type Upload struct {
	ID         int64     `json:"upload_id,omitempty"` // none for a refused attempt (absent, never 0)
	City       string    `json:"city"`
	Kind       Kind      `json:"kind"`
	Month      Month     `json:"month"`
	Version    int       `json:"version"`
	SHA256     string    `json:"sha256"`
	FileName   string    `json:"file"`
	Format     string    `json:"format"`
	Uploader   string    `json:"uploader"`
	ReceivedAt time.Time `json:"received_at"` // in the zone it was received in
	Rows       int       `json:"rows"`
	Accepted   int       `json:"accepted"`
	Rejected   int       `json:"rejected"`
	Current    bool      `json:"current"`          // the version that counts
	Status     string    `json:"status"`           // accepted, or refused: an attempt that stored nothing (no upload_id)
	Reason     string    `json:"reason,omitempty"` // why a refused attempt was refused
	// RefusalID numbers a refused attempt; its rejected rows are kept under
	// it. Rejects counts them (a row may have several).
	RefusalID int64 `json:"refusal_id,omitempty"`
	Rejects   int   `json:"refused_rejects,omitempty"`
}

// UploadFilter chooses ledger rows; zero fields choose all. Limit 0 means no
// limit.
type UploadFilter struct {
	City          string
	Kind          Kind
	Month         Month
	Refused       bool   // the refused attempts too, beside the accepted versions
	Status        string // "": all; current, accepted or refused
	Search        string // a part of the file name, any case
	Offset, Limit int
}

// Receipt is what the ledger knows of one city × kind × month: when its
// first accepted upload came, how many versions it has, and whether a file
// for it was refused.
type Receipt struct {
	City     string
	Kind     Kind
	Month    Month
	First    *time.Time // the first accepted upload; nil when none
	Versions int
	Refused  bool
}

// OnTime tells whether the first accepted upload came before the month's
// deadline.
func (r Receipt) OnTime() bool { return r.First != nil && r.First.Before(r.Month.Deadline()) }
