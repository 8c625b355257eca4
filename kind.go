package flexemp

import "time"

// Kind is one of the four extract kinds cities upload.
type Kind string

// The extract kinds of the data contract.
const (
	Registrations Kind = "registrations"
	Subsidies     Kind = "subsidies"
	Trainings     Kind = "trainings"
	Services      Kind = "services"
)

// Kinds lists every kind in contract order.
var Kinds = []Kind{Registrations, Subsidies, Trainings, Services}

// ParseKind accepts a kind's English or Chinese name.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if s == string(k) || s == k.Title() {
			return k, true
		}
	}
	return "", false
}

// Title is the kind's Chinese name as users know it.
func (k Kind) Title() string {
	if c := ContractOf(k); c != nil {
		return c.Title
	}
	return string(k)
}

// ColumnType says how a contract column's cells are read.
type ColumnType int

// Column types.
const (
	TypeText  ColumnType = iota
	TypeID               // resident ID number (公民身份号码)
	TypeCity             // city or county code, or city name
	TypeEnum             // one of Column.Values
	TypeDate             // a calendar date in any accepted form
	TypeMonth            // a year-month
	TypeMoney            // yuan with at most two decimals, ≥ 0
	TypeCount            // integer ≥ 0
	TypeHours            // hours with at most two decimals, ≥ 0
	TypeYesNo            // 是 · 否
)

// Column is one column of the data contract.
type Column struct {
	Name     string // English header and storage name
	Header   string // Chinese header
	Type     ColumnType
	Required bool     // a row must have a value (in a month its version is in force)
	Values   []string // allowed values, for TypeEnum and TypeYesNo
	Min      int64    // smallest allowed count, for TypeCount
	Rule     string   // the rule in Chinese, for template notes and docs
	// Version is the contract version that added the column; 0 and 1 are
	// the first. For a month before that version is in force, the column
	// is optional: read and stored when present, never required.
	Version int
}

// Version is one version of a kind's contract and the first month it is in
// force for.
type Version struct {
	Number int
	From   Month
}

// Contract declares one kind: its columns and the column whose date places a
// row in its month.
type Contract struct {
	Kind       Kind
	Title      string // Chinese name of the kind
	Columns    []Column
	MonthField string    // the column that must fall inside the upload's month
	Versions   []Version // after the first, in order; none: the contract has one version
}

// VersionAt is the contract version in force for extracts of month m.
func (c *Contract) VersionAt(m Month) int {
	v := 1
	for _, ver := range c.Versions {
		if !m.First().Before(ver.From.First()) {
			v = ver.Number
		}
	}
	return v
}

// ColumnsAt are the columns of the version in force for month m.
func (c *Contract) ColumnsAt(m Month) []Column {
	var out []Column
	for _, col := range c.Columns {
		if c.RequiredAt(col, m) {
			out = append(out, col)
		}
	}
	return out
}

// RequiredAt tells whether a column belongs to the version in force for
// month m: a file for m must have it, and a row must fill it when it is
// Required.
func (c *Contract) RequiredAt(col Column, m Month) bool { return col.Version <= c.VersionAt(m) }

// Column returns the contract column with the given English name.
func (c *Contract) Column(name string) (Column, int, bool) {
	for i, col := range c.Columns {
		if col.Name == name {
			return col, i, true
		}
	}
	return Column{}, -1, false
}

// Enumerations shared by several kinds.
var (
	PersonGroups = []string{"高校毕业生", "农民工", "就业困难人员", "退役军人", "脱贫人口", "其他"}
	YesNo        = []string{"是", "否"}
)

// Enumerated values used by rules elsewhere.
const (
	RegFlexible   = "灵活就业登记"
	RegUnemployed = "失业登记"
	RegEmployed   = "就业登记"

	SubsidySocialInsurance = "社会保险补贴"
	SubsidyVenue           = "创业场地补贴"
	SubsidyPublicPost      = "公益性岗位补贴"
	SubsidyTraining        = "职业培训补贴"

	GroupGraduate  = "高校毕业生"
	GroupHardToEmp = "就业困难人员"
)

