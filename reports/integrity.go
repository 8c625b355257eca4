package reports

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/csvsafe"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// checkNames are the integrity checks as reviewers read them.
var checkNames = map[string]string{
	metrics.CheckCrossCity: "跨市重复登记",
	metrics.CheckRepeats:   "市内重复登记",
	metrics.CheckInstant:   "失业登记当日办结异常",
	metrics.CheckSpike:     "月度数量突增",
	metrics.CheckBunching:  "季末集中登记",
	metrics.CheckAggregate: "汇总数与明细不符",
	metrics.CheckLate:      "截止后修改数据",
	metrics.CheckShift:     "办结时长突变",
	metrics.CheckEmpty:     "空报",
	metrics.CheckHistory:   "补贴发放记录前后不一",
	metrics.CheckAgain:     "上期人员重复登记",
	metrics.CheckLabelling: "培训人员选择性标注",
}

// CheckName is an integrity check's name: K1 跨市重复登记.
func CheckName(check string) string { return check + " " + checkNames[check] }

// OtherCity is what a city sees in place of another city's name.
const OtherCity = "外市"

// subjectNames are what K4 and K6 checked; a services column K4 checked
// is named by its header (subjectName).
var subjectNames = map[string]string{"registrations": "灵活就业登记", "subsidies": "补贴发放笔数", "pension": "参保人数", "funds": "补贴发放额",
	"ledger": "补贴发放额", "allocation": "扶持资金下达额"}

func subjectName(subject string) string {
	if n, ok := subjectNames[subject]; ok {
		return n
	}
	if col, _, ok := flexemp.ContractOf(flexemp.Services).Column(subject); ok {
		return "月报“" + col.Header + "”"
	}
	return subject
}

// FindingText says a finding in one sentence: what was found, the figure
// against its threshold.
func FindingText(f metrics.Finding) string {
	ref := 0.0
	if f.Reference != nil {
		ref = *f.Reference
	}
	switch f.Check {
	case metrics.CheckCrossCity:
		return fmt.Sprintf("%d 人在本期同时于其他城市办理灵活就业登记，占本市登记人数（%s）的 %s", f.Cases, Count(int64(ref)), Percent(f.Figure))
	case metrics.CheckRepeats:
		return fmt.Sprintf("%d 人在本市重复办理灵活就业登记，占本市登记人数（%s）的 %s", f.Cases, Count(int64(ref)), Percent(f.Figure))
	case metrics.CheckInstant:
		return fmt.Sprintf("失业登记当日办结占比 %s，高于 %s；全省各市中位数仅 %s", Percent(f.Figure), Percent(f.Threshold), Percent(ref))
	case metrics.CheckSpike:
		month, province := strings.CutSuffix(f.Key, " 全省")
		way := "高于"
		if f.Figure < 1 {
			way = "低于"
		}
		if province {
			return fmt.Sprintf("%s %s %s，按人口折算为全省各市中位数（折合本市 %s）的 %.2f 倍，%s %g 倍（本市此前报送不足3个月，与全省比较）", month,
				subjectName(f.Subject), Count(int64(f.Cases)), strconv.FormatFloat(math.Round(ref), 'f', -1, 64), f.Figure, way, f.Threshold)
		}
		return fmt.Sprintf("%s %s %s，为此前12个月中位数（%s）的 %.2f 倍，%s %.3g 倍，而全省各市中位数变动不到其一半", month, subjectName(f.Subject), Count(int64(f.Cases)),
			strconv.FormatFloat(ref, 'f', -1, 64), f.Figure, way, f.Threshold)
	case metrics.CheckBunching:
		return fmt.Sprintf("%s 的灵活就业登记有 %s（%d 条）集中在季末 %.0f 天内，超过 %s", f.Key, Percent(f.Figure), f.Cases, ref, Percent(f.Threshold))
	case metrics.CheckAggregate:
		switch f.Subject {
		case "funds":
			return fmt.Sprintf("本期补贴发放额为省级下达扶持资金（%s 元）的 %.2f 倍，超过 %g 倍", Count(int64(ref)), f.Figure, f.Threshold)
		case "ledger":
			return fmt.Sprintf("%s 上报的补贴发放明细合计与省级财务台账（%s 元）相差 %s，超过 %s：明细可能有删减或增加", f.Key, Count(int64(ref)),
				Percent(f.Figure), Percent(f.Threshold))
		case "allocation":
			return fmt.Sprintf("%s 月报填报的扶持资金下达额与省级下达数（%s 元）相差 %s，超过 %s", f.Key, Count(int64(ref)), Percent(f.Figure), Percent(f.Threshold))
		}
		return fmt.Sprintf("%d 个月的灵活就业人员参保人数超过在册灵活就业人员数，最高为 %.2f 倍", f.Cases, f.Figure)
	case metrics.CheckLate:
		kind, month, _ := strings.Cut(f.Key, " ")
		if f.Reference != nil && *f.Reference == 0 {
			return fmt.Sprintf("%s %s 按时报送的是空表或全零数据，截止后才报送实际数据：按迟报计，及时率不得分", flexemp.Kind(kind).Title(), month)
		}
		what := "的行（新增、删除或改动）"
		if kind == string(flexemp.Services) {
			what = "中某项统计数（增或减）"
		}
		return fmt.Sprintf("%s %s 的数据在报送截止后重新报送，新版本%s变动 %s（阈值 %s）；截止后的替换不计入考核，以截止时报送数据为准", flexemp.Kind(kind).Title(), month, what,
			Percent(f.Figure), Percent(f.Threshold))
	case metrics.CheckShift:
		when, before := "本期", "此前四个同长度考核期"
		if f.Key != "" { // a quarter of a year
			when, before = f.Key+" ", "此前四个季度"
		}
		if f.Subject == "limit" {
			return fmt.Sprintf("%s失业登记在第5–7个工作日（时限边缘）办结的占比 %s，超过%s（%s）的 2 倍：办结日期可能被移至时限边缘", when, Percent(f.Figure), before, Percent(ref))
		}
		return fmt.Sprintf("%s失业登记1个工作日内办结占比比%s高 %s（此前 %s），超过 %s", when, before, Percent(f.Figure), Percent(ref), Percent(f.Threshold))
	case metrics.CheckEmpty:
		return fmt.Sprintf("%s %s 报送的是空表（或全零月报），而此前12个月（%.0f 个月）的中位数为 %s：可能以空报回避不利数据", f.Key,
			flexemp.Kind(f.Subject).Title(), ref, strconv.FormatFloat(f.Figure, 'f', -1, 64))
	case metrics.CheckHistory:
		if f.Subject == "history" {
			return fmt.Sprintf("%d 笔补贴与同一人此前的发放记录不一致（累计享受月数未增加、个人缴费前后变动过大、人员类别改变，或非社会保险补贴填有个人缴费），占有此前记录的发放的 %s", f.Cases,
				Percent(f.Figure))
		}
		return fmt.Sprintf("无合规规则的“%s”占本市补贴发放额的比重比此前四个同长度考核期（%s）上升 %s，超过 %s", f.Subject, Percent(ref), Percent(f.Figure), Percent(f.Threshold))
	case metrics.CheckAgain:
		return fmt.Sprintf("%d 名本期灵活就业登记人员在上一同长度考核期已在本市登记，占比高出全省各市中位数（%s）%s，超过 %s", f.Cases, Percent(ref), Percent(f.Figure), Percent(f.Threshold))
	case metrics.CheckLabelling:
		return fmt.Sprintf("取得证书的培训中标注为灵活就业人员的比例比未取得证书的高 %s（全省其他城市合计 %s），超过 %s：未取证人员可能被标注为非灵活就业人员（%d 条）", Percent(f.Figure),
			Percent(ref), Percent(f.Threshold), f.Cases)
	}
	return f.Check
}

// EvidenceText names one evidence row: the upload and row with the masked
// ID, the month, and for K1 the other city's row.
func EvidenceText(f metrics.Finding, e metrics.Evidence) string {
	var parts []string
	if e.UploadID != nil {
		s := "上传 " + strconv.FormatInt(*e.UploadID, 10)
		if e.Row != nil {
			s += " 第 " + strconv.Itoa(*e.Row) + " 行"
		}
		parts = append(parts, s)
	}
	if e.IDMasked != "" {
		parts = append(parts, e.IDMasked)
	}
	if e.Month != nil {
		parts = append(parts, e.Month.Format("2006-01"))
	}
	switch {
	case e.OtherCity == OtherCity:
		parts = append(parts, "另在"+OtherCity+"登记")
	case e.OtherCity != "":
		other := cityName(e.OtherCity)
		if e.OtherUpload != nil && e.OtherRow != nil {
			other += fmt.Sprintf("（上传 %d 第 %d 行）", *e.OtherUpload, *e.OtherRow)
		}
		parts = append(parts, "另在"+other+"登记")
	case f.Check == metrics.CheckLate && e.OtherUpload != nil:
		parts = append(parts, fmt.Sprintf("与上传 %d 对照", *e.OtherUpload))
	case f.Check == metrics.CheckHistory && e.OtherUpload != nil && e.OtherRow != nil:
		parts = append(parts, fmt.Sprintf("此前一笔：上传 %d 第 %d 行", *e.OtherUpload, *e.OtherRow))
	}
	return strings.Join(parts, "，")
}