// Contracts is the data contract, declared once: readers, validation, reject
// reports and templates all use it.
var Contracts = []Contract{
	{
		Kind: Registrations, Title: "就业失业登记", MonthField: "applied_on",
		Columns: []Column{
			{Name: "id_number", Header: "公民身份号码", Type: TypeID, Required: true, Rule: "18位公民身份号码，校验位正确；申请日年满16周岁且未达法定退休年龄"},
			{Name: "city_code", Header: "行政区划代码", Type: TypeCity, Required: true, Rule: "本市或所辖县区的6位行政区划代码，或城市名称"},
			{Name: "reg_type", Header: "登记类型", Type: TypeEnum, Required: true, Values: []string{RegFlexible, RegUnemployed, RegEmployed}, Rule: "灵活就业登记、失业登记或就业登记"},
			{Name: "employment_form", Header: "就业形式", Type: TypeEnum, Values: []string{"个体经营", "非全日制", "新就业形态", "其他灵活就业"}, Rule: "灵活就业登记必填：个体经营、非全日制、新就业形态或其他灵活就业"},
			{Name: "person_group", Header: "人员类别", Type: TypeEnum, Required: true, Values: PersonGroups, Rule: "高校毕业生、农民工、就业困难人员、退役军人、脱贫人口或其他"},
			{Name: "applied_on", Header: "申请日期", Type: TypeDate, Required: true, Rule: "日期，须在上传月份内，如 2024-03-05"},
			{Name: "completed_on", Header: "办结日期", Type: TypeDate, Rule: "日期，不早于申请日期；未办结留空"},
			{Name: "channel", Header: "办理渠道", Type: TypeEnum, Required: true, Values: []string{"线上", "线下"}, Rule: "线上或线下"},
		},
	},
	{
		Kind: Subsidies, Title: "补贴发放", MonthField: "paid_on",
		Columns: []Column{
			{Name: "id_number", Header: "公民身份号码", Type: TypeID, Required: true, Rule: "18位公民身份号码，校验位正确"},
			{Name: "city_code", Header: "行政区划代码", Type: TypeCity, Required: true, Rule: "本市或所辖县区的6位行政区划代码，或城市名称"},
			{Name: "subsidy_type", Header: "补贴类型", Type: TypeEnum, Required: true, Values: []string{SubsidySocialInsurance, SubsidyVenue, SubsidyPublicPost, SubsidyTraining, "培训期间生活费补贴", "创业担保贷款贴息"}, Rule: "社会保险补贴、创业场地补贴、公益性岗位补贴、职业培训补贴、培训期间生活费补贴或创业担保贷款贴息"},
			{Name: "person_group", Header: "人员类别", Type: TypeEnum, Required: true, Values: PersonGroups, Rule: "高校毕业生、农民工、就业困难人员、退役军人、脱贫人口或其他"},
			{Name: "amount", Header: "发放金额(元)", Type: TypeMoney, Required: true, Rule: "不小于0的金额，最多两位小数"},
			{Name: "contribution", Header: "个人实际缴费(元)", Type: TypeMoney, Rule: "社会保险补贴必填：不小于0的金额，最多两位小数"},
			{Name: "months_received", Header: "累计享受月数", Type: TypeCount, Required: true, Min: 1, Rule: "不小于1的整数，含本次发放"},
			{Name: "work_hours", Header: "工作时长(小时)", Type: TypeHours, Rule: "公益性岗位补贴必填：不小于0的小时数，最多两位小数"},
			{Name: "paid_on", Header: "发放日期", Type: TypeDate, Required: true, Rule: "日期，须在上传月份内"},
		},
	},
	{
		Kind: Trainings, Title: "职业培训", MonthField: "ended_on",
		Columns: []Column{
			{Name: "id_number", Header: "公民身份号码", Type: TypeID, Required: true, Rule: "18位公民身份号码，校验位正确"},
			{Name: "city_code", Header: "行政区划代码", Type: TypeCity, Required: true, Rule: "本市或所辖县区的6位行政区划代码，或城市名称"},
			{Name: "training_type", Header: "培训类型", Type: TypeEnum, Required: true, Values: []string{"创业培训", "职业技能培训", "新职业培训"}, Rule: "创业培训、职业技能培训或新职业培训"},
			{Name: "mode", Header: "培训方式", Type: TypeEnum, Required: true, Values: []string{"线上", "线下", "线上线下结合"}, Rule: "线上、线下或线上线下结合"},
			{Name: "flexible_worker", Header: "是否灵活就业人员", Type: TypeYesNo, Required: true, Values: YesNo, Rule: "是或否"},
			{Name: "started_on", Header: "开班日期", Type: TypeDate, Required: true, Rule: "日期"},
			{Name: "ended_on", Header: "结业日期", Type: TypeDate, Required: true, Rule: "日期，不早于开班日期，须在上传月份内"},
			{Name: "completed", Header: "是否结业", Type: TypeYesNo, Required: true, Values: YesNo, Rule: "是或否"},
			{Name: "certified", Header: "是否取得证书", Type: TypeYesNo, Required: true, Values: YesNo, Rule: "是或否；未结业不能为是"},
			{Name: "employed_6m", Header: "结业后6个月内就业", Type: TypeEnum, Required: true, Values: []string{"是", "否", "未知"}, Rule: "是、否或未知"},
		},
	},
	{
		Kind: Services, Title: "公共服务月报", MonthField: "month",
		Columns: []Column{
			{Name: "city_code", Header: "行政区划代码", Type: TypeCity, Required: true, Rule: "本市的6位行政区划代码，或城市名称"},
			{Name: "month", Header: "统计年月", Type: TypeMonth, Required: true, Rule: "统计年月，如 2024-03，须为上传月份"},
			{Name: "gig_markets", Header: "零工市场数", Type: TypeCount, Required: true, Rule: "不小于0的整数"},
			{Name: "gig_postings", Header: "零工岗位信息发布数", Type: TypeCount, Required: true, Rule: "不小于0的整数"},
			{Name: "gig_matches", Header: "零工对接成功人次", Type: TypeCount, Required: true, Rule: "不小于0的整数，可大于岗位信息发布数"},
			{Name: "loans_applied", Header: "创业担保贷款申请笔数", Type: TypeCount, Required: true, Rule: "不小于0的整数"},
			{Name: "loans_online", Header: "其中线上受理笔数", Type: TypeCount, Required: true, Rule: "不小于0的整数，不大于申请笔数"},
			{Name: "pension_enrolled", Header: "灵活就业人员参加职工养老保险人数", Type: TypeCount, Required: true, Rule: "不小于0的整数"},
			{Name: "complaints_received", Header: "举报投诉受理件数", Type: TypeCount, Required: true, Rule: "不小于0的整数"},
			{Name: "complaints_closed", Header: "举报投诉办结件数", Type: TypeCount, Required: true, Rule: "不小于0的整数"},
			// Version 2, the province's 2025 template: every measure has an indicator.
			{Name: "flex_registered", Header: "在册灵活就业人员数", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数，月末在册人数"},
			{Name: "hr_agencies_flex", Header: "服务灵活就业的人力资源服务机构数", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数"},
			{Name: "hr_served_flex", Header: "人力资源服务机构服务灵活就业人员人次", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数"},
			{Name: "title_applied_flex", Header: "灵活就业人员职称申报人数", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数"},
			{Name: "title_passed_flex", Header: "灵活就业人员职称评审通过人数", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数，不大于职称申报人数"},
			{Name: "parttime_checked", Header: "检查非全日制用工单位数", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数"},
			{Name: "parttime_written", Header: "其中依法签订书面合同或协议的单位数", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数，不大于检查单位数"},
			{Name: "publicity_events", Header: "政策宣传活动场次", Type: TypeCount, Required: true, Version: 2, Rule: "不小于0的整数"},
			{Name: "fund_allocated", Header: "灵活就业扶持资金下达额(元)", Type: TypeMoney, Required: true, Version: 2, Rule: "不小于0的金额，最多两位小数"},
		},
		Versions: []Version{{Number: 2, From: Month{2025, time.January}}},
	},
}

// ContractOf returns the contract of a kind, or nil.
func ContractOf(k Kind) *Contract {
	for i := range Contracts {
		if Contracts[i].Kind == k {
			return &Contracts[i]
		}
	}
	return nil
}