// CityView is what a city may see of its own findings: another city named
// in a K1 pair becomes 外市, with nothing of its upload or rows.
func CityView(fs []metrics.Finding) []metrics.Finding {
	out := make([]metrics.Finding, len(fs))
	for i, f := range fs {
		f.Evidence = append([]metrics.Evidence(nil), f.Evidence...)
		for j := range f.Evidence {
			if f.Evidence[j].OtherCity != "" {
				f.Evidence[j].OtherCity, f.Evidence[j].OtherUpload, f.Evidence[j].OtherRow = OtherCity, nil, nil
			}
		}
		out[i] = f
	}
	return out
}

// PeriodFindings are a period's findings as JSON, one shape for
// `flexemp integrity --format json` and GET /api/v1/integrity/{period}:
// none is an empty list, not null.
type PeriodFindings struct {
	Period   string            `json:"period"`
	Findings []metrics.Finding `json:"findings"`
}

// FindingsOf is the period's findings as PeriodFindings.
func FindingsOf(p flexemp.Period, fs []metrics.Finding) PeriodFindings {
	if fs == nil {
		fs = []metrics.Finding{}
	}
	return PeriodFindings{p.String(), fs}
}

// FindingCounts counts findings by city and check.
func FindingCounts(fs []metrics.Finding) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, f := range fs {
		if out[f.City] == nil {
			out[f.City] = map[string]int{}
		}
		out[f.City][f.Check]++
	}
	return out
}

// FindingsLine counts a period's findings by check in one line, for the
// province's mail.
func FindingsLine(fs []metrics.Finding) string {
	if len(fs) == 0 {
		return "数据核查：本期未发现异常。"
	}
	by := map[string]int{}
	for _, f := range fs {
		by[f.Check]++
	}
	var parts []string
	for _, c := range metrics.Checks {
		if by[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d 项", CheckName(c), by[c]))
		}
	}
	return fmt.Sprintf("数据核查：发现 %d 项需复核的情况（%s），详见报告“数据核查”部分。核查结果不影响排名。", len(fs), strings.Join(parts, "，"))
}

// WriteFindings writes a period's findings as `flexemp integrity` prints
// them: each finding's sentence, then its evidence.
func WriteFindings(w io.Writer, p flexemp.Period, fs []metrics.Finding) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintf(w, "%s数据核查：未发现需复核的情况\n", p.Label())
		return err
	}
	fmt.Fprintf(w, "%s数据核查：%d 项（核查结果不影响指数与排名）\n", p.Label(), len(fs))
	for i, f := range fs {
		fmt.Fprintf(w, "\n%d. %s · %s（核查值 %s，阈值 %s）\n   %s\n", i+1, cityName(f.City), CheckName(f.Check),
			strconv.FormatFloat(f.Figure, 'f', 4, 64), strconv.FormatFloat(f.Threshold, 'f', -1, 64), FindingText(f))
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "   - %s\n", EvidenceText(f, e))
		}
	}
	return nil
}

// WriteFindingsCSV writes a row per evidence, each with its finding.
func WriteFindingsCSV(w io.Writer, p flexemp.Period, fs []metrics.Finding) error {
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"period", "city", "check", "figure", "threshold", "finding", "upload_id", "row", "month", "id_masked", "other_city", "other_upload", "other_row"})
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, f := range fs {
		for _, e := range f.Evidence {
			row, month := "", ""
			if e.Row != nil {
				row = strconv.Itoa(*e.Row)
			}
			if e.Month != nil {
				month = e.Month.Format("2006-01")
			}
			otherRow := ""
			if e.OtherRow != nil {
				otherRow = strconv.Itoa(*e.OtherRow)
			}
			cw.Write([]string{p.String(), f.City, f.Check, strconv.FormatFloat(f.Figure, 'f', -1, 64), strconv.FormatFloat(f.Threshold, 'f', -1, 64),
				FindingText(f), num(e.UploadID), row, month, e.IDMasked, e.OtherCity, num(e.OtherUpload), otherRow})
		}
	}
	cw.Flush()
	return cw.Error()
}
